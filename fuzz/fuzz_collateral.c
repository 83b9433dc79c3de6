/* Collateral JSON (dcap-qvl format) end to end: parsed, then used to verify the real TDX quote, so the CRL,
 * certificate, TCB info and QE identity parsers all see mutated input. */
#include <stdio.h>
#include <stdlib.h>

#include "vouch/dcap.h"

static uint8_t quote[8192];
static size_t quote_len;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!quote_len) {
		FILE *f = fopen(VOUCH_VECTORS_DIR "/dcap/tdx_quote", "rb");
		if (!f)
			abort();
		quote_len = fread(quote, 1, sizeof quote, f);
		fclose(f);
	}
	vouch_collateral_src src;
	char msg[128];
	if (vouch_collateral_parse_json(&src, (const char *)data, size, msg, sizeof msg) == 0) {
		static vouch_verdict v;
		vouch_verify_with(&v, NULL, &src, quote, quote_len, 1752919234);
		int64_t t;
		vouch_collateral_expiry(&t, &src);
		vouch_collateral_src_free(&src);
	}
	return 0;
}
