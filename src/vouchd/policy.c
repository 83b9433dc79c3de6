/* vouchd's principals and who owns what (policy.h). Key paths are compared as raw bytes, because a key is
 * derived from the raw bytes of its path (HKDF over the path, spec §8.1): "gateway//ecdsa", "gateway/ecdsa/"
 * and "gateway/ecdsa\0" are other keys than "gateway/ecdsa", but each starts with the prefix "gateway/" and
 * is owned with it. A spelling that does not start with the prefix ("./gateway/ecdsa", "%2F…" left undecoded)
 * is simply another, unowned key: no spelling reaches an owned key without starting with its prefix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "journal.h"
#include "policy.h"
#include "vouch/journal.h"

static int perr(char *err, size_t cap, size_t i, const char *field, const char *detail)
{
	snprintf(err, cap, "principals[%zu]%s%s: %s", i, *field ? "." : "", field, detail);
	return -1;
}

static int name_ok(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int id_field(const json_t *v, unsigned *out)
{
	/* (uid_t)-1 means "no change" to chown and "unknown" to SO_PEERCRED: never a principal's id */
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= 0xffffffffLL)
		return -1;
	*out = (unsigned)json_integer_value(v);
	return 0;
}

static int parse_keys(struct principal *p, const json_t *v, size_t i, char *err, size_t cap)
{
	if (!json_is_array(v) || json_array_size(v) > MAX_PRINCIPAL_ITEMS)
		return perr(err, cap, i, "keys", "expected an array of at most 16 key path prefixes");
	for (size_t k = 0; k < json_array_size(v); k++) {
		const json_t *s = json_array_get(v, k);
		size_t n = json_string_length(s);
		if (!json_is_string(s) || n == 0 || n > MAX_KEY_PREFIX)
			return perr(err, cap, i, "keys", "each prefix is a string of 1 to 256 bytes (\"\" would own every key)");
		if (n >= 6 && memcmp(json_string_value(s), "vouch/", 6) == 0)
			return perr(err, cap, i, "keys", "key paths under vouch/ are vouchd's own: no principal owns them");
		if (!(p->keys[p->n_keys] = malloc(n + 1)))
			return perr(err, cap, i, "keys", "out of memory");
		memcpy(p->keys[p->n_keys], json_string_value(s), n + 1);
		p->key_len[p->n_keys++] = n;
	}
	return 0;
}

static int parse_journals(struct principal *p, const json_t *v, size_t i, char *err, size_t cap)
{
	if (!json_is_array(v) || json_array_size(v) > MAX_PRINCIPAL_ITEMS)
		return perr(err, cap, i, "journals", "expected an array of at most 16 journal names");
	for (size_t k = 0; k < json_array_size(v); k++) {
		const json_t *s = json_array_get(v, k);
		if (!json_is_string(s) || !vouch_journal_name_valid(json_string_value(s), json_string_length(s)))
			return perr(err, cap, i, "journals", "each is a journal name: 1 to 64 of A-Z a-z 0-9 . _ -");
		if (!(p->journals[p->n_journals++] = strdup(json_string_value(s))))
			return perr(err, cap, i, "journals", "out of memory");
	}
	return 0;
}

static int parse_one(struct principal *p, const json_t *o, size_t i, char *err, size_t cap)
{
	if (!json_is_object(o))
		return perr(err, cap, i, "", "expected an object");
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)o, key, v)
	{
		if (!strcmp(key, "name")) {
			if (!json_is_string(v) || !name_ok(json_string_value(v), json_string_length(v), MAX_PRINCIPAL_NAME))
				return perr(err, cap, i, key, "1 to 64 of A-Z a-z 0-9 . _ -, not starting with a dot");
			snprintf(p->name, sizeof p->name, "%s", json_string_value(v));
		} else if (!strcmp(key, "uid") || !strcmp(key, "gid")) {
			unsigned id;
			if (id_field(v, &id))
				return perr(err, cap, i, key, "expected an integer from 0 to 4294967294");
			if (key[0] == 'u')
				p->uid = (uid_t)id, p->has_uid = 1;
			else
				p->gid = (gid_t)id, p->has_gid = 1;
		} else if (!strcmp(key, "socket")) {
			const char *s = json_string_value(v);
			if (!s || !name_ok(s, json_string_length(v), 64) || !strcmp(s, "dstack.sock") || !strcmp(s, "tappd.sock"))
				return perr(err, cap, i, key, "a file name in the listen directory (1 to 64 of A-Z a-z 0-9 . _ -, "
					    "not starting with a dot), other than dstack.sock and tappd.sock");
			if (!(p->socket = strdup(s)))
				return perr(err, cap, i, key, "out of memory");
		} else if (!strcmp(key, "keys")) {
			if (parse_keys(p, v, i, err, cap))
				return -1;
		} else if (!strcmp(key, "journals")) {
			if (parse_journals(p, v, i, err, cap))
				return -1;
		} else if (!strcmp(key, "export")) {
			if (!json_is_boolean(v))
				return perr(err, cap, i, key, "expected true or false");
			p->exportable = json_is_true(v);
		} else {
			return perr(err, cap, i, key, "unknown field (known: name, uid, gid, socket, keys, journals, export)");
		}
	}
	if (!p->name[0])
		return perr(err, cap, i, "name", "missing");
	if (p->has_gid && !p->has_uid)
		return perr(err, cap, i, "gid", "given without uid (a gid only narrows a uid)");
	if (!p->has_uid && !p->socket)
		return perr(err, cap, i, "", "give uid or socket (or both): without either no client can be this principal");
	return 0;
}

