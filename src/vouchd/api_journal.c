/* The journal's RPC methods. On dstack.sock: JournalAppend, and JournalCheckpoint {"now": true}; everywhere
 * (dstack.sock and the public listener): JournalList, JournalGet, JournalCheckpoint, JournalCheckpoints,
 * JournalProve, JournalConsistency, JournalAttestation. "journal" names one (default "default").
 * A journal a principal owns takes JournalAppend from its owner only (policy.h). JournalCheckpoint {"now":
 * true} stays open to every client of dstack.sock: a checkpoint signs the history the journal already holds,
 * with nothing in it a client chooses, and `vouch journal export` asks for one to cover an entry that no
 * checkpoint covers yet, whichever component wrote it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "journal.h"
#include "journal_json.h"
#include "policy.h"
#include "vouch/err.h"
#include "vouch/util.h"

#define MAX_PAGE 1000

static struct journal *pick(struct app *a, const req *r, int create, char *err, size_t cap)
{
	const char *name;
	size_t len;
	if (req_str(r, "journal", &name, &len, err, cap))
		return NULL;
	if (!len)
		name = DEFAULT_JOURNAL, len = strlen(DEFAULT_JOURNAL);
	return journal_get(a->journals, name, len, create && r->listener == LISTEN_DSTACK, err, cap);
}

static int u64_field(const req *r, const char *name, uint64_t *out, int *present, char *err, size_t cap)
{
	int p = 0;
	if (req_u64(r, name, out, &p, err, cap))
		return -1;
	if (present)
		*present = p;
	return 0;
}

int api_journal_append(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	const char *kind, *name;
	size_t kind_len, name_len;
	if (req_str(r, "journal", &name, &name_len, err, cap) || policy_journal_write(a, r, name, name_len, err, cap) ||
	    req_str(r, "kind", &kind, &kind_len, err, cap))
		return -1;
	if (!vouch_journal_kind_valid(kind, kind_len)) {
		snprintf(err, cap, "kind must be 1 to %d printable ASCII characters", VOUCH_JOURNAL_KIND_MAX);
		return -1;
	}
	vouch_journal_entry e = {.kind = kind, .kind_len = kind_len};
	json_t *payload = json_object_get(r->body, "payload"), *ct = json_object_get(r->body, "client_time_ms");
	const char *hex;
	size_t hex_len;
	uint8_t *bytes = NULL;
	char *text = NULL;
	if (req_str(r, "payload_hex", &hex, &hex_len, err, cap))
		return -1;
	if ((payload != NULL) == (hex_len != 0)) {
		snprintf(err, cap, "give either payload (any JSON value) or payload_hex (bytes)");
		return -1;
	}
	if (ct && !json_is_null(ct)) {
		if (!json_is_integer(ct)) {
			snprintf(err, cap, "invalid type for client_time_ms: expected an integer (Unix milliseconds)");
			return -1;
		}
		e.has_client_time = 1;
		e.client_time_ms = json_integer_value(ct);
	}
	if (payload) {
		text = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
		e.payload_json = 1;
		e.payload = (const uint8_t *)text;
		e.payload_len = text ? strlen(text) : 0;
	} else {
		bytes = malloc(hex_len / 2 + 1);
		if (bytes && vouch_hex_decode(bytes, hex_len / 2 + 1, &e.payload_len, hex, hex_len)) {
			snprintf(err, cap, "invalid hex in payload_hex");
			free(bytes);
			return -1;
		}
		e.payload = bytes;
	}
	int rc = -1;
	if (!e.payload) {
		snprintf(err, cap, "out of memory");
	} else if (e.payload_len > VOUCH_JOURNAL_PAYLOAD_MAX) {
		snprintf(err, cap, "payload larger than %u bytes", VOUCH_JOURNAL_PAYLOAD_MAX);
	} else {
		struct journal *j = pick(a, r, 1, err, cap);
		uint8_t leaf[32];
		uint64_t size;
		if (j && journal_append(a->journals, j, &e, leaf, &size, err, cap) == 0) {
			*out = json_pack("{s:s, s:I, s:I, s:o, s:I}", "journal", j->info.name, "seq", (json_int_t)e.seq,
					 "time_ms", (json_int_t)e.time_ms, "leaf_hash", hex_json(leaf, 32), "tree_size",
					 (json_int_t)size);
			rc = *out ? 0 : (snprintf(err, cap, "out of memory"), -1);
		}
	}
	free(text);
	free(bytes);
	return rc;
}

int api_journal_list(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	(void)r, (void)err, (void)cap;
	struct journals *js = a->journals;
	json_t *arr = json_array();
	pthread_mutex_lock(&js->create_lock);
	for (size_t i = 0; i < js->n; i++) {
		struct journal *j = js->j[i];
		json_t *o = jj_journal(&j->info);
		pthread_rwlock_rdlock(&j->lock);
		json_object_set_new(o, "size", json_integer((json_int_t)j->tree.size));
		json_object_set_new(o, "checkpoint", j->have_latest ? jj_checkpoint(&j->latest) : json_null());
		pthread_rwlock_unlock(&j->lock);
		json_array_append_new(arr, o);
	}
	pthread_mutex_unlock(&js->create_lock);
	*out = json_pack("{s:o}", "journals", arr);
	return 0;
}

struct page {
	json_t *arr;
};

static int add_entry(void *ctx, const vouch_journal_entry *e, const uint8_t leaf[32])
{
	struct page *p = ctx;
	return json_array_append_new(p->arr, jj_entry(e, leaf)) ? VOUCH_E_NOMEM : 0;
}

int api_journal_get(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	struct journal *j = pick(a, r, 0, err, cap);
	uint64_t seq = 0, from = 0, count = 1;
	int have_seq, have_from, have_count;
	if (!j || u64_field(r, "seq", &seq, &have_seq, err, cap) || u64_field(r, "from", &from, &have_from, err, cap) ||
	    u64_field(r, "count", &count, &have_count, err, cap))
		return -1;
	if (have_seq && (have_from || have_count)) {
		snprintf(err, cap, "give seq, or from and count");
		return -1;
	}
	if (have_seq)
		from = seq, count = 1;
	else if (!have_count)
		count = 100;
	if (count > MAX_PAGE) {
		snprintf(err, cap, "count is at most %d", MAX_PAGE);
		return -1;
	}
	pthread_rwlock_rdlock(&j->lock);
	uint64_t size = j->tree.size;
	pthread_rwlock_unlock(&j->lock);
	if (have_seq && seq >= size) {
		snprintf(err, cap, "no entry %llu in journal %s (it has %llu)", (unsigned long long)seq, j->info.name,
			 (unsigned long long)size);
		return -1;
	}
	struct page p = {json_array()};
	struct journals *js = a->journals;
	uint64_t to = from + count < from || from + count > size ? size : from + count;
	pthread_mutex_lock(&js->reader_lock);
	int e = from < to ? vouch_journal_store_scan(js->reader, j->info.name, from, to, add_entry, &p) : 0;
	pthread_mutex_unlock(&js->reader_lock);
	if (e) {
		json_decref(p.arr);
		snprintf(err, cap, "reading the journal failed");
		return -1;
	}
	*out = json_pack("{s:s, s:I, s:o}", "journal", j->info.name, "size", (json_int_t)size, "entries", p.arr);
	return 0;
}

/* The newest signed checkpoint. */
static int latest(struct journal *j, vouch_journal_checkpoint *c, char *err, size_t cap)
{
	pthread_rwlock_rdlock(&j->lock);
	int have = j->have_latest;
	*c = j->latest;
	pthread_rwlock_unlock(&j->lock);
	if (!have)
		snprintf(err, cap, "journal %s has no checkpoint yet", j->info.name);
	return have ? 0 : -1;
}

