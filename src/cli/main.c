/* vouch: verify TEE evidence. One verb per file; this table dispatches. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "journal_cli.h"

#define VOUCH_VERSION "0.1.0"

static const struct verb VERBS[] = {
	{"quote", cmd_quote, "show every field of an SGX/TDX quote"},
	{"verify", cmd_verify, "verify a quote (DCAP) or a dstack attestation"},
	{"verify-response", cmd_verify_response, "verify a signed answer of an attested inference gateway, end to end"},
	{"collateral", cmd_collateral, "fetch collateral from Intel PCS or a PCCS into the cache"},
	{"key", cmd_key, "public key and address of a key held by vouchd (sign-only keys too)"},
	{"journal", cmd_journal, "append to vouchd's journal; export, verify and audit its proofs"},
	{"sim", cmd_sim, "the simulated platform: its collateral, for quotes of vouchd --tee=sim"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vouch <verb> [options]    (vouch <verb> --help for details)\n\nverbs:\n");
	for (size_t i = 0; i < sizeof VERBS / sizeof VERBS[0]; i++)
		fprintf(f, "  %-11s %s\n", VERBS[i].name, VERBS[i].summary);
	fprintf(f, "  %-11s %s\n", "version", "print the version");
	fprintf(f, "\nexit codes: 0 verified, 1 verified but rejected by --accept, 2 invalid,\n"
		   "            64 usage, 66 input unreadable, 69 collateral unavailable\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *v = argv[1];
	if (!strcmp(v, "help") || !strcmp(v, "--help") || !strcmp(v, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(v, "version") || !strcmp(v, "--version")) {
		printf("vouch %s\n", VOUCH_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof VERBS / sizeof VERBS[0]; i++)
		if (!strcmp(v, VERBS[i].name))
			return VERBS[i].run(argc - 1, argv + 1);
	fprintf(stderr, "vouch: unknown verb \"%s\"\n", v);
	usage(stderr);
	return EXIT_USAGE;
}