/* Two principals that one client could both be would make ownership depend on which is found first. */
static int overlap(const struct principal *a, const struct principal *b)
{
	return a->has_uid && b->has_uid && a->uid == b->uid && (!a->has_gid || !b->has_gid || a->gid == b->gid);
}

int policy_parse(const json_t *arr, struct principal **out, size_t *n, char *err, size_t cap)
{
	*out = NULL;
	*n = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > MAX_PRINCIPALS) {
		snprintf(err, cap, "principals: expected an array of at most %d objects", MAX_PRINCIPALS);
		return -1;
	}
	struct principal *p = calloc(json_array_size(arr) + 1, sizeof *p);
	if (!p) {
		snprintf(err, cap, "principals: out of memory");
		return -1;
	}
	size_t count = 0;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		count = i + 1;
		if (parse_one(&p[i], json_array_get(arr, i), i, err, cap))
			goto bad;
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(p[i].name, p[j].name) && perr(err, cap, i, "name", "another principal has this name"))
				goto bad;
			if (p[i].socket && p[j].socket && !strcmp(p[i].socket, p[j].socket) &&
			    perr(err, cap, i, "socket", "another principal has this socket"))
				goto bad;
			if (overlap(&p[i], &p[j])) {
				snprintf(err, cap, "principals[%zu].uid: principal %s has the same uid (and gid): a client would "
					 "be both", i, p[j].name);
				goto bad;
			}
		}
	}
	*out = p;
	*n = count;
	return 0;
bad:
	policy_free(p, count);
	return -1;
}

void policy_free(struct principal *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++) {
		free(p[i].socket);
		for (size_t k = 0; k < p[i].n_keys; k++)
			free(p[i].keys[k]);
		for (size_t k = 0; k < p[i].n_journals; k++)
			free(p[i].journals[k]);
	}
	free(p);
}

const struct principal *policy_caller(const struct app *a, const req *r)
{
	const struct principal *via = r->principal;
	/* on a principal's own socket: that principal, unless it has a uid and the peer is someone else (only a
	 * privileged process gets past the socket's mode; it is then who its uid says) */
	if (via && (!via->has_uid || via->uid == r->uid) && (!via->has_gid || via->gid == r->gid))
		return via;
	if (r->listener == LISTEN_PUBLIC || r->uid == (uid_t)-1)
		return NULL;
	for (size_t i = 0; i < a->cfg.n_principals; i++) {
		const struct principal *p = &a->cfg.principals[i];
		if (p->has_uid && p->uid == r->uid && (!p->has_gid || p->gid == r->gid))
			return p;
	}
	return NULL;
}

static int owns_key(const struct principal *p, const char *path, size_t len)
{
	for (size_t k = 0; k < p->n_keys; k++)
		if (len >= p->key_len[k] && memcmp(path, p->keys[k], p->key_len[k]) == 0)
			return 1;
	return 0;
}

static int owns_journal(const struct principal *p, const char *name, size_t len)
{
	for (size_t k = 0; k < p->n_journals; k++)
		if (strlen(p->journals[k]) == len && memcmp(p->journals[k], name, len) == 0)
			return 1;
	return 0;
}

/* The owners of a key (what = 'k') or journal ('j'): their count; *first is the first one; their names are
 * appended to names when it is given. */
static size_t owners(const struct app *a, int what, const char *s, size_t len, const struct principal *caller,
		     int *mine, const struct principal **first, json_t *names)
{
	size_t n = 0;
	*mine = 0;
	*first = NULL;
	for (size_t i = 0; i < a->cfg.n_principals; i++) {
		const struct principal *p = &a->cfg.principals[i];
		if (what == 'k' ? owns_key(p, s, len) : owns_journal(p, s, len)) {
			*first = *first ? *first : p;
			*mine |= p == caller;
			n++;
			if (names)
				json_array_append_new(names, json_string(p->name));
		}
	}
	return n;
}

