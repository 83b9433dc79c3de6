/* Journal proof bundles: parsing and every verification step, with the fixture's simulated root at the
 * fixture's export time, so that inputs close to the seed get past the quote. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/journal_bundle.h"
#include "vouch/util.h"

static uint8_t *root;
static size_t root_len;
static int64_t when;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	uint8_t *b;
	size_t n;
	if (vouch_file_read(VOUCH_VECTORS_DIR "/vouch/journal-sim-root.der", 1u << 20, &root, &root_len) ||
	    vouch_file_read(VOUCH_VECTORS_DIR "/vouch/journal-bundle.json", 1u << 24, &b, &n))
		abort();
	const char *p = strstr((const char *)b, "\"exported_ms\":");
	when = p ? strtoll(p + 14, NULL, 10) / 1000 : 0;
	free(b);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vouch_journal_verdict v;
	vouch_journal_verify_opts o = {.root_der = root, .root_der_len = root_len, .now = when};
	vouch_journal_bundle_verify(&v, (const char *)data, size, &o);
	free(vouch_journal_verdict_json(&v));
	vouch_journal_verdict_free(&v);
	return 0;
}
