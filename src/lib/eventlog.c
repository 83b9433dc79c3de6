/* dstack event logs: JSON parsing, runtime-event digests (V1 and V2) and RTMR replay. */
#include <stdio.h>
#include <stdlib.h>


#include "crypto.h"
#include "internal.h"
#include "jsonout.h"
#include "jsonw.h"
#include "vouch/eventlog.h"
#include "vouch/util.h"

void vouch_runtime_event_digest_v1(uint8_t out[48], const char *name, size_t name_len, const uint8_t *payload,
				   size_t payload_len)
{
	/* the hashed bytes are small for every real event; larger ones go through a heap buffer */
	uint8_t stack[512], *b = stack;
	size_t n = 4 + 1 + name_len + 1 + payload_len;
	if (n > sizeof stack && !(b = malloc(n))) {
		memset(out, 0, 48);
		return;
	}
	b[0] = 0x01, b[1] = 0x00, b[2] = 0x00, b[3] = 0x08; /* LE32(0x08000001) */
	b[4] = ':';
	memcpy(b + 5, name, name_len);
	b[5 + name_len] = ':';
	if (payload_len)
		memcpy(b + 6 + name_len, payload, payload_len);
	sha384(out, b, n);
	if (b != stack)
		free(b);
}

int vouch_runtime_event_reserved(const char *name, size_t len)
{
	static const char *const boot[] = {
		"system-preparing", "app-id",       "compose-hash",  "init-script-hash", "gpu-policy-hash", "gpu-attestation",
		"instance-id",      "boot-mr-done", "os-image-hash", "key-provider",     "storage-fs",      "system-ready",
	};
	if (len >= 6 && memcmp(name, "vouch-", 6) == 0)
		return 1;
	for (size_t i = 0; i < sizeof boot / sizeof boot[0]; i++)
		if (strlen(boot[i]) == len && memcmp(boot[i], name, len) == 0)
			return 1;
	return 0;
}

/* A JSON string per RFC 8785: '"' and '\' escaped, control characters as \b \f \n \r \t or \u00xx (lowercase),
 * everything else (UTF-8 included) verbatim. */
static size_t jcs_string(char *o, size_t cap, size_t at, const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
#define PUT(c)                                                                                                     \
	do {                                                                                                       \
		if (at + 1 >= cap)                                                                                 \
			return (size_t)-1;                                                                         \
		o[at++] = (c);                                                                                     \
	} while (0)
	PUT('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\f' ? "\\f"
				  : c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
		if (esc) {
			PUT(esc[0]);
			PUT(esc[1]);
		} else if (c < 0x20) {
			PUT('\\');
			PUT('u');
			PUT('0');
			PUT('0');
			PUT(hexd[c >> 4]);
			PUT(hexd[c & 15]);
		} else {
			PUT((char)c);
		}
	}
	PUT('"');
#undef PUT
	return at;
}

size_t vouch_runtime_event_preimage_v2(char *buf, size_t cap, const char *name, size_t name_len,
				       const uint8_t *payload, size_t payload_len)
{
	static const char a[] = "{\"name\":", b[] = ",\"payload\":\"", c[] = "\",\"type\":134217729}";
	size_t at = 0;
	if (cap < sizeof a + sizeof b + sizeof c + 2 * payload_len + 2)
		return 0;
	memcpy(buf, a, sizeof a - 1);
	at = jcs_string(buf, cap - (sizeof b + sizeof c + 2 * payload_len), sizeof a - 1, name, name_len);
	if (at == (size_t)-1)
		return 0;
	memcpy(buf + at, b, sizeof b - 1);
	at += sizeof b - 1;
	vouch_hex_encode(buf + at, payload, payload_len);
	at += 2 * payload_len;
	memcpy(buf + at, c, sizeof c - 1);
	at += sizeof c - 1;
	buf[at] = 0;
	return at;
}

