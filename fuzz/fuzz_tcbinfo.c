/* The signed JSON texts (TCB info, QE identity) through the non-allocating JSON reader. The first byte picks
 * the decoder. */
#include "tcbinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static tcb_info t;
	static qe_identity q;
	char msg[128];
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (tcb_info_parse(&t, (const char *)data + 1, size - 1, msg, sizeof msg) == 0) {
			vouch_tcb_result r = {0};
			for (unsigned i = 0; i < t.n_levels; i++)
				advisories_merge(&r, t.levels[i].advisories);
		}
	} else {
		qe_identity_parse(&q, (const char *)data + 1, size - 1, msg, sizeof msg);
	}
	return 0;
}
