/* dstack event-log JSON: parse, replay, write back. */
#include <stdlib.h>

#include "vouch/eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vouch_eventlog log;
	char msg[128];
	if (vouch_eventlog_parse_json(&log, (const char *)data, size, msg, sizeof msg) == 0) {
		uint8_t rtmr[4][48];
		vouch_eventlog_replay(rtmr, &log, msg, sizeof msg);
		free(vouch_eventlog_json(&log));
		vouch_eventlog_free(&log);
	}
	return 0;
}