static json_t *journal_and_checkpoint(const struct journal *j, const vouch_journal_checkpoint *c)
{
	return json_pack("{s:o, s:o}", "journal", jj_journal(&j->info), "checkpoint", jj_checkpoint(c));
}

int api_journal_checkpoint(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	struct journal *j = pick(a, r, 0, err, cap);
	int now = 0;
	if (!j || req_bool(r, "now", &now, err, cap))
		return -1;
	vouch_journal_checkpoint c;
	if (now) {
		if (r->listener != LISTEN_DSTACK) {
			snprintf(err, cap, "this listener is read-only: checkpoints are made on dstack.sock");
			return -1;
		}
		if (journal_checkpoint_now(a->journals, j, &c, err, cap))
			return -1;
	} else {
		if (latest(j, &c, err, cap))
			return -1;
	}
	*out = journal_and_checkpoint(j, &c);
	return 0;
}

struct cps {
	json_t *arr;
	vouch_journal_checkpoint one;
	int found;
};

static int add_cp(void *ctx, const vouch_journal_checkpoint *c)
{
	struct cps *p = ctx;
	p->one = *c;
	p->found = 1;
	return p->arr && json_array_append_new(p->arr, jj_checkpoint(c)) ? VOUCH_E_NOMEM : 0;
}

/* The stored checkpoint of exactly this size. */
static int checkpoint_at(struct app *a, const struct journal *j, uint64_t size, vouch_journal_checkpoint *c, char *err,
			 size_t cap)
{
	struct cps p = {0};
	pthread_mutex_lock(&a->journals->reader_lock);
	int e = vouch_journal_store_checkpoints(a->journals->reader, j->info.name, size, size, add_cp, &p);
	pthread_mutex_unlock(&a->journals->reader_lock);
	if (e || !p.found) {
		snprintf(err, cap, "journal %s has no checkpoint of size %llu", j->info.name, (unsigned long long)size);
		return -1;
	}
	*c = p.one;
	return 0;
}

