/* vouchd's principals (policy.c): the config's "principals" member parsed, then who may use which key path and
 * append to which journal, checked against an oracle written from policy.h's contract.
 * Input: JSON text (the value of "principals"), then optionally a NUL byte and records, each
 *   u8 who ‖ u8 len ‖ len bytes (a key path, also tried as a journal name)
 * where who picks the client: bit 0 through a principal's own socket, bit 1 on the public port, the rest which
 * principal's uid and gid the peer has (or a stranger's).
 * Invariants: at most one principal matches a peer's uid and gid; a key path that starts with a principal's
 * prefix, or a journal a principal names, is usable only by one of its owners; what no principal owns is usable
 * by every client; owned keys are sign-only unless every owner has "export"; nothing under vouch/ is owned and
 * all of it is sign-only; refusals are printable ASCII; Access answers as the checks do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "log.h"
#include "policy.h"

static struct app app;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	log_level = LOG_ERR;
	app.cfg.sign_only[app.cfg.n_sign_only++] = "wallet/";
	return 0;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_policy: invariant broken: %s\n", what);
		abort();
	}
}

static void printable(const char *s)
{
	check(*s != 0, "a refusal says why");
	for (; *s; s++)
		check(*s >= 0x20 && *s < 0x7f, "a refusal is printable ASCII");
}

static int starts(const char *s, size_t len, const char *prefix, size_t n)
{
	return len >= n && memcmp(s, prefix, n) == 0;
}

/* Who the client is, from policy.h's words rather than policy.c's code. */
static const struct principal *expected_caller(const struct principal *ps, size_t n, const req *r)
{
	const struct principal *via = r->principal;
	if (via && (!via->has_uid || via->uid == r->uid) && (!via->has_gid || via->gid == r->gid))
		return via;
	if (r->listener == LISTEN_PUBLIC || r->uid == (uid_t)-1)
		return NULL;
	const struct principal *found = NULL;
	for (size_t i = 0; i < n; i++)
		if (ps[i].has_uid && ps[i].uid == r->uid && (!ps[i].has_gid || ps[i].gid == r->gid)) {
			check(!found, "at most one principal matches a uid and gid");
			found = &ps[i];
		}
	return found;
}

/* The usable answer of Access for the first item of list field. */
static int access_usable(const json_t *out, const char *field)
{
	const json_t *u = json_object_get(json_array_get(json_object_get(out, field), 0), "usable");
	check(json_is_boolean(u), "Access answers usable");
	return json_is_true(u);
}

static void one(const struct principal *ps, size_t n, uint8_t who, const char *path, size_t len)
{
	req r = {.listener = LISTEN_DSTACK, .method = "Sign", .pid = 1};
	size_t idx = (size_t)(who >> 2) % (n + 1);
	r.uid = 4242, r.gid = 4242; /* a stranger, unless a principal has these ids */
	if (idx < n && ps[idx].has_uid)
		r.uid = ps[idx].uid, r.gid = ps[idx].has_gid ? ps[idx].gid : 4242;
	if ((who & 1) && n && ps[(who >> 4) % n].socket)
		r.principal = &ps[(who >> 4) % n];
	if (who & 2)
		r.listener = LISTEN_PUBLIC, r.uid = (uid_t)-1, r.gid = (gid_t)-1, r.principal = NULL, r.pid = -1;
	const struct principal *me = expected_caller(ps, n, &r);
	check(policy_caller(&app, &r) == me, "policy_caller is the principal policy.h describes");

	/* keys */
	int owned = 0, mine = 0, exportable = 1;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < ps[i].n_keys; k++)
			if (starts(path, len, ps[i].keys[k], ps[i].key_len[k])) {
				owned = 1;
				mine |= &ps[i] == me;
				exportable &= ps[i].exportable;
				break;
			}
	char err[1024] = "";
	int rc = policy_key_use(&app, &r, path, len, err, sizeof err);
	check(rc == 0 || rc == -1, "policy_key_use answers 0 or -1");
	check((rc == 0) == (!owned || mine), "an owned key path is usable by its owners alone, others by all");
	if (rc)
		printable(err);
	int so = policy_sign_only(&app, path, len);
	if (owned && !exportable)
		check(so, "an owned key without export is sign-only");
	if (starts(path, len, "vouch/", 6) || starts(path, len, "wallet/", 7))
		check(so, "vouch/ and --sign-only prefixes are sign-only");

	/* the same bytes as a journal name ("" is the default journal) */
	const char *jn = len ? path : "default";
	size_t jl = len ? len : 7;
	int j_owned = 0, j_mine = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < ps[i].n_journals; k++)
			if (strlen(ps[i].journals[k]) == jl && memcmp(ps[i].journals[k], jn, jl) == 0) {
				j_owned = 1;
				j_mine |= &ps[i] == me;
			}
	err[0] = 0;
	int jrc = policy_journal_write(&app, &r, path, len, err, sizeof err);
	check((jrc == 0) == (!j_owned || j_mine), "an owned journal is written by its owners alone, others by all");
	if (jrc)
		printable(err);

	/* Access, for a path a JSON request can carry (valid UTF-8) */
	json_t *s = json_stringn(path, len);
	if (!s || r.listener == LISTEN_PUBLIC) {
		json_decref(s);
		return;
	}
	r.method = "Access";
	r.body = json_pack("{s:[O], s:[O]}", "paths", s, "journals", s);
	json_t *out = NULL;
	check(r.body && api_access(&app, &r, &out, err, sizeof err) == 0, "Access answers a well-formed request");
	check(access_usable(out, "paths") == (rc == 0), "Access says usable as Sign would");
	check(access_usable(out, "journals") == (jrc == 0), "Access says usable as JournalAppend would");
	char *text = json_dumps(out, JSON_COMPACT);
	check(text != NULL, "Access's answer serialises");
	free(text);
	json_decref(out);
	json_decref(r.body);
	json_decref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t json_len = nul ? (size_t)(nul - data) : size;
	json_t *arr = json_loadb((const char *)data, json_len, 0, NULL);
	struct principal *ps = NULL;
	size_t n = 0;
	char err[512] = "";
	int rc = policy_parse(arr, &ps, &n, err, sizeof err);
	json_decref(arr);
	if (rc) {
		check(rc == -1 && ps == NULL && n == 0, "a refused config leaves nothing behind");
		check(strncmp(err, "principals", 10) == 0, "a refusal names the field");
		return 0;
	}
	check(n <= MAX_PRINCIPALS, "at most 32 principals");
	for (size_t i = 0; i < n; i++) {
		check(ps[i].name[0] && (ps[i].has_uid || ps[i].socket), "a principal has a name and a uid or socket");
		for (size_t k = 0; k < ps[i].n_keys; k++)
			check(ps[i].key_len[k] > 0 && !starts(ps[i].keys[k], ps[i].key_len[k], "vouch/", 6),
			      "no principal owns every key or vouchd's own");
		for (size_t j = 0; j < i; j++)
			check(strcmp(ps[i].name, ps[j].name) != 0, "principals' names differ");
	}
	app.cfg.principals = ps;
	app.cfg.n_principals = n;
	for (const uint8_t *p = nul ? nul + 1 : data + size, *end = data + size; end - p >= 2;) {
		uint8_t who = p[0];
		size_t len = p[1];
		p += 2;
		if ((size_t)(end - p) < len)
			len = (size_t)(end - p);
		char path[256];
		memcpy(path, p, len);
		one(ps, n, who, path, len);
		p += len;
	}
	app.cfg.principals = NULL;
	app.cfg.n_principals = 0;
	policy_free(ps, n);
	return 0;
}
