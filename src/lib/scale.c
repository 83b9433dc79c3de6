/* dstack's Attest V0: a SCALE encoding (spec §16.1). Decoding allocates nothing; every Vec and String is
 * a compact length then bytes, checked against what remains. */
#include <stdlib.h>

#include "scale.h"
#include "vouch/eventlog.h"

/* SCALE compact integer: mode in the low 2 bits. Non-canonical encodings (a value that fits a shorter
 * mode) are refused. */
static uint64_t compact(rd *r)
{
	const uint8_t *p = rd_take(r, 1, VOUCH_E_SCALE);
	if (!p)
		return 0;
	uint64_t v;
	switch (p[0] & 3) {
	case 0:
		return p[0] >> 2;
	case 1: {
		const uint8_t *q = rd_take(r, 1, VOUCH_E_SCALE);
		if (!q)
			return 0;
		v = (uint64_t)(p[0] | q[0] << 8) >> 2;
		if (v < 64)
			rd_fail(r, VOUCH_E_SCALE);
		return v;
	}
	case 2: {
		const uint8_t *q = rd_take(r, 3, VOUCH_E_SCALE);
		if (!q)
			return 0;
		v = ((uint64_t)p[0] | (uint64_t)q[0] << 8 | (uint64_t)q[1] << 16 | (uint64_t)q[2] << 24) >> 2;
		if (v < (1u << 14))
			rd_fail(r, VOUCH_E_SCALE);
		return v;
	}
	default: {
		size_t n = (size_t)(p[0] >> 2) + 4;
		const uint8_t *q = rd_take(r, n, VOUCH_E_SCALE);
		if (!q || n > 8 || q[n - 1] == 0) { /* lengths beyond 64 bits, or a needless high zero byte */
			rd_fail(r, VOUCH_E_SCALE);
			return 0;
		}
		v = 0;
		for (size_t i = n; i-- > 0;)
			v = v << 8 | q[i];
		if (v < (1u << 30))
			rd_fail(r, VOUCH_E_SCALE);
		return v;
	}
	}
}

/* Vec<u8> / String */
static vouch_bytes bytes(rd *r)
{
	uint64_t n = compact(r);
	if (n > rd_left(r)) {
		rd_fail(r, VOUCH_E_SCALE);
		return (vouch_bytes){NULL, 0};
	}
	const uint8_t *p = rd_take(r, (size_t)n, VOUCH_E_SCALE);
	return (vouch_bytes){p, (size_t)n};
}

/* One TdxEvent: imr u32, event_type u32, digest, event, event_payload. */
static void tdx_event(rd *r, vouch_event *e)
{
	e->imr = rd_u32(r, VOUCH_E_SCALE);
	e->event_type = rd_u32(r, VOUCH_E_SCALE);
	vouch_bytes d = bytes(r), name = bytes(r), payload = bytes(r);
	if (r->err)
		return;
	if (d.len != 0 && d.len != 48) {
		rd_fail(r, VOUCH_E_SCALE);
		return;
	}
	e->has_digest = d.len == 48;
	if (e->has_digest)
		memcpy(e->digest, d.p, 48);
	e->name = (const char *)name.p;
	e->name_len = name.len;
	e->payload = payload.p;
	e->payload_len = payload.len;
	e->version = 1;
}

/* Walks a Vec of items, each parsed by `item`; returns the count and the items' byte range. */
static size_t vec(rd *r, vouch_bytes *range, int runtime)
{
	uint64_t n = compact(r);
	const uint8_t *start = r->p;
	/* every item is at least 2 (runtime event) or 11 (TDX event) bytes: a cheap bound before walking */
	if (r->err || n > rd_left(r) / (runtime ? 2 : 11)) {
		rd_fail(r, VOUCH_E_SCALE);
		return 0;
	}
	for (uint64_t i = 0; i < n && !r->err; i++) {
		if (runtime) {
			bytes(r);
			bytes(r);
		} else {
			vouch_event e;
			tdx_event(r, &e);
		}
	}
	*range = (vouch_bytes){start, (size_t)(r->p - start)};
	return (size_t)n;
}

int vouch_attestation_decode(vouch_attestation *out, const uint8_t *buf, size_t len)
{
	if (!out)
		return VOUCH_E_ARG;
	memset(out, 0, sizeof *out);
	if (!buf || len == 0)
		return VOUCH_E_SCALE;
	if (len > VOUCH_ATTESTATION_MAX)
		return VOUCH_E_LIMIT;
	if ((buf[0] & 0xf0) == 0x80 || buf[0] == 0xde || buf[0] == 0xdf)
		return VOUCH_E_ATTEST_VERSION; /* V1: MessagePack */
	if (buf[0] != 0)
		return VOUCH_E_SCALE;
	vouch_attestation a;
	memset(&a, 0, sizeof a);
	rd r = rd_init(buf + 1, len - 1);
	const uint8_t *tag = rd_take(&r, 1, VOUCH_E_SCALE);
	if (!tag)
		return VOUCH_E_SCALE;
	a.platform = tag[0];
	if (a.platform != 0)
		return a.platform <= 4 ? VOUCH_E_ATTEST_VERSION : VOUCH_E_SCALE;
	a.quote = bytes(&r);
	a.n_events = vec(&r, &a.events, 0);
	a.n_runtime_events = vec(&r, &a.runtime_events, 1);
	a.report_data = rd_take(&r, 64, VOUCH_E_SCALE);
	a.config = bytes(&r);
	if (r.err)
		return r.err;
	if (rd_left(&r)) /* no trailing bytes (spec §16.1) */
		return VOUCH_E_SCALE;
	*out = a;
	return 0;
}