/* The digest a runtime event must have; 0 or an error (V2 preimage missing or wrong). */
static int runtime_digest(uint8_t out[48], const vouch_event *e, size_t index, char *msg, size_t cap)
{
	if (e->version <= 1) {
		vouch_runtime_event_digest_v1(out, e->name, e->name_len, e->payload, e->payload_len);
		return 0;
	}
	if (e->version != 2) {
		msgf(msg, cap, "event %zu (%.*s): unknown runtime event version %d", index, (int)e->name_len, e->name, e->version);
		return VOUCH_E_EVENTLOG;
	}
	size_t cap2 = 64 + 6 * e->name_len + 2 * e->payload_len;
	char *pre = malloc(cap2);
	if (!pre)
		return VOUCH_E_NOMEM;
	size_t n = vouch_runtime_event_preimage_v2(pre, cap2, e->name, e->name_len, e->payload, e->payload_len);
	int err = 0;
	if (!e->preimage) {
		msgf(msg, cap, "event %zu (%.*s): a version-2 event needs its preimage", index, (int)e->name_len, e->name);
		err = VOUCH_E_EVENT_DIGEST;
	} else if (e->preimage_len != n || memcmp(e->preimage, pre, n) != 0) {
		msgf(msg, cap, "event %zu (%.*s): preimage is not the canonical JSON of its name and payload", index,
		     (int)e->name_len, e->name);
		err = VOUCH_E_EVENT_DIGEST;
	} else {
		sha384(out, pre, n);
	}
	free(pre);
	return err;
}

int vouch_eventlog_replay(uint8_t rtmr[4][48], const vouch_eventlog *log, char *msg, size_t cap)
{
	memset(rtmr, 0, 4 * 48);
	for (size_t i = 0; i < log->n; i++) {
		const vouch_event *e = &log->events[i];
		uint8_t d[48], buf[96];
		if (e->imr > 3) {
			msgf(msg, cap, "event %zu: imr %u is not an RTMR (0-3)", i, e->imr);
			return VOUCH_E_EVENTLOG;
		}
		if (e->event_type == VOUCH_RUNTIME_EVENT_TYPE) {
			int err = runtime_digest(d, e, i, msg, cap);
			if (err)
				return err;
			if (e->has_digest && memcmp(d, e->digest, 48) != 0) {
				msgf(msg, cap, "event %zu (%.*s): digest does not match its name and payload", i,
				     (int)e->name_len, e->name);
				return VOUCH_E_EVENT_DIGEST;
			}
		} else if (e->has_digest) {
			memcpy(d, e->digest, 48);
		} else {
			msgf(msg, cap, "event %zu (imr %u, type 0x%x): no digest, RTMR%u cannot be replayed", i, e->imr,
			     e->event_type, e->imr);
			return VOUCH_E_EVENTLOG;
		}
		memcpy(buf, rtmr[e->imr], 48);
		memcpy(buf + 48, d, 48);
		sha384(rtmr[e->imr], buf, 96);
	}
	return 0;
}

/* Hex (0x optional) into the arena; *len gets the byte count. */
static int arena_hex(uint8_t **at, const char *s, const uint8_t **out, size_t *len)
{
	size_t n = strlen(s);
	if (vouch_hex_decode(*at, n, len, s, n))
		return VOUCH_E_HEX;
	*out = *at;
	*at += *len;
	return 0;
}

