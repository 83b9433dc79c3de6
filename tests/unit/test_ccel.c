/* TCG (CCEL) boot event logs. No real CCEL table is shipped: the dstack simulator fixture carries the boot
 * events of a real TD (TDVF's RTMR0–2 records, real SHA-384 digests) in dstack's form, so the test writes them
 * in the CCEL layout, parses them back and replays them to the RTMR0–2 of the fixture's quote. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test.h"
#include "vouch/dstack.h"
#include "vouch/quote.h"
#include "vouch/util.h"

/* The fixture's boot events (imr 0..2) as a CCEL table of `pad` bytes, and the fixture's quote. */
static uint8_t *fixture_ccel(size_t pad, size_t *len, vouch_quote *q, uint8_t **keep)
{
	size_t n;
	uint8_t *b = test_read("dstack-simulator/attestation.bin", &n);
	vouch_attestation a;
	vouch_eventlog log;
	uint8_t *out = NULL;
	if (vouch_attestation_decode(&a, b, n) || vouch_attestation_eventlog(&log, &a) ||
	    vouch_quote_parse(q, a.quote.p, a.quote.len)) {
		free(b);
		return NULL;
	}
	size_t boot = 0;
	while (boot < log.n && log.events[boot].imr < 3)
		boot++;
	vouch_eventlog only = {log.events, boot, NULL};
	if (vouch_ccel_encode(&out, len, &only, pad))
		out = NULL;
	vouch_eventlog_free(&log);
	*keep = b; /* the quote points into it */
	return out;
}

