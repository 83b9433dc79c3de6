/* The journal's JSON forms (see journal_json.h). */
#include <stdlib.h>

#include "internal.h"
#include "journal_json.h"
#include "jsonout.h"
#include "vouch/err.h"
#include "vouch/util.h"

json_t *jj_journal(const vouch_journal_info *j)
{
	return json_pack("{s:s, s:o, s:o}", "name", j->name, "id", json_hex(j->id, 32), "public_key",
			 json_hex(j->public_key, 33));
}

json_t *jj_entry(const vouch_journal_entry *e, const uint8_t leaf_hash[32])
{
	json_t *o = json_object(), *payload = NULL;
	if (!o)
		return NULL;
	json_object_set_new(o, "seq", json_integer((json_int_t)e->seq));
	json_object_set_new(o, "time_ms", json_integer((json_int_t)e->time_ms));
	if (e->has_client_time)
		json_object_set_new(o, "client_time_ms", json_integer(e->client_time_ms));
	json_object_set_new(o, "kind", json_stringn(e->kind, e->kind_len));
	json_object_set_new(o, "payload_type", json_string(e->payload_json ? "json" : "bytes"));
	if (e->payload_json)
		payload = json_loadb((const char *)e->payload, e->payload_len, JSON_DECODE_ANY, NULL);
	json_object_set_new(o, "payload", payload ? payload : json_hex(e->payload, e->payload_len));
	json_object_set_new(o, "payload_hex", json_hex(e->payload, e->payload_len));
	json_object_set_new(o, "leaf_hash", json_hex(leaf_hash, 32));
	return o;
}

json_t *jj_checkpoint(const vouch_journal_checkpoint *c)
{
	return json_pack("{s:o, s:I, s:o, s:I, s:o}", "journal_id", json_hex(c->journal_id, 32), "tree_size",
			 (json_int_t)c->tree_size, "root", json_hex(c->root, 32), "time_ms", (json_int_t)c->time_ms,
			 "signature", json_hex(c->signature, 65));
}

int jj_hex(const json_t *o, const char *name, uint8_t *out, size_t n, char *msg, size_t cap)
{
	const json_t *v = json_object_get(o, name);
	size_t got;
	if (!json_is_string(v) || json_string_length(v) != 2 * n ||
	    vouch_hex_decode(out, n, &got, json_string_value(v), json_string_length(v)) || got != n) {
		msgf(msg, cap, "\"%s\" must be %zu bytes of hex", name, n);
		return VOUCH_E_JOURNAL_FORMAT;
	}
	return 0;
}

int jj_u64(const json_t *o, const char *name, uint64_t *out, char *msg, size_t cap)
{
	const json_t *v = json_object_get(o, name);
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		msgf(msg, cap, "\"%s\" must be a non-negative integer", name);
		return VOUCH_E_JOURNAL_FORMAT;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* 1 when every member of o is one of names */
static int only(const json_t *o, const char *const *names, size_t n, char *msg, size_t cap, const char *what)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)o, key, v)
	{
		size_t i = 0;
		while (i < n && strcmp(key, names[i]))
			i++;
		if (i == n) {
			msgf(msg, cap, "%s: unknown member \"%s\"", what, key);
			return 0;
		}
	}
	return 1;
}

int jj_parse_journal(const json_t *o, vouch_journal_info *j, char *msg, size_t cap)
{
	static const char *const names[] = {"name", "id", "public_key", "size", "checkpoint"};
	const json_t *name = json_object_get(o, "name");
	memset(j, 0, sizeof *j);
	if (!json_is_object(o) || !json_is_string(name) ||
	    !vouch_journal_name_valid(json_string_value(name), json_string_length(name))) {
		msgf(msg, cap, "journal: \"name\" missing or invalid");
		return VOUCH_E_JOURNAL_FORMAT;
	}
	memcpy(j->name, json_string_value(name), json_string_length(name));
	if (!only(o, names, ARRAY_LEN(names), msg, cap, "journal"))
		return VOUCH_E_JOURNAL_FORMAT;
	if (jj_hex(o, "id", j->id, 32, msg, cap) || jj_hex(o, "public_key", j->public_key, 33, msg, cap))
		return VOUCH_E_JOURNAL_FORMAT;
	return 0;
}