int vouch_attestation_eventlog(vouch_eventlog *out, const vouch_attestation *a)
{
	memset(out, 0, sizeof *out);
	out->events = calloc(a->n_events ? a->n_events : 1, sizeof *out->events);
	if (!out->events)
		return VOUCH_E_NOMEM;
	rd r = rd_init(a->events.p, a->events.len);
	for (size_t i = 0; i < a->n_events; i++)
		tdx_event(&r, &out->events[i]);
	if (r.err) { /* cannot happen for a decoded attestation */
		vouch_eventlog_free(out);
		return VOUCH_E_SCALE;
	}
	out->n = a->n_events;
	return 0;
}

int attestation_runtime_event(const vouch_attestation *a, size_t i, vouch_bytes *name, vouch_bytes *payload)
{
	rd r = rd_init(a->runtime_events.p, a->runtime_events.len);
	for (size_t k = 0; k <= i; k++) {
		*name = bytes(&r);
		*payload = bytes(&r);
	}
	return r.err;
}

/* ---- encoding ---- */

typedef struct sw {
	uint8_t *p;
	size_t n, cap;
	int err;
} sw;

static void sw_put(sw *w, const void *src, size_t n)
{
	if (w->err)
		return;
	if (w->n + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->n + n)
			cap *= 2;
		uint8_t *p = realloc(w->p, cap);
		if (!p) {
			w->err = VOUCH_E_NOMEM;
			return;
		}
		w->p = p, w->cap = cap;
	}
	if (n)
		memcpy(w->p + w->n, src, n);
	w->n += n;
}

static void sw_compact(sw *w, uint64_t v)
{
	uint8_t b[9];
	if (v < 64) {
		b[0] = (uint8_t)(v << 2);
		sw_put(w, b, 1);
	} else if (v < (1u << 14)) {
		uint16_t x = (uint16_t)(v << 2 | 1);
		b[0] = (uint8_t)x, b[1] = (uint8_t)(x >> 8);
		sw_put(w, b, 2);
	} else if (v < (1u << 30)) {
		uint32_t x = (uint32_t)(v << 2 | 2);
		for (int i = 0; i < 4; i++)
			b[i] = (uint8_t)(x >> (8 * i));
		sw_put(w, b, 4);
	} else {
		int n = 4;
		while (n < 8 && (v >> (8 * n)))
			n++;
		b[0] = (uint8_t)((n - 4) << 2 | 3);
		for (int i = 0; i < n; i++)
			b[1 + i] = (uint8_t)(v >> (8 * i));
		sw_put(w, b, (size_t)n + 1);
	}
}

static void sw_bytes(sw *w, const void *p, size_t n)
{
	sw_compact(w, n);
	sw_put(w, p, n);
}

static void sw_u32(sw *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	sw_put(w, b, 4);
}

static int is_runtime(const vouch_event *e)
{
	return e->imr == 3 && e->event_type == VOUCH_RUNTIME_EVENT_TYPE;
}

int vouch_attestation_encode(uint8_t **out, size_t *len, const uint8_t *quote, size_t quote_len,
			     const vouch_eventlog *log, const uint8_t report_data[64], const char *config,
			     size_t config_len)
{
	sw w = {0};
	uint8_t head[2] = {0, 0}; /* V0, DstackTdx */
	sw_put(&w, head, 2);
	sw_bytes(&w, quote, quote_len);
	sw_compact(&w, log->n);
	size_t runtime = 0;
	for (size_t i = 0; i < log->n; i++) {
		const vouch_event *e = &log->events[i];
		uint8_t d[48];
		memcpy(d, e->digest, 48);
		if (is_runtime(e)) {
			runtime++;
			if (!e->has_digest)
				vouch_runtime_event_digest_v1(d, e->name, e->name_len, e->payload, e->payload_len);
		}
		sw_u32(&w, e->imr);
		sw_u32(&w, e->event_type);
		sw_bytes(&w, d, e->has_digest || is_runtime(e) ? 48 : 0);
		sw_bytes(&w, e->name, e->name_len);
		sw_bytes(&w, e->payload, e->payload_len);
	}
	sw_compact(&w, runtime);
	for (size_t i = 0; i < log->n; i++)
		if (is_runtime(&log->events[i])) {
			sw_bytes(&w, log->events[i].name, log->events[i].name_len);
			sw_bytes(&w, log->events[i].payload, log->events[i].payload_len);
		}
	sw_put(&w, report_data, 64);
	sw_bytes(&w, config, config_len);
	if (w.err) {
		free(w.p);
		return w.err;
	}
	*out = w.p;
	*len = w.n;
	return 0;
}