static void fixture_boot_log_replays_to_the_quote(void)
{
	size_t len;
	vouch_quote q;
	uint8_t *keep, *ccel = fixture_ccel(65536, &len, &q, &keep);
	CHECK(ccel);
	CHECK_INT(len, 65536);
	vouch_eventlog log;
	char msg[256];
	CHECK_OK(vouch_ccel_parse(&log, ccel, len, msg, sizeof msg));
	CHECK_INT(log.n, 24);
	uint8_t rtmr[4][48];
	CHECK_OK(vouch_eventlog_replay(rtmr, &log, msg, sizeof msg));
	for (int i = 0; i < 3; i++)
		CHECK(memcmp(rtmr[i], q.td.rtmr[i], 48) == 0);
	CHECK(all_zero(rtmr[3], 48));
	CHECK_STR(log.events[0].name, "");
	CHECK_INT(log.events[0].event_type, 0x8000000b);
	/* the same bytes re-encoded, without padding: the parser needs no end marker at the very end */
	uint8_t *again;
	size_t again_len;
	CHECK_OK(vouch_ccel_encode(&again, &again_len, &log, 0));
	vouch_eventlog log2;
	CHECK_OK(vouch_ccel_parse(&log2, again, again_len - 4, msg, sizeof msg));
	CHECK_INT(log2.n, 24);
	CHECK(memcmp(log2.events[23].digest, log.events[23].digest, 48) == 0);
	vouch_eventlog_free(&log2);
	vouch_eventlog_free(&log);
	free(again);
	free(ccel);
	free(keep);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

/* A one-event log to mutate: the header (65 bytes: 32 + a 33-byte Spec ID event), then the event at 65. */
#define EV 65
static uint8_t *one_event(size_t *len)
{
	static const uint8_t payload[] = "kernel";
	vouch_event e = {.imr = 1, .event_type = 0x80000003, .payload = payload, .payload_len = 6};
	memset(e.digest, 0xab, 48);
	vouch_eventlog log = {&e, 1, NULL};
	uint8_t *b;
	return vouch_ccel_encode(&b, len, &log, 0) ? NULL : b;
}

static int parse_err(const uint8_t *b, size_t len, const char *want)
{
	vouch_eventlog log;
	char msg[256] = "";
	int e = vouch_ccel_parse(&log, b, len, msg, sizeof msg);
	if (e == 0) {
		vouch_eventlog_free(&log);
		return 0;
	}
	if (!strstr(msg, want)) {
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", msg, want);
		return 0;
	}
	return e == VOUCH_E_EVENTLOG;
}

static void malformed_logs_are_refused(void)
{
	size_t len;
	uint8_t *b = one_event(&len), *c = malloc(len + 64);
	CHECK(b && c);
	CHECK_INT(len, EV + 66 + 6 + 4);
	vouch_eventlog log;
	char msg[256];
	CHECK_OK(vouch_ccel_parse(&log, b, len, msg, sizeof msg));
	CHECK_INT(log.n, 1);
	CHECK_INT(log.events[0].imr, 1);
	CHECK(log.events[0].payload_len == 6 && memcmp(log.events[0].payload, "kernel", 6) == 0);
	vouch_eventlog_free(&log);

	/* every truncation inside the header or the event */
	for (size_t cut = 0; cut < len - 4; cut++) {
		if (cut == EV)
			continue; /* a log of just the header is valid */
		CHECK(parse_err(b, cut, cut < EV ? "header" : cut < EV + 4 ? "stray bytes" : "event 0"));
	}
#define MUTATE(off, val, want)                                                                                     \
	do {                                                                                                       \
		memcpy(c, b, len);                                                                                 \
		put32(c + (off), (val));                                                                           \
		CHECK(parse_err(c, len, want));                                                                    \
	} while (0)
	MUTATE(0, 1, "not the Spec ID header");              /* header MR index */
	MUTATE(4, 4, "not the Spec ID header");              /* header type */
	MUTATE(28, 34, "trailing bytes");                    /* header size one too many: eats into the event */
	MUTATE(32, 0x43434343, "Spec ID Event03");           /* signature */
	MUTATE(56, 0, "digest algorithms");                  /* algorithm count 0 */
	MUTATE(56, 17, "digest algorithms");                 /* too many */
	MUTATE(56, 2, "malformed Spec ID header");           /* the table runs past the header */
	MUTATE(60, 0x0030000b, "no SHA-384");                /* SHA-256 only */
	MUTATE(60, 0x0020000c, "size other than 48");        /* SHA-384 said to be 32 bytes */
	MUTATE(EV, 5, "MR index 5");
	MUTATE(EV + 8, 0, "has 0 digests");
	MUTATE(EV + 8, 2, "has 2 digests");
	MUTATE(EV + 12, 0x0b, "algorithm 0x000b");           /* (the u32 write also clears 2 digest bytes) */
	MUTATE(EV + 62, 100, "event 0 is truncated");        /* data size past the end */
	MUTATE(EV + 62, 0xffffffff, "event 0 is truncated");
	/* stray bytes after the last event, fewer than a record's MR index */
	memcpy(c, b, len - 4);
	memset(c + len - 4, 0, 3);
	CHECK(parse_err(c, len - 1, "3 stray bytes"));

	/* MRTD and EV_NO_ACTION records are dropped, not replayed */
	memcpy(c, b, len);
	put32(c + EV, 0);
	CHECK_OK(vouch_ccel_parse(&log, c, len, msg, sizeof msg));
	CHECK_INT(log.n, 0);
	vouch_eventlog_free(&log);
	put32(c + EV, 2);
	put32(c + EV + 4, 3);
	CHECK_OK(vouch_ccel_parse(&log, c, len, msg, sizeof msg));
	CHECK_INT(log.n, 0);
	vouch_eventlog_free(&log);
	free(b);
	free(c);
}

static void too_many_events_are_refused(void)
{
	size_t n = VOUCH_EVENTLOG_MAX_EVENTS + 1;
	vouch_event *ev = calloc(n, sizeof *ev);
	CHECK(ev);
	for (size_t i = 0; i < n; i++)
		ev[i].imr = 2, ev[i].event_type = 6, ev[i].payload = (const uint8_t *)"", ev[i].payload_len = 0;
	vouch_eventlog log = {ev, n, NULL}, back;
	uint8_t *b;
	size_t len;
	char msg[256] = "";
	CHECK_OK(vouch_ccel_encode(&b, &len, &log, 0));
	CHECK_ERR(vouch_ccel_parse(&back, b, len, msg, sizeof msg), VOUCH_E_EVENTLOG);
	CHECK(strstr(msg, "more than 4096 events"));
	free(b);
	free(ev);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(fixture_boot_log_replays_to_the_quote),
		T(malformed_logs_are_refused),
		T(too_many_events_are_refused),
	};
	return test_main(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
