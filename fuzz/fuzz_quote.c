/* Quote decoding and, for what decodes, the JSON rendering and a verification without collateral. */
#include <stdlib.h>

#include "vouch/dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vouch_quote q;
	if (vouch_quote_parse(&q, data, size) == 0) {
		free(vouch_quote_json(&q));
		static vouch_verdict v;
		vouch_verify_with(&v, NULL, NULL, data, size, 1752919234);
		free(vouch_verdict_json(&v));
	}
	return 0;
}
