/* Signed answers (receipt.h): input = request \0 response \0 signature document \0 report document. The
 * documents are checked; when they pass, the report's evidence is parsed and its quote's report data goes to
 * the binding step, as vouch verify-response does (the quote's DCAP verification is fuzzed elsewhere). */
#include <stdlib.h>
#include <string.h>

#include "vouch/dstack.h"
#include "vouch/quote.h"
#include "vouch/receipt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[4], *end = data + size, *p = data;
	size_t len[4];
	for (int i = 0; i < 4; i++) {
		const uint8_t *z = i < 3 ? memchr(p, 0, (size_t)(end - p)) : end;
		if (!z)
			return 0;
		part[i] = p, len[i] = (size_t)(z - p);
		p = z + (i < 3);
	}
	vouch_receipt_check c;
	if (!vouch_receipt_check_documents(&c, part[0], len[0], part[1], len[1], (const char *)part[2], len[2],
					   (const char *)part[3], len[3])) {
		vouch_dstack_evidence ev;
		char msg[128];
		vouch_quote q;
		if (!vouch_dstack_evidence_parse(&ev, (const uint8_t *)c.evidence, c.evidence_len, msg, sizeof msg)) {
			if (!vouch_quote_parse(&q, ev.quote.p, ev.quote.len)) {
				vouch_receipt_check_quote(&c, 1, "not verified (fuzzing)");
				vouch_receipt_check_binding(&c, q.td.report_data, NULL, NULL);
			}
			vouch_dstack_evidence_free(&ev);
		}
	}
	vouch_receipt_check_free(&c);
	return 0;
}
