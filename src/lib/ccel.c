/* The boot event log of a TD as the ACPI CCEL table hands it over (TDVF): a TCG PC Client "crypto agile"
 * log. Layout, all little-endian:
 *   header  TCG_PCClientPCREvent: mr_index u32, type u32 (EV_NO_ACTION), sha1[20], size u32, and a
 *           TCG_EfiSpecIdEvent: "Spec ID Event03\0", platform class u32, version 3×u8, uintn size u8,
 *           algorithm count u32, {algorithm id u16, digest size u16}×count, vendor info (u8 length)
 *   events  TCG_PCR_EVENT2: mr_index u32, type u32, digest count u32, {algorithm id u16, digest}×count,
 *           size u32, data[size]
 * until an mr_index of 0xFFFFFFFF (the table is padded with 0xFF) or the end of the data. MR index 0 is
 * MRTD, 1..4 are RTMR0..3; dstack's imr is the MR index − 1. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "vouch/err.h"
#include "vouch/eventlog.h"

#define EV_NO_ACTION 3u
#define ALG_SHA384 0x000c
#define MAX_ALGS 16

static const uint8_t SPEC_ID[16] = "Spec ID Event03";

struct alg {
	uint16_t id, size;
};

/* The Spec ID header: fills the algorithm table, checks that SHA-384 is in it. */
static int parse_header(rd *r, struct alg *algs, uint32_t *n_algs, char *msg, size_t cap)
{
	uint32_t index = rd_u32(r, VOUCH_E_EVENTLOG), type = rd_u32(r, VOUCH_E_EVENTLOG);
	rd_take(r, 20, VOUCH_E_EVENTLOG);
	uint32_t size = rd_u32(r, VOUCH_E_EVENTLOG);
	const uint8_t *body = rd_take(r, size, VOUCH_E_EVENTLOG);
	if (!body) {
		msgf(msg, cap, "TCG event log: truncated header");
		return VOUCH_E_EVENTLOG;
	}
	if (index != 0 || type != EV_NO_ACTION) {
		msgf(msg, cap, "TCG event log: the first record is not the Spec ID header (MR %u, type %u)", index, type);
		return VOUCH_E_EVENTLOG;
	}
	rd h = rd_init(body, size);
	const uint8_t *sig = rd_take(&h, 16, VOUCH_E_EVENTLOG);
	if (!sig || memcmp(sig, SPEC_ID, 16) != 0) {
		msgf(msg, cap, "TCG event log: the header is not a \"Spec ID Event03\" (not a crypto-agile log)");
		return VOUCH_E_EVENTLOG;
	}
	rd_take(&h, 8, VOUCH_E_EVENTLOG); /* platform class, spec version, errata, uintn size */
	*n_algs = rd_u32(&h, VOUCH_E_EVENTLOG);
	if (!h.err && (*n_algs == 0 || *n_algs > MAX_ALGS)) {
		msgf(msg, cap, "TCG event log: %u digest algorithms in the header (1 to %d)", *n_algs, MAX_ALGS);
		return VOUCH_E_EVENTLOG;
	}
	int sha384 = 0;
	for (uint32_t i = 0; i < *n_algs && !h.err; i++) {
		algs[i].id = rd_u16(&h, VOUCH_E_EVENTLOG);
		algs[i].size = rd_u16(&h, VOUCH_E_EVENTLOG);
		if (algs[i].id == ALG_SHA384)
			sha384 = algs[i].size == 48 ? 1 : -1;
	}
	const uint8_t *vlen = rd_take(&h, 1, VOUCH_E_EVENTLOG);
	if (vlen)
		rd_take(&h, *vlen, VOUCH_E_EVENTLOG);
	if (h.err || rd_left(&h)) {
		msgf(msg, cap, "TCG event log: malformed Spec ID header (%s)", h.err ? "truncated" : "trailing bytes");
		return VOUCH_E_EVENTLOG;
	}
	if (sha384 != 1) {
		msgf(msg, cap, "TCG event log: %s", sha384 ? "SHA-384 listed with a size other than 48"
							     : "the header lists no SHA-384 digests");
		return VOUCH_E_EVENTLOG;
	}
	return 0;
}

