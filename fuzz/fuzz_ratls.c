/* RA-TLS certificates: the attestation extension found, decoded and checked against the certificate's key. */
#include <stdlib.h>

#include "vouch/dstack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vouch_dstack_evidence ev;
	char msg[256];
	if (vouch_ratls_evidence(&ev, data, size, msg, sizeof msg) == 0)
		vouch_dstack_evidence_free(&ev);
	return 0;
}
