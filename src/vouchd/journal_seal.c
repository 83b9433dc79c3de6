/* The journals' seal: STATE/journal.seal holds the newest checkpoint vouchd signed for each journal, outside
 * the database. A checkpoint is signed by the journal's key, so whoever can write the state directory cannot
 * forge a seal; what they can do is edit journal.db (rewrite entries and their leaves, delete checkpoint rows),
 * and vouchd must not then sign that history. At start every journal with entries must reproduce its sealed
 * checkpoint; a store with entries and no seal is refused unless the operator says --reseal. What a seal cannot
 * tell: the whole state directory put back to an earlier copy (seal and store together) — a verifier holding a
 * later checkpoint finds that fork (`vouch journal audit --checkpoint`). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "app.h"
#include "journal.h"
#include "journal_json.h"
#include "log.h"
#include "vouch/err.h"
#include "vouch/keys.h"
#include "vouch/util.h"

#define SEAL_FORMAT "vouch-journal-seal/1"

/* The seal's MAC: HMAC-SHA256 under a key derived inside vouchd (vouch/journal-seal) over the compact,
 * key-sorted text of "journals". Each checkpoint in it is signed already; the MAC is what stops a seal from
 * being edited as a whole — a journal dropped from it, or an older genuine checkpoint put in its place. */