/* A path or name for a message: printable ASCII kept, other bytes as \xNN, at most 120 bytes shown. */
static void shown(char *out, size_t cap, const char *s, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len && i < 120 && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		o += (size_t)snprintf(out + o, cap - o, c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? "%c" : "\\x%02x", c);
	}
	snprintf(out + o, cap - o, "%s", len > 120 ? "..." : "");
}

static int refuse(const struct app *a, const req *r, const char *what, const char *s, size_t len,
		  const struct principal *owner, size_t n_owners, char *err, size_t cap)
{
	char name[512];
	const struct principal *me = policy_caller(a, r);
	shown(name, sizeof name, s, len);
	snprintf(err, cap,
		 "%s owner: %s \"%s\" belongs to principal %s%s; this client (uid %d, gid %d, pid %d) is %s%s%s (vouchd's "
		 "--config names the principals)",
		 *what == 'k' ? "key" : "journal", what, name, owner->name, n_owners > 1 ? " and others" : "", (int)r->uid, (int)r->gid, (int)r->pid,
		 me ? "principal " : "no principal", me ? me->name : "", me && r->principal == me ? ", by its socket" : "");
	return -1;
}

int policy_key_use(const struct app *a, const req *r, const char *path, size_t len, char *err, size_t cap)
{
	int mine;
	const struct principal *first;
	size_t n = owners(a, 'k', path, len, policy_caller(a, r), &mine, &first, NULL);
	return n == 0 || mine ? 0 : refuse(a, r, "key path", path, len, first, n, err, cap);
}

int policy_sign_only(const struct app *a, const char *path, size_t len)
{
	if (app_sign_only(a, path, len))
		return 1;
	for (size_t i = 0; i < a->cfg.n_principals; i++)
		if (!a->cfg.principals[i].exportable && owns_key(&a->cfg.principals[i], path, len))
			return 1;
	return 0;
}

int policy_journal_write(const struct app *a, const req *r, const char *name, size_t len, char *err, size_t cap)
{
	if (!len)
		name = DEFAULT_JOURNAL, len = strlen(DEFAULT_JOURNAL);
	int mine;
	const struct principal *first;
	size_t n = owners(a, 'j', name, len, policy_caller(a, r), &mine, &first, NULL);
	return n == 0 || mine ? 0 : refuse(a, r, "journal", name, len, first, n, err, cap);
}

/* {"path" or "journal": s, "sign_only"?, "owners": [...], "mine", "exclusive", "usable"} */
static json_t *access_item(const struct app *a, int what, const json_t *v, const struct principal *caller)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (what == 'j' && !len)
		s = DEFAULT_JOURNAL, len = strlen(DEFAULT_JOURNAL);
	json_t *names = json_array();
	int mine;
	const struct principal *first;
	size_t n = owners(a, what, s, len, caller, &mine, &first, names);
	json_t *o = json_pack("{s:s%}", what == 'k' ? "path" : "journal", s, len);
	if (what == 'k')
		json_object_set_new(o, "sign_only", json_boolean(policy_sign_only(a, s, len)));
	json_object_set_new(o, "owners", names);
	json_object_set_new(o, "mine", json_boolean(mine));
	json_object_set_new(o, "exclusive", json_boolean(n == 1));
	json_object_set_new(o, "usable", json_boolean(n == 0 || mine));
	return o;
}

static int access_list(const struct app *a, const req *r, const char *field, int what, const struct principal *caller,
		       json_t *out, char *err, size_t cap)
{
	const json_t *arr = json_object_get(r->body, field), *v;
	json_t *items = json_array();
	json_object_set_new(out, field, items);
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > 64) {
		snprintf(err, cap, "Failed to decode request: %s: expected an array of at most 64 strings", field);
		return -1;
	}
	size_t i;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v)) {
			snprintf(err, cap, "Failed to decode request: %s[%zu]: expected a string", field, i);
			return -1;
		}
		json_array_append_new(items, access_item(a, what, v, caller));
	}
	return 0;
}

int api_access(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	const struct principal *me = policy_caller(a, r);
	/* -1: not known (SO_PEERCRED gave nothing) */
	json_int_t uid = r->uid == (uid_t)-1 ? -1 : (json_int_t)r->uid, gid = r->gid == (gid_t)-1 ? -1 : (json_int_t)r->gid;
	json_t *o = json_pack("{s:{s:i, s:I, s:I}, s:s?, s:s}", "peer", "pid", (int)r->pid, "uid", uid, "gid", gid,
			      "principal", me ? me->name : NULL, "socket",
			      r->principal ? r->principal->socket : r->listener == LISTEN_TAPPD ? "tappd.sock" : "dstack.sock");
	if (!o) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	if (access_list(a, r, "paths", 'k', me, o, err, cap) || access_list(a, r, "journals", 'j', me, o, err, cap)) {
		json_decref(o);
		return -1;
	}
	*out = o;
	return 0;
}
