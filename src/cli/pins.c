/* The identity a verifier prints and the pins it checks (pins.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <getopt.h>

#include "cli.h"
#include "pins.h"
#include "vouch/dstack.h"
#include "vouch/util.h"

int pin_option(struct pins *p, int opt, const char *arg, const char *verb)
{
	size_t n = 0;
	switch (opt) {
	case VO_PIN_COMPOSE:
		if (!vouch_hex_decode_exact(p->compose_buf, 32, arg)) {
			errorf(verb, "--expect-compose-hash: 64 hex digits expected");
			return -1;
		}
		p->compose_hash = p->compose_buf;
		return 1;
	case VO_PIN_APP:
		if (!*arg || vouch_hex_decode(p->app_id_buf, sizeof p->app_id_buf, &n, arg, strlen(arg)) || n == 0) {
			errorf(verb, "--expect-app-id: 1 to 32 bytes of hex expected");
			return -1;
		}
		p->app_id = p->app_id_buf;
		p->app_id_len = n;
		return 1;
	case VO_PIN_MRTD:
		if (!vouch_hex_decode_exact(p->mr_td_buf, 48, arg)) {
			errorf(verb, "--expect-mrtd: 96 hex digits expected");
			return -1;
		}
		p->mr_td = p->mr_td_buf;
		return 1;
	default: return 0;
	}
}

int pins_any(const struct pins *p)
{
	return p->compose_hash || p->app_id || p->mr_td;
}

/* Constant time over n bytes (measurements against expected values: STYLE.md rule 5). */
static int same(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static int mismatch(char *msg, size_t cap, const char *what, const char *opt, const uint8_t *got, size_t got_len,
		    const uint8_t *want, size_t want_len)
{
	char g[2 * 48 + 1] = "absent", w[2 * 48 + 1];
	if (got_len)
		vouch_hex_encode(g, got, got_len);
	vouch_hex_encode(w, want, want_len);
	snprintf(msg, cap, "%s: the %s is %s, not %s", opt, what, g, w);
	return -1;
}

int pins_check(const struct pins *p, const struct identity *id, char *msg, size_t cap)
{
	if (p->compose_hash && (id->compose_hash_len != 32 || !same(p->compose_hash, id->compose_hash, 32)))
		return mismatch(msg, cap, "compose hash", "--expect-compose-hash", id->compose_hash, id->compose_hash_len,
				p->compose_hash, 32);
	if (p->app_id && (id->app_id_len != p->app_id_len || !same(p->app_id, id->app_id, p->app_id_len)))
		return mismatch(msg, cap, "app id", "--expect-app-id", id->app_id, id->app_id_len, p->app_id, p->app_id_len);
	if (p->mr_td && !same(p->mr_td, id->mr_td, 48))
		return mismatch(msg, cap, "MRTD", "--expect-mrtd", id->mr_td, 48, p->mr_td, 48);
	return 0;
}

static void line(int width, const char *name, const uint8_t *v, size_t n, const char *suffix)
{
	char h[2 * 48 + 1] = "(none in the event log)";
	if (n)
		vouch_hex_encode(h, v, n);
	printf("  %-*s %s%s\n", width, name, h, suffix);
}

void identity_print(const struct identity *id, const struct pins *p, int width)
{
	line(width, "app_id", id->app_id, id->app_id_len, p->app_id ? "  (pinned)" : "");
	line(width, "compose_hash", id->compose_hash, id->compose_hash_len, p->compose_hash ? "  (pinned)" : "");
	line(width, "mr_td", id->mr_td, 48, p->mr_td ? "  (pinned)" : "");
	for (int i = 0; i < 4; i++) {
		char n[8];
		snprintf(n, sizeof n, "rtmr%d", i);
		line(width, n, id->rtmr[i], 48, "");
	}
	if (!pins_any(p))
		printf("  %-*s %s\n", width, "pins", PINS_NONE_NOTE);
}

static json_t *hex(const uint8_t *p, size_t n)
{
	char h[2 * 48 + 1];
	if (!n)
		return json_null();
	vouch_hex_encode(h, p, n);
	return json_string(h);
}

json_t *identity_json(const struct identity *id, const struct pins *p)
{
	json_t *o = json_object(), *pinned = json_array();
	json_object_set_new(o, "app_id", hex(id->app_id, id->app_id_len));
	json_object_set_new(o, "compose_hash", hex(id->compose_hash, id->compose_hash_len));
	json_object_set_new(o, "mr_td", hex(id->mr_td, 48));
	for (int i = 0; i < 4; i++) {
		char n[8];
		snprintf(n, sizeof n, "rtmr%d", i);
		json_object_set_new(o, n, hex(id->rtmr[i], 48));
	}
	if (p->app_id)
		json_array_append_new(pinned, json_string("app_id"));
	if (p->compose_hash)
		json_array_append_new(pinned, json_string("compose_hash"));
	if (p->mr_td)
		json_array_append_new(pinned, json_string("mr_td"));
	json_object_set_new(o, "pinned", pinned);
	if (!pins_any(p))
		json_object_set_new(o, "note", json_string(PINS_NONE_NOTE));
	return o;
}

char *identity_add_json(char *s, const struct identity *id, const struct pins *p)
{
	json_t *o = s ? json_loads(s, 0, NULL) : NULL;
	if (!json_is_object(o)) {
		json_decref(o);
		return s;
	}
	json_object_set_new(o, "identity", identity_json(id, p));
	char *out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!out)
		return s;
	free(s);
	return out;
}

void identity_from_dstack(struct identity *id, const vouch_dstack_result *r, const vouch_verdict *v)
{
	memset(id, 0, sizeof *id);
	id->app_id_len = r->app.app_id_len;
	memcpy(id->app_id, r->app.app_id, id->app_id_len);
	id->compose_hash_len = r->app.compose_hash_len;
	memcpy(id->compose_hash, r->app.compose_hash, id->compose_hash_len);
	const vouch_td_report *td = &v->quote.td;
	if (!td->mr_td)
		return;
	memcpy(id->mr_td, td->mr_td, 48);
	for (int i = 0; i < 4; i++)
		memcpy(id->rtmr[i], td->rtmr[i], 48);
}