int journal_seal_mac(struct journals *js, const void *journals, uint8_t out[32])
{
	vouch_derived_key k;
	char *text = json_dumps(journals, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned len = 32;
	int e = text ? vouch_get_key(&k, js->app->root, "vouch/journal-seal", 18, "journal-seal", 12, VOUCH_ALG_SECP256K1)
		     : VOUCH_E_NOMEM;
	if (!e && !HMAC(EVP_sha256(), k.key, 32, (const uint8_t *)text, strlen(text), out, &len))
		e = VOUCH_E_ARG;
	vouch_wipe(&k, sizeof k);
	free(text);
	return e;
}

/* Two threads write the seal (the writer after a checkpoint, the main thread at start): one at a time, since
 * the atomic write's temporary file is named by the process. */
static pthread_mutex_t seal_lock = PTHREAD_MUTEX_INITIALIZER;

static char *seal_path(const struct journals *js)
{
	return path_join(js->app->cfg.state_dir, "journal.seal");
}

/* Once: the instance-id-seed gains "journals", so that a state directory whose store and seal are later both
 * gone is told from one that never had them. */
static int mark_begun(struct journals *js)
{
	struct app *a = js->app;
	char text[51], *path = path_join(a->cfg.state_dir, "instance-id-seed");
	vouch_hex_encode(text, a->instance_seed, 20);
	memcpy(text + 40, "\njournals\n", 10);
	pthread_mutex_lock(&seal_lock);
	int e = a->journals_begun ? 0 : path ? vouch_file_write_atomic(path, text, 50, 0600) : VOUCH_E_NOMEM;
	if (e)
		vlog(LOG_ERR, "journal: cannot mark %s: %s", path ? path : "instance-id-seed", strerror(errno));
	else
		a->journals_begun = 1;
	pthread_mutex_unlock(&seal_lock);
	free(path);
	return e;
}

int journal_seal_write(struct journals *js)
{
	struct journal *list[MAX_JOURNALS];
	pthread_mutex_lock(&js->create_lock);
	size_t n = js->n;
	memcpy(list, js->j, n * sizeof *list);
	pthread_mutex_unlock(&js->create_lock);
	json_t *sealed = json_object();
	for (size_t i = 0; i < n; i++) {
		pthread_rwlock_rdlock(&list[i]->lock);
		if (list[i]->have_latest)
			json_object_set_new(sealed, list[i]->info.name, jj_checkpoint(&list[i]->latest));
		pthread_rwlock_unlock(&list[i]->lock);
	}
	uint8_t mac[32];
	char mac_hex[65];
	int e = journal_seal_mac(js, sealed, mac);
	vouch_hex_encode(mac_hex, mac, 32);
	json_t *o = e ? NULL : json_pack("{s:s, s:o, s:s}", "format", SEAL_FORMAT, "journals", sealed, "mac", mac_hex);
	if (e)
		json_decref(sealed);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *path = seal_path(js);
	pthread_mutex_lock(&seal_lock);
	e = !text || !path ? VOUCH_E_NOMEM : vouch_file_write_atomic(path, text, strlen(text), 0600);
	pthread_mutex_unlock(&seal_lock);
	if (e)
		vlog(LOG_ERR, "journal: cannot write the seal %s: %s", path ? path : "", strerror(errno));
	else
		e = mark_begun(js);
	json_decref(o);
	free(text);
	free(path);
	return e;
}

/* The sealed checkpoint of one journal: the store must still reproduce it. */
static int check_one(struct journals *js, struct journal *j, const vouch_journal_checkpoint *c, char *err, size_t cap)
{
	uint8_t root[32];
	if (memcmp(c->journal_id, j->info.id, 32) || vouch_journal_checkpoint_verify(c, j->info.public_key)) {
		snprintf(err, cap, "journal %s: its sealed checkpoint is not signed by its key (%s was altered)",
			 j->info.name, "journal.seal");
		return -1;
	}
	if (c->tree_size > j->tree.size ||
	    vouch_merkle_root(root, c->tree_size, vouch_merkle_mem_get, &j->tree) || memcmp(root, c->root, 32)) {
		snprintf(err, cap, "journal %s does not reproduce the checkpoint of %llu entries vouchd signed and sealed "
			 "(the store has %llu): its entries were rewritten or removed; run vouch journal audit %s",
			 j->info.name, (unsigned long long)c->tree_size, (unsigned long long)j->tree.size, js->path);
		return -1;
	}
	if (!j->have_latest || j->latest.tree_size < c->tree_size) {
		snprintf(err, cap, "journal %s: the store lost the checkpoint of %llu entries vouchd signed and sealed "
			 "(its checkpoints were deleted); run vouch journal audit %s", j->info.name,
			 (unsigned long long)c->tree_size, js->path);
		return -1;
	}
	return 0;
}

/* The seal text (NULL: there is no seal file) checked against the journals js holds; path names the seal in
 * messages. Reads nothing but its arguments, so that it can be fuzzed (fuzz/fuzz_seal.c). */
int journal_seal_check_text(struct journals *js, const char *path, const uint8_t *text, size_t len, int had_store,
			    int reseal, char *err, size_t cap)
{
	char msg[256];
	uint8_t mac[32], want[32];
	size_t mac_len = 0;
	int missing = text == NULL;
	json_t *o = missing ? NULL : json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *sealed = json_object_get(o, "journals"), *m = json_object_get(o, "mac");
	int rc = 0;
	if (!missing && (!json_is_object(sealed) || !json_is_string(json_object_get(o, "format")) ||
			 strcmp(json_string_value(json_object_get(o, "format")), SEAL_FORMAT) || json_object_size(o) != 3 ||
			 !json_is_string(m) ||
			 vouch_hex_decode(mac, sizeof mac, &mac_len, json_string_value(m), json_string_length(m)) ||
			 mac_len != 32)) {
		snprintf(err, cap, "%s is not a journal seal (%s: format, journals, mac)", path, SEAL_FORMAT);
		rc = -1;
	} else if (!missing && (journal_seal_mac(js, sealed, want) || CRYPTO_memcmp(want, mac, 32))) {
		snprintf(err, cap, "%s was not written by vouchd (its MAC does not verify): it was edited", path);
		rc = -1;
	} else if (missing && !had_store && js->app->journals_begun && !reseal) {
		/* this instance sealed its journals before (its instance-id-seed says so), and the store and the seal
		 * are gone: a new history under the same journal keys would be a fork of what vouchd signed. To begin
		 * anew unseen, one must delete the seed too, which gives the TD another instance id in every quote. */
		snprintf(err, cap, "the journal store and its seal are gone from %s, which vouchd used before: a new "
			 "journal would sign another history under the same keys; restore them, or start with --reseal "
			 "to begin the journals anew", js->app->cfg.state_dir);
		rc = -1;
	}
	/* every sealed journal is still there and reproduces its checkpoint */
	const char *name;
	json_t *v;
	json_object_foreach(sealed, name, v)
	{
		if (rc)
			break;
		struct journal *j = NULL;
		for (size_t i = 0; i < js->n && !j; i++)
			if (!strcmp(js->j[i]->info.name, name))
				j = js->j[i];
		vouch_journal_checkpoint c;
		if (!j) {
			snprintf(err, cap, "journal %.64s was sealed but the store no longer has it: %s was altered", name,
				 js->path);
			rc = -1;
		} else if (jj_parse_checkpoint(v, &c, msg, sizeof msg)) {
			snprintf(err, cap, "%s: journal %s: %s", path, j->info.name, msg);
			rc = -1;
		} else {
			rc = check_one(js, j, &c, err, cap);
		}
	}
	/* every journal with entries is sealed */
	for (size_t i = 0; i < js->n && !rc; i++) {
		struct journal *j = js->j[i];
		if (j->tree.size == 0 || json_object_get(sealed, j->info.name))
			continue;
		if (!reseal) {
			snprintf(err, cap, "journal %s has %llu entries but %s holds no checkpoint of it: the store may have "
				 "been rewritten (run vouch journal audit %s); to accept the store as it stands, start once "
				 "with --reseal", j->info.name, (unsigned long long)j->tree.size, path, js->path);
			rc = -1;
		} else {
			vlog(LOG_WARN, "journal %s: --reseal: accepting %llu unsealed entries as the store holds them",
			     j->info.name, (unsigned long long)j->tree.size);
		}
	}
	json_decref(o);
	return rc;
}

int journal_seal_check(struct journals *js, int had_store, int reseal, char *err, size_t cap)
{
	char *path = seal_path(js);
	uint8_t *text = NULL;
	size_t len = 0;
	if (!path) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	int re = vouch_file_read_regular(path, 1 << 20, &text, &len);
	int missing = re == VOUCH_E_IO && errno == ENOENT;
	if (re && !missing) {
		snprintf(err, cap, "%s: %s", path, re == VOUCH_E_IO ? strerror(errno) : vouch_strerror(re));
		free(path);
		return -1;
	}
	int rc = journal_seal_check_text(js, path, missing ? NULL : text, len, had_store, reseal, err, cap);
	free(text);
	free(path);
	return rc;
}
