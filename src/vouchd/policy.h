/* vouchd's principals: which client owns which keys and journals. A principal is a component of the app (the
 * gateway, an agent) named in the --config file; a client of vouchd is that principal when it connects
 * through the principal's own socket, or, on the shared dstack.sock and tappd.sock, when its SO_PEERCRED uid
 * (and gid, when given) are the principal's. Keys under a principal's prefixes are used (Sign, GetKey,
 * DeriveKey, DeriveK256Key) only by their owners, and its journals are appended to only by their owners;
 * keys and journals that no principal names stay open to every client of the sockets, as in dstack. */
#ifndef VOUCHD_POLICY_H
#define VOUCHD_POLICY_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "http.h"

#define MAX_PRINCIPALS 32
#define MAX_PRINCIPAL_ITEMS 16      /* key prefixes, and journals, per principal */
#define MAX_KEY_PREFIX 256          /* bytes */
#define MAX_PRINCIPAL_NAME 64

struct principal {
	char name[MAX_PRINCIPAL_NAME + 1];
	int has_uid, has_gid;
	uid_t uid;
	gid_t gid;
	char *socket;                        /* a file name in the listen directory, or NULL */
	char *keys[MAX_PRINCIPAL_ITEMS];     /* raw byte prefixes of key paths */
	size_t key_len[MAX_PRINCIPAL_ITEMS];
	size_t n_keys;
	char *journals[MAX_PRINCIPAL_ITEMS]; /* exact journal names */
	size_t n_journals;
	int exportable;                      /* "export": true lets the owner GetKey its keys */
};

struct app;

/* Parses the config's "principals" array (NULL: none) into *out (malloc'd, n entries; policy_free). Returns
 * 0, or -1 with "principals[i].field: detail" in err. Every field is checked; unknown fields are refused (a
 * misspelt "journals" would leave a journal open). */
int policy_parse(const json_t *arr, struct principal **out, size_t *n, char *err, size_t cap);
void policy_free(struct principal *p, size_t n);

/* The principal a request comes from (see above), or NULL. */
const struct principal *policy_caller(const struct app *a, const req *r);

/* 0 when the request's client may use the key at path (the exact bytes a key is derived from); -1 with an
 * error naming the owner and the client otherwise. */
int policy_key_use(const struct app *a, const req *r, const char *path, size_t len, char *err, size_t cap);

/* 1 when path is sign-only: vouchd's own (vouch/), under a --sign-only prefix, or owned by a principal
 * without "export": true. */
int policy_sign_only(const struct app *a, const char *path, size_t len);

/* 0 when the request's client may append to the journal name (the name as given, "" meaning "default"). */
int policy_journal_write(const struct app *a, const req *r, const char *name, size_t len, char *err, size_t cap);

/* Access {"paths": [...], "journals": [...]}: who the caller is, and for each key path and journal, who owns
 * it and whether the caller may use it (dstack.sock and the principals' sockets). */
int api_access(struct app *a, const req *r, json_t **out, char *err, size_t cap);

#endif
