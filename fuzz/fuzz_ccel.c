/* TCG (CCEL) boot event logs: parse, replay, write back as dstack JSON and as CCEL, parse again. */
#include <stdlib.h>
#include <string.h>

#include "vouch/eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vouch_eventlog log, back;
	char msg[128];
	if (vouch_ccel_parse(&log, data, size, msg, sizeof msg) == 0) {
		uint8_t rtmr[4][48], rtmr2[4][48], *b;
		size_t len;
		vouch_eventlog_replay(rtmr, &log, msg, sizeof msg);
		free(vouch_eventlog_json(&log));
		if (vouch_ccel_encode(&b, &len, &log, 0) == 0) {
			/* what was parsed survives a round trip */
			if (vouch_ccel_parse(&back, b, len, msg, sizeof msg) != 0 || back.n != log.n)
				abort();
			vouch_eventlog_replay(rtmr2, &back, msg, sizeof msg);
			if (memcmp(rtmr, rtmr2, sizeof rtmr) != 0)
				abort();
			vouch_eventlog_free(&back);
			free(b);
		}
		vouch_eventlog_free(&log);
	}
	return 0;
}
