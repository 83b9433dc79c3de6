/* vouch collateral fetch QUOTE [--pccs URL] [--cache-dir DIR] [--offline] [-o FILE]: collateral in
 * dcap-qvl's JSON format, fetched (or served from the cache) for the quote's platform. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "verify_common.h"
#include "vouch/err.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: vouch collateral fetch QUOTE [options]\n"
		   "  --pccs URL        a PCCS (default: Intel PCS; $VOUCH_PCCS_URL)\n"
		   "  --cache-dir DIR   the cache (default $XDG_CACHE_HOME/vouch or ~/.cache/vouch)\n"
		   "  --no-cache        neither read nor write the cache\n"
		   "  --offline         cache only; never touch the network\n"
		   "  --now TIME        freshness time for the cache (default: the clock)\n"
		   "  -o, --output FILE where to write the JSON (default: stdout)\n");
}

int cmd_collateral(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "fetch") != 0) {
		int help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
		usage(help ? stdout : stderr);
		return help ? 0 : EXIT_USAGE;
	}
	enum { O_PCCS = 256, O_CACHE, O_NOCACHE, O_OFFLINE, O_NOW };
	static const struct option opts[] = {
		{"pccs", required_argument, 0, O_PCCS}, {"cache-dir", required_argument, 0, O_CACHE},
		{"no-cache", no_argument, 0, O_NOCACHE}, {"offline", no_argument, 0, O_OFFLINE},
		{"now", required_argument, 0, O_NOW},   {"output", required_argument, 0, 'o'},
		{"help", no_argument, 0, 'h'},          {0},
	};
	struct verify_args a;
	memset(&a, 0, sizeof a);
	a.now = (int64_t)time(NULL);
	const char *output = "-";
	int c, no_cache = 0;
	argc--, argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case O_PCCS: a.fetch.pccs_url = optarg; break;
		case O_CACHE: a.fetch.cache_dir = optarg; break;
		case O_NOCACHE: no_cache = 1; break;
		case O_OFFLINE: a.fetch.offline = 1; break;
		case O_NOW:
			if (parse_now(optarg, &a.now)) {
				errorf("collateral fetch", "--now: \"%s\" is neither Unix seconds nor RFC 3339", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': output = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || (no_cache && (a.fetch.cache_dir || a.fetch.offline))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	size_t n;
	int read_rc;
	uint8_t *quote = read_quote(argv[optind], &n, &read_rc);
	if (!quote)
		return read_rc;
	if (no_cache)
		a.fetch.cache_dir = "";
	vouch_collateral_src src;
	int none, rc = obtain_collateral(&a, quote, n, &src, &none);
	free(quote);
	if (rc == -2) {
		errorf("collateral fetch", "%s is not a valid quote", argv[optind]);
		return EXIT_INVALID;
	}
	if (rc >= 0)
		return rc;
	char *json = vouch_collateral_to_json(&src);
	vouch_collateral_src_free(&src);
	if (!json)
		return EXIT_UNAVAILABLE;
	size_t len = strlen(json);
	json[len] = '\n';
	rc = write_file(output, json, len + 1) ? EXIT_NOINPUT : 0;
	free(json);
	return rc;
}