int vouch_eventlog_parse_json(vouch_eventlog *out, const char *text, size_t len, char *msg, size_t cap)
{
	memset(out, 0, sizeof *out);
	json_error_t je;
	json_t *arr = json_loadb(text, len, 0, &je);
	if (!arr || !json_is_array(arr)) {
		msgf(msg, cap, "event log is not a JSON array%s%s", arr ? "" : ": ", arr ? "" : je.text);
		json_decref(arr);
		return VOUCH_E_JSON;
	}
	size_t n = json_array_size(arr);
	if (n > VOUCH_EVENTLOG_MAX_EVENTS) {
		msgf(msg, cap, "event log has %zu events, more than %d", n, VOUCH_EVENTLOG_MAX_EVENTS);
		json_decref(arr);
		return VOUCH_E_LIMIT;
	}
	/* names and decoded hex are never longer than the text itself */
	out->events = calloc(n ? n : 1, sizeof *out->events);
	uint8_t *arena = malloc(len + n + 1), *at = arena;
	out->arena = arena;
	if (!out->events || !arena) {
		json_decref(arr);
		vouch_eventlog_free(out);
		return VOUCH_E_NOMEM;
	}
	int err = 0;
	for (size_t i = 0; i < n && !err; i++) {
		json_t *o = json_array_get(arr, i);
		vouch_event *e = &out->events[i];
		json_t *imr = json_object_get(o, "imr"), *type = json_object_get(o, "event_type");
		json_t *digest = json_object_get(o, "digest"), *name = json_object_get(o, "event");
		json_t *payload = json_object_get(o, "event_payload"), *ver = json_object_get(o, "version");
		json_t *pre = json_object_get(o, "preimage");
		if (!json_is_object(o) || !json_is_integer(imr) || !json_is_integer(type) || !json_is_string(digest) ||
		    !json_is_string(name) || !json_is_string(payload) || (ver && !json_is_integer(ver)) ||
		    (pre && !json_is_string(pre) && !json_is_null(pre))) {
			msgf(msg, cap, "event %zu: needs integer imr and event_type, string digest, event, event_payload", i);
			err = VOUCH_E_EVENTLOG;
			break;
		}
		json_int_t im = json_integer_value(imr), ty = json_integer_value(type);
		if (im < 0 || im > UINT32_MAX || ty < 0 || ty > UINT32_MAX) {
			msgf(msg, cap, "event %zu: imr or event_type out of range", i);
			err = VOUCH_E_EVENTLOG;
			break;
		}
		e->imr = (uint32_t)im;
		e->event_type = (uint32_t)ty;
		e->version = ver ? (int)json_integer_value(ver) : 1;
		size_t dn;
		const uint8_t *dp;
		if (arena_hex(&at, json_string_value(digest), &dp, &dn) || (dn != 0 && dn != 48)) {
			msgf(msg, cap, "event %zu: digest must be 48 bytes of hex or empty", i);
			err = VOUCH_E_EVENTLOG;
			break;
		}
		if (dn == 48) {
			memcpy(e->digest, dp, 48);
			e->has_digest = 1;
		}
		size_t nl = json_string_length(name);
		memcpy(at, json_string_value(name), nl);
		at[nl] = 0;
		e->name = (const char *)at;
		e->name_len = nl;
		at += nl + 1;
		if (arena_hex(&at, json_string_value(payload), &e->payload, &e->payload_len)) {
			msgf(msg, cap, "event %zu: event_payload is not hex", i);
			err = VOUCH_E_EVENTLOG;
			break;
		}
		if (pre && json_is_string(pre) &&
		    arena_hex(&at, json_string_value(pre), &e->preimage, &e->preimage_len)) {
			msgf(msg, cap, "event %zu: preimage is not hex", i);
			err = VOUCH_E_EVENTLOG;
			break;
		}
		out->n++;
	}
	json_decref(arr);
	if (err)
		vouch_eventlog_free(out);
	return err;
}

void vouch_eventlog_free(vouch_eventlog *log)
{
	if (!log)
		return;
	free(log->events);
	free(log->arena);
	memset(log, 0, sizeof *log);
}

char *vouch_eventlog_json(const vouch_eventlog *log)
{
	jw w = {0};
	jw_raw(&w, "[", 1);
	for (size_t i = 0; i < log->n; i++) {
		const vouch_event *e = &log->events[i];
		uint8_t d[48];
		char m[8];
		memcpy(d, e->digest, 48);
		if (e->event_type == VOUCH_RUNTIME_EVENT_TYPE && (e->version <= 1 || !e->has_digest))
			runtime_digest(d, e, i, m, sizeof m);
		jw_lit(&w, i ? ",{\"imr\":" : "{\"imr\":");
		jw_uint(&w, e->imr);
		jw_lit(&w, ",\"event_type\":");
		jw_uint(&w, e->event_type);
		jw_lit(&w, ",\"digest\":");
		jw_hex(&w, d, 48);
		jw_lit(&w, ",\"event\":");
		jw_str(&w, e->name, e->name_len);
		jw_lit(&w, ",\"event_payload\":");
		jw_hex(&w, e->payload, e->payload_len);
		if (e->version == 2) {
			jw_lit(&w, ",\"version\":2");
			if (e->preimage) {
				jw_lit(&w, ",\"preimage\":");
				jw_hex(&w, e->preimage, e->preimage_len);
			}
		}
		jw_raw(&w, "}", 1);
	}
	jw_raw(&w, "]", 1);
	return jw_finish(&w);
}