int jj_parse_checkpoint(const json_t *o, vouch_journal_checkpoint *c, char *msg, size_t cap)
{
	static const char *const names[] = {"journal_id", "tree_size", "root", "time_ms", "signature"};
	if (!json_is_object(o)) {
		msgf(msg, cap, "checkpoint: not an object");
		return VOUCH_E_JOURNAL_FORMAT;
	}
	if (!only(o, names, ARRAY_LEN(names), msg, cap, "checkpoint"))
		return VOUCH_E_JOURNAL_FORMAT;
	char sub[200];
	if (jj_hex(o, "journal_id", c->journal_id, 32, sub, sizeof sub) || jj_u64(o, "tree_size", &c->tree_size, sub, sizeof sub) ||
	    jj_hex(o, "root", c->root, 32, sub, sizeof sub) || jj_u64(o, "time_ms", &c->time_ms, sub, sizeof sub) ||
	    jj_hex(o, "signature", c->signature, 65, sub, sizeof sub)) {
		msgf(msg, cap, "checkpoint: %s", sub);
		return VOUCH_E_JOURNAL_FORMAT;
	}
	return 0;
}

int jj_parse_entry(const json_t *o, vouch_journal_entry *e, uint8_t **buf, uint8_t leaf_hash[32], char *msg,
		   size_t cap)
{
	static const char *const names[] = {"seq", "time_ms", "client_time_ms", "kind", "payload_type", "payload",
					    "payload_hex", "leaf_hash"};
	memset(e, 0, sizeof *e);
	*buf = NULL;
	char sub[200];
	if (json_is_object(o) && !only(o, names, ARRAY_LEN(names), msg, cap, "entry"))
		return VOUCH_E_JOURNAL_FORMAT;
	const json_t *kind = json_object_get(o, "kind"), *type = json_object_get(o, "payload_type");
	const json_t *hex = json_object_get(o, "payload_hex"), *ct = json_object_get(o, "client_time_ms");
	if (!json_is_object(o) || jj_u64(o, "seq", &e->seq, sub, sizeof sub) ||
	    jj_u64(o, "time_ms", &e->time_ms, sub, sizeof sub) || jj_hex(o, "leaf_hash", leaf_hash, 32, sub, sizeof sub)) {
		msgf(msg, cap, "entry: %s", json_is_object(o) ? sub : "not an object");
		return VOUCH_E_JOURNAL_FORMAT;
	}
	if (!json_is_string(kind) || !vouch_journal_kind_valid(json_string_value(kind), json_string_length(kind))) {
		msgf(msg, cap, "entry: \"kind\" missing or invalid");
		return VOUCH_E_JOURNAL_FORMAT;
	}
	e->kind = json_string_value(kind);
	e->kind_len = json_string_length(kind);
	if (ct && !json_is_null(ct)) {
		if (!json_is_integer(ct)) {
			msgf(msg, cap, "entry: \"client_time_ms\" must be an integer");
			return VOUCH_E_JOURNAL_FORMAT;
		}
		e->has_client_time = 1;
		e->client_time_ms = json_integer_value(ct);
	}
	const char *t = json_string_value(type);
	if (!t || (strcmp(t, "json") && strcmp(t, "bytes"))) {
		msgf(msg, cap, "entry: \"payload_type\" must be \"json\" or \"bytes\"");
		return VOUCH_E_JOURNAL_FORMAT;
	}
	e->payload_json = t[0] == 'j';
	size_t n = json_string_length(hex) / 2;
	if (!json_is_string(hex) || n > VOUCH_JOURNAL_PAYLOAD_MAX || !(*buf = malloc(n ? n : 1)) ||
	    vouch_hex_decode(*buf, n, &e->payload_len, json_string_value(hex), json_string_length(hex))) {
		free(*buf);
		*buf = NULL;
		msgf(msg, cap, "entry: \"payload_hex\" must be hex of at most %u bytes", VOUCH_JOURNAL_PAYLOAD_MAX);
		return VOUCH_E_JOURNAL_FORMAT;
	}
	e->payload = *buf;
	/* the readable payload must say what the hashed bytes say */
	const json_t *shown = json_object_get(o, "payload");
	json_t *parsed = e->payload_json ? json_loadb((const char *)*buf, e->payload_len, JSON_DECODE_ANY, NULL) : NULL;
	int bad = e->payload_json && !parsed;
	if (!bad && shown)
		bad = e->payload_json ? !json_equal(parsed, (json_t *)shown)
				      : !json_is_string(shown) || strcmp(json_string_value(shown), json_string_value(hex));
	json_decref(parsed);
	if (bad) {
		free(*buf);
		*buf = NULL;
		msgf(msg, cap, "entry: \"payload\" does not match \"payload_hex\"");
		return VOUCH_E_JOURNAL_FORMAT;
	}
	return 0;
}
