/* vouch sim collateral --state-dir DIR [--now TIME] [-o FILE]: the collateral of vouchd's simulated platform
 * (dcap-qvl's JSON format), dated now; its root is DIR/sim-root.der. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "vouch/err.h"
#include "vouch/sim.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: vouch sim collateral [--state-dir DIR] [--now TIME] [--sgx] [-o FILE]\n"
		   "  the simulated platform's collateral (TCB info, QE identity, CRLs), freshly dated and signed;\n"
		   "  verify its quotes with: vouch verify Q --collateral <(vouch sim collateral) --root DIR/sim-root.der\n"
		   "  --state-dir DIR   vouchd's state directory ($VOUCH_STATE_DIR)\n"
		   "  --sgx             collateral for SGX quotes (default: TDX)\n");
}

int cmd_sim(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "collateral") != 0) {
		int help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
		usage(help ? stdout : stderr);
		return help ? 0 : EXIT_USAGE;
	}
	static const struct option opts[] = {{"state-dir", required_argument, 0, 's'}, {"now", required_argument, 0, 'n'},
					     {"sgx", no_argument, 0, 'g'},             {"output", required_argument, 0, 'o'},
					     {"help", no_argument, 0, 'h'},            {0}};
	const char *dir = getenv("VOUCH_STATE_DIR"), *output = "-";
	int64_t now = (int64_t)time(NULL);
	int c, sgx = 0;
	argc--, argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': dir = optarg; break;
		case 'n':
			if (parse_now(optarg, &now)) {
				errorf("sim collateral", "--now: \"%s\" is neither Unix seconds nor RFC 3339", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'g': sgx = 1; break;
		case 'o': output = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || !dir) {
		if (!dir)
			errorf("sim collateral", "give --state-dir (or set VOUCH_STATE_DIR)");
		usage(stderr);
		return EXIT_USAGE;
	}
	vouch_sim *s;
	char msg[512];
	if (vouch_sim_load(&s, dir, msg, sizeof msg)) {
		errorf("sim collateral", "%s", msg);
		return EXIT_NOINPUT;
	}
	vouch_sim_set_time(s, now);
	vouch_collateral_src src;
	int err = vouch_sim_collateral(&src, s, !sgx);
	vouch_sim_free(s);
	if (err) {
		errorf("sim collateral", "%s", vouch_strerror(err));
		return EXIT_UNAVAILABLE;
	}
	char *json = vouch_collateral_to_json(&src);
	vouch_collateral_src_free(&src);
	if (!json)
		return EXIT_UNAVAILABLE;
	size_t len = strlen(json);
	json[len] = '\n';
	int rc = write_file(output, json, len + 1) ? EXIT_NOINPUT : 0;
	free(json);
	return rc;
}