int api_journal_checkpoints(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	struct journal *j = pick(a, r, 0, err, cap);
	uint64_t from = 0, count = MAX_PAGE;
	if (!j || u64_field(r, "from", &from, NULL, err, cap) || u64_field(r, "count", &count, NULL, err, cap))
		return -1;
	if (count == 0 || count > MAX_PAGE)
		count = MAX_PAGE;
	struct cps p = {.arr = json_array()};
	pthread_mutex_lock(&a->journals->reader_lock);
	int e = vouch_journal_store_checkpoints(a->journals->reader, j->info.name, from, UINT64_MAX, add_cp, &p);
	pthread_mutex_unlock(&a->journals->reader_lock);
	if (e) {
		json_decref(p.arr);
		snprintf(err, cap, "reading the journal failed");
		return -1;
	}
	while (json_array_size(p.arr) > count)
		json_array_remove(p.arr, json_array_size(p.arr) - 1);
	*out = json_pack("{s:o, s:o}", "journal", jj_journal(&j->info), "checkpoints", p.arr);
	return 0;
}

static json_t *path_json(uint8_t path[][32], size_t len)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < len; i++)
		json_array_append_new(arr, hex_json(path[i], 32));
	return arr;
}

int api_journal_prove(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	struct journal *j = pick(a, r, 0, err, cap);
	uint64_t seq, size = 0;
	int have_seq, have_size;
	if (!j || u64_field(r, "seq", &seq, &have_seq, err, cap) || u64_field(r, "tree_size", &size, &have_size, err, cap))
		return -1;
	if (!have_seq) {
		snprintf(err, cap, "missing seq");
		return -1;
	}
	vouch_journal_checkpoint c;
	if (have_size) {
		if (checkpoint_at(a, j, size, &c, err, cap))
			return -1;
	} else {
		if (latest(j, &c, err, cap))
			return -1;
	}
	if (seq >= c.tree_size) {
		snprintf(err, cap, "entry %llu is not covered by the checkpoint of size %llu (make one with JournalCheckpoint "
			 "{\"now\": true})", (unsigned long long)seq, (unsigned long long)c.tree_size);
		return -1;
	}
	uint8_t path[VOUCH_MERKLE_MAX_PROOF][32];
	size_t len;
	pthread_rwlock_rdlock(&j->lock);
	int e = vouch_merkle_inclusion_proof(path, &len, seq, c.tree_size, vouch_merkle_mem_get, &j->tree);
	pthread_rwlock_unlock(&j->lock);
	if (e) {
		snprintf(err, cap, "proof: %s", vouch_strerror(e));
		return -1;
	}
	*out = journal_and_checkpoint(j, &c);
	json_object_set_new(*out, "leaf_index", json_integer((json_int_t)seq));
	json_object_set_new(*out, "tree_size", json_integer((json_int_t)c.tree_size));
	json_object_set_new(*out, "path", path_json(path, len));
	return 0;
}

int api_journal_consistency(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	struct journal *j = pick(a, r, 0, err, cap);
	uint64_t first, second;
	int have1, have2;
	if (!j || u64_field(r, "first", &first, &have1, err, cap) || u64_field(r, "second", &second, &have2, err, cap))
		return -1;
	if (!have1 || !have2 || first == 0 || first > second) {
		snprintf(err, cap, "give first and second tree sizes, 0 < first <= second");
		return -1;
	}
	vouch_journal_checkpoint c1, c2;
	if (checkpoint_at(a, j, first, &c1, err, cap) || checkpoint_at(a, j, second, &c2, err, cap))
		return -1;
	uint8_t path[VOUCH_MERKLE_MAX_PROOF][32];
	size_t len;
	pthread_rwlock_rdlock(&j->lock);
	int e = vouch_merkle_consistency_proof(path, &len, first, second, vouch_merkle_mem_get, &j->tree);
	pthread_rwlock_unlock(&j->lock);
	if (e) {
		snprintf(err, cap, "proof: %s", vouch_strerror(e));
		return -1;
	}
	*out = json_pack("{s:o, s:o, s:o, s:o}", "journal", jj_journal(&j->info), "first", jj_checkpoint(&c1), "second",
			 jj_checkpoint(&c2), "path", path_json(path, len));
	return 0;
}

int api_journal_attestation(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	struct journal *j = pick(a, r, 0, err, cap);
	uint8_t nonce[VOUCH_JOURNAL_NONCE_MAX + 1], rd[64];
	size_t nonce_len;
	if (!j || req_hex(r, "nonce", nonce, sizeof nonce, &nonce_len, err, cap))
		return -1;
	if (nonce_len > VOUCH_JOURNAL_NONCE_MAX) {
		snprintf(err, cap, "nonce is at most %d bytes", VOUCH_JOURNAL_NONCE_MAX);
		return -1;
	}
	vouch_journal_binding(rd, j->info.id, j->info.public_key, nonce, nonce_len);
	uint8_t *quote;
	size_t len;
	char *log;
	if (app_quote(a, rd, &quote, &len, &log, NULL, err, cap))
		return -1;
	*out = json_pack("{s:o, s:o, s:o, s:s, s:o, s:s}", "journal", jj_journal(&j->info), "nonce",
			 hex_json(nonce, nonce_len), "quote", hex_json(quote, len), "event_log", log, "report_data",
			 hex_json(rd, 64), "vm_config", a->vm_config);
	free(quote);
	free(log);
	return *out ? 0 : (snprintf(err, cap, "out of memory"), -1);
}
