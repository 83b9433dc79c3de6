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

#include "app.h"
#include "journal.h"
#include "journal_json.h"
#include "log.h"
#include "vouch/err.h"
#include "vouch/util.h"

#define SEAL_FORMAT "vouch-journal-seal/1"

static char *seal_path(const struct journals *js)
{
	return path_join(js->app->cfg.state_dir, "journal.seal");
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
	json_t *o = json_pack("{s:s, s:o}", "format", SEAL_FORMAT, "journals", sealed);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *path = seal_path(js);
	int e = !text || !path ? VOUCH_E_NOMEM : vouch_file_write_atomic(path, text, strlen(text), 0600);
	if (e)
		vlog(LOG_ERR, "journal: cannot write the seal %s: %s", path ? path : "", strerror(errno));
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
int journal_seal_check_text(struct journals *js, const char *path, const uint8_t *text, size_t len, int reseal,
			    char *err, size_t cap)
{
	char msg[256];
	int missing = text == NULL;
	json_t *o = missing ? NULL : json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *sealed = json_object_get(o, "journals");
	int rc = 0;
	if (!missing && (!json_is_object(sealed) || !json_is_string(json_object_get(o, "format")) ||
			 strcmp(json_string_value(json_object_get(o, "format")), SEAL_FORMAT))) {
		snprintf(err, cap, "%s is not a journal seal (%s)", path, SEAL_FORMAT);
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

int journal_seal_check(struct journals *js, int reseal, char *err, size_t cap)
{
	char *path = seal_path(js);
	uint8_t *text = NULL;
	size_t len = 0;
	if (!path) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	int missing = vouch_file_read(path, 1 << 20, &text, &len) != 0;
	if (missing && errno != ENOENT) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	int rc = journal_seal_check_text(js, path, missing ? NULL : text, len, reseal, err, cap);
	free(text);
	free(path);
	return rc;
}
