/* dstack evidence: Attest V0 SCALE bytes or GetQuote/Attest JSON, then the whole verification. */
#include <stdlib.h>

#include "vouch/dstack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vouch_attestation a;
	vouch_eventlog log;
	if (vouch_attestation_decode(&a, data, size) == 0 && vouch_attestation_eventlog(&log, &a) == 0)
		vouch_eventlog_free(&log);
	vouch_dstack_evidence ev;
	char msg[128];
	if (vouch_dstack_evidence_parse(&ev, data, size, msg, sizeof msg) == 0) {
		static vouch_verdict v;
		static vouch_dstack_result r;
		vouch_dstack_verify(&r, &v, &ev, NULL, NULL, 1780272000);
		free(vouch_dstack_result_json(&r, &v, &ev));
		vouch_dstack_evidence_free(&ev);
	}
	return 0;
}