/* One TCG_PCR_EVENT2 (after its mr_index): its SHA-384 digest and data. */
static int parse_event(rd *r, const struct alg *algs, uint32_t n_algs, vouch_event *e, size_t index, char *msg,
		       size_t cap)
{
	e->event_type = rd_u32(r, VOUCH_E_EVENTLOG);
	uint32_t count = rd_u32(r, VOUCH_E_EVENTLOG);
	if (!r->err && (count == 0 || count > n_algs)) {
		msgf(msg, cap, "TCG event log: event %zu has %u digests (the header lists %u algorithms)", index, count,
		     n_algs);
		return VOUCH_E_EVENTLOG;
	}
	int have = 0;
	for (uint32_t i = 0; i < count && !r->err; i++) {
		uint16_t id = rd_u16(r, VOUCH_E_EVENTLOG);
		uint32_t k = 0;
		while (k < n_algs && algs[k].id != id)
			k++;
		if (!r->err && k == n_algs) {
			msgf(msg, cap, "TCG event log: event %zu uses digest algorithm 0x%04x, not in the header", index, id);
			return VOUCH_E_EVENTLOG;
		}
		const uint8_t *d = rd_take(r, k < n_algs ? algs[k].size : 0, VOUCH_E_EVENTLOG);
		if (d && id == ALG_SHA384) {
			memcpy(e->digest, d, 48);
			have++;
		}
	}
	uint32_t size = rd_u32(r, VOUCH_E_EVENTLOG);
	e->payload = rd_take(r, size, VOUCH_E_EVENTLOG);
	e->payload_len = size;
	if (r->err) {
		msgf(msg, cap, "TCG event log: event %zu is truncated", index);
		return VOUCH_E_EVENTLOG;
	}
	if (have != 1) {
		msgf(msg, cap, "TCG event log: event %zu has %s SHA-384 digest", index, have ? "more than one" : "no");
		return VOUCH_E_EVENTLOG;
	}
	e->has_digest = 1;
	e->version = 1;
	e->name = "";
	return 0;
}

int vouch_ccel_parse(vouch_eventlog *out, const uint8_t *buf, size_t len, char *msg, size_t cap)
{
	memset(out, 0, sizeof *out);
	struct alg algs[MAX_ALGS];
	uint32_t n_algs = 0;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return VOUCH_E_NOMEM;
	memcpy(copy, buf, len);
	out->arena = copy;
	rd r = rd_init(copy, len);
	int e = parse_header(&r, algs, &n_algs, msg, cap);
	for (size_t i = 0; !e && rd_left(&r) > 0; i++) {
		if (rd_left(&r) < 4) {
			msgf(msg, cap, "TCG event log: %zu stray bytes at the end", rd_left(&r));
			e = VOUCH_E_EVENTLOG;
			break;
		}
		uint32_t mr = rd_u32(&r, VOUCH_E_EVENTLOG);
		if (mr == 0xffffffffu)
			break; /* the end marker: the rest is padding */
		if (mr > 4) {
			msgf(msg, cap, "TCG event log: event %zu is for MR index %u (0 to 4 in a TD)", i, mr);
			e = VOUCH_E_EVENTLOG;
			break;
		}
		vouch_event ev = {0};
		if ((e = parse_event(&r, algs, n_algs, &ev, i, msg, cap)))
			break;
		/* MRTD is measured by the TDX module, not extended; EV_NO_ACTION records extend nothing */
		if (mr == 0 || ev.event_type == EV_NO_ACTION)
			continue;
		if (out->n == VOUCH_EVENTLOG_MAX_EVENTS) {
			msgf(msg, cap, "TCG event log: more than %d events", VOUCH_EVENTLOG_MAX_EVENTS);
			e = VOUCH_E_EVENTLOG;
			break;
		}
		if (out->n % 64 == 0) {
			vouch_event *grown = realloc(out->events, (out->n + 64) * sizeof *grown);
			if (!grown) {
				e = VOUCH_E_NOMEM;
				break;
			}
			out->events = grown;
		}
		ev.imr = mr - 1;
		out->events[out->n++] = ev;
	}
	if (e)
		vouch_eventlog_free(out);
	return e;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

int vouch_ccel_encode(uint8_t **out, size_t *len, const vouch_eventlog *log, size_t pad_to)
{
	static const uint8_t header_tail[] = {
		0, 0, 0, 0, /* platform class: client */
		0, 2, 2, 2, /* spec version 2.0 errata 2, uintn size 2 (64-bit) */
		1, 0, 0, 0, /* one algorithm */
		ALG_SHA384, 0, 48, 0, /* SHA-384, 48 bytes */
		0,          /* no vendor info */
	};
	size_t header = 4 + 4 + 20 + 4 + sizeof SPEC_ID + sizeof header_tail, n = header + 4;
	for (size_t i = 0; i < log->n; i++)
		n += 4 + 4 + 4 + 2 + 48 + 4 + log->events[i].payload_len;
	size_t total = n > pad_to ? n : pad_to;
	uint8_t *b = malloc(total), *p = b;
	if (!b)
		return VOUCH_E_NOMEM;
	memset(b, 0xff, total);
	put32(p, 0), put32(p + 4, EV_NO_ACTION);
	memset(p + 8, 0, 20);
	put32(p + 28, (uint32_t)(sizeof SPEC_ID + sizeof header_tail));
	memcpy(p + 32, SPEC_ID, sizeof SPEC_ID);
	memcpy(p + 32 + sizeof SPEC_ID, header_tail, sizeof header_tail);
	p += header;
	for (size_t i = 0; i < log->n; i++) {
		const vouch_event *e = &log->events[i];
		put32(p, e->imr + 1), put32(p + 4, e->event_type), put32(p + 8, 1);
		p[12] = ALG_SHA384, p[13] = 0;
		memcpy(p + 14, e->digest, 48);
		put32(p + 62, (uint32_t)e->payload_len);
		if (e->payload_len)
			memcpy(p + 66, e->payload, e->payload_len);
		p += 66 + e->payload_len;
	}
	/* the end marker (0xFFFFFFFF) is already there, and so is the padding */
	*out = b;
	*len = total;
	return 0;
}
