/* vouchd's journals: the writer thread, group commit, checkpoints, start-up (see journal.h). */
#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "app.h"
#include "journal.h"
#include "log.h"
#include "vouch/err.h"
#include "vouch/keys.h"
#include "vouch/util.h"

enum { REQ_APPEND, REQ_CHECKPOINT };

struct journal_req {
	int type;
	struct journal *j;
	vouch_journal_entry *e;
	uint8_t *leaf_hash;
	uint64_t tree_size;
	vouch_journal_checkpoint cp;
	int err;
	sem_t done;      /* posted by the writer: the waiter needs no lock to learn it is done */
	struct journal_req *next;
};

/* An entry's MAC: HMAC-SHA256(mac_key, "vouch.journal.mac.v1" 0x00 ‖ journal id ‖ BE64(seq) ‖ leaf hash). Only
 * vouchd holds the key, so an entry rewritten in the store (leaf recomputed) fails it: that is how vouchd
 * tells its own entries from edited ones where no signed checkpoint covers them yet (after a crash). */
static void entry_mac(uint8_t out[32], const struct journal *j, uint64_t seq, const uint8_t leaf[32])
{
	static const char tag[] = "vouch.journal.mac.v1";
	uint8_t b[sizeof tag + 32 + 8 + 32], *p = b + sizeof tag;
	unsigned len = 32;
	memcpy(b, tag, sizeof tag);
	memcpy(p, j->info.id, 32);
	for (int i = 7; i >= 0; i--)
		p[32 + 7 - i] = (uint8_t)(seq >> (8 * i));
	memcpy(p + 40, leaf, 32);
	if (!HMAC(EVP_sha256(), j->mac_key, sizeof j->mac_key, b, sizeof b, out, &len))
		memset(out, 0, 32); /* never verifies */
}

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* The journals as they are now (another may be created meanwhile, under create_lock). */
static size_t snapshot(struct journals *js, struct journal **out)
{
	pthread_mutex_lock(&js->create_lock);
	size_t n = js->n;
	memcpy(out, js->j, n * sizeof *out);
	pthread_mutex_unlock(&js->create_lock);
	return n;
}

/* Signs and stores a checkpoint of the committed tree (writer thread). */
static int make_checkpoint(struct journals *js, struct journal *j)
{
	vouch_journal_checkpoint c = {0};
	pthread_rwlock_rdlock(&j->lock);
	c.tree_size = j->tree.size;
	int fresh = !j->have_latest || j->latest.tree_size != c.tree_size;
	int e = fresh ? vouch_merkle_root(c.root, c.tree_size, vouch_merkle_mem_get, &j->tree) : 0;
	pthread_rwlock_unlock(&j->lock);
	if (!fresh || e)
		return e;
	memcpy(c.journal_id, j->info.id, 32);
	c.time_ms = now_ms();
	if (c.time_ms < j->last_time_ms)
		c.time_ms = j->last_time_ms;
	if ((e = vouch_journal_checkpoint_sign(&c, j->key)))
		return e;
	if ((e = vouch_journal_store_put_checkpoint(js->writer, j->info.name, &c))) {
		vlog(LOG_ERR, "journal %s: storing a checkpoint: %s", j->info.name, vouch_journal_store_error(js->writer));
		return e;
	}
	pthread_rwlock_wrlock(&j->lock);
	j->latest = c;
	j->have_latest = 1;
	pthread_rwlock_unlock(&j->lock);
	/* outside the database, so that an edited store cannot be signed again (journal_seal.c) */
	return journal_seal_write(js);
}

/* One group commit: every queued append in one transaction (one fsync), then the trees, then the
 * checkpoints that are due or asked for. */
static void run_batch(struct journals *js, struct journal_req *batch)
{
	uint64_t t = now_ms();
	uint64_t next_seq[MAX_JOURNALS];
	struct journal *list[MAX_JOURNALS];
	size_t n = snapshot(js, list);
	for (size_t i = 0; i < n; i++) {
		pthread_rwlock_rdlock(&list[i]->lock);
		next_seq[i] = list[i]->tree.size;
		pthread_rwlock_unlock(&list[i]->lock);
	}
	int e = 0, appends = 0;
	for (struct journal_req *r = batch; r; r = r->next)
		appends += r->type == REQ_APPEND;
	if (appends)
		e = vouch_journal_store_begin(js->writer);
	for (struct journal_req *r = batch; !e && r; r = r->next) {
		if (r->type != REQ_APPEND)
			continue;
		size_t k = 0;
		while (list[k] != r->j)
			k++;
		r->e->seq = next_seq[k]++;
		r->e->time_ms = t < r->j->last_time_ms ? r->j->last_time_ms : t;
		uint8_t mac[32];
		e = vouch_journal_leaf_hash(r->leaf_hash, r->e);
		if (!e)
			entry_mac(mac, r->j, r->e->seq, r->leaf_hash);
		if (!e && (e = vouch_journal_store_put_entry_mac(js->writer, r->j->info.name, r->e, r->leaf_hash, mac)))
			vlog(LOG_ERR, "journal %s: %s", r->j->info.name, vouch_journal_store_error(js->writer));
	}
	if (appends && !e && (e = vouch_journal_store_commit(js->writer)))
		vlog(LOG_ERR, "journal: commit: %s", vouch_journal_store_error(js->writer));
	if (appends && e)
		vouch_journal_store_rollback(js->writer);
	/* committed: into the trees, in seq order */
	for (struct journal_req *r = batch; r; r = r->next) {
		if (r->type != REQ_APPEND)
			continue;
		r->err = e;
		if (e)
			continue;
		pthread_rwlock_wrlock(&r->j->lock);
		int m = vouch_merkle_mem_append(&r->j->tree, r->leaf_hash);
		r->tree_size = r->j->tree.size;
		pthread_rwlock_unlock(&r->j->lock);
		r->j->last_time_ms = r->e->time_ms;
		if (m) {
			/* the entry is on disk but the tree could not grow: stop taking appends rather than diverge */
			vlog(LOG_ERR, "journal %s: out of memory growing the tree; restart vouchd", r->j->info.name);
			r->err = VOUCH_E_NOMEM;
			pthread_mutex_lock(&js->q_lock);
			js->stop = 1;
			pthread_mutex_unlock(&js->q_lock);
		}
	}
	js->commits += appends ? 1 : 0;
	js->appended += e ? 0 : (uint64_t)appends;
	/* checkpoints: asked for, or due (every N entries) */
	for (size_t i = 0; i < n; i++) {
		struct journal *j = list[i];
		int asked = 0;
		for (struct journal_req *r = batch; r; r = r->next)
			asked |= r->type == REQ_CHECKPOINT && r->j == j;
		pthread_rwlock_rdlock(&j->lock);
		uint64_t since = j->tree.size - (j->have_latest ? j->latest.tree_size : 0);
		pthread_rwlock_unlock(&j->lock);
		if (!asked && !(js->checkpoint_every && since >= js->checkpoint_every))
			continue;
		int ce = make_checkpoint(js, j);
		for (struct journal_req *r = batch; r; r = r->next) {
			if (r->type == REQ_CHECKPOINT && r->j == j) {
				r->err = ce;
				pthread_rwlock_rdlock(&j->lock);
				r->cp = j->latest;
				r->err = ce ? ce : j->have_latest ? 0 : VOUCH_E_JOURNAL_STORE;
				pthread_rwlock_unlock(&j->lock);
			}
		}
	}
}

/* Checkpoints for journals with entries older than the interval that no checkpoint covers. */
static void periodic(struct journals *js)
{
	uint64_t t = now_ms();
	struct journal *list[MAX_JOURNALS];
	size_t n = snapshot(js, list);
	for (size_t i = 0; i < n; i++) {
		struct journal *j = list[i];
		pthread_rwlock_rdlock(&j->lock);
		int due = j->tree.size > (j->have_latest ? j->latest.tree_size : 0) &&
			  (!j->have_latest || t - j->latest.time_ms >= js->checkpoint_interval_ms);
		pthread_rwlock_unlock(&j->lock);
		if (due && make_checkpoint(js, j))
			vlog(LOG_ERR, "journal %s: periodic checkpoint failed", j->info.name);
	}
}

static void *writer_main(void *arg)
{
	struct journals *js = arg;
	pthread_mutex_lock(&js->q_lock);
	while (!js->stop) {
		if (!js->head) {
			struct timespec dl;
			clock_gettime(CLOCK_REALTIME, &dl);
			uint64_t ms = js->checkpoint_interval_ms ? js->checkpoint_interval_ms : 1000;
			dl.tv_sec += (time_t)(ms / 1000);
			dl.tv_nsec += (long)(ms % 1000) * 1000000L;
			if (dl.tv_nsec >= 1000000000L)
				dl.tv_sec++, dl.tv_nsec -= 1000000000L;
			if (pthread_cond_timedwait(&js->q_cond, &js->q_lock, &dl) == ETIMEDOUT && js->checkpoint_interval_ms) {
				pthread_mutex_unlock(&js->q_lock);
				periodic(js);
				pthread_mutex_lock(&js->q_lock);
			}
			continue;
		}
		struct journal_req *batch = js->head;
		js->head = js->tail = NULL;
		pthread_mutex_unlock(&js->q_lock);
		run_batch(js, batch);
		for (struct journal_req *r = batch, *next; r; r = next) {
			next = r->next; /* (r lives on its waiter's stack: read next before posting) */
			sem_post(&r->done);
		}
		pthread_mutex_lock(&js->q_lock);
	}
	/* whatever is still queued is refused */
	for (struct journal_req *r = js->head, *next; r; r = next) {
		next = r->next;
		r->err = VOUCH_E_JOURNAL_STORE;
		sem_post(&r->done);
	}
	js->head = js->tail = NULL;
	pthread_mutex_unlock(&js->q_lock);
	return NULL;
}

static int submit(struct journals *js, struct journal_req *r)
{
	sem_init(&r->done, 0, 0);
	pthread_mutex_lock(&js->q_lock);
	if (js->stop) {
		pthread_mutex_unlock(&js->q_lock);
		sem_destroy(&r->done);
		return VOUCH_E_JOURNAL_STORE;
	}
	r->next = NULL;
	int wake = !js->head; /* the writer waits only on an empty queue */
	if (js->tail)
		js->tail->next = r;
	else
		js->head = r;
	js->tail = r;
	if (wake)
		pthread_cond_signal(&js->q_cond);
	pthread_mutex_unlock(&js->q_lock);
	while (sem_wait(&r->done) && errno == EINTR)
		;
	sem_destroy(&r->done);
	return r->err;
}

int journal_append(struct journals *js, struct journal *j, vouch_journal_entry *e, uint8_t leaf_hash[32],
		   uint64_t *tree_size, char *err, size_t cap)
{
	struct journal_req r = {.type = REQ_APPEND, .j = j, .e = e, .leaf_hash = leaf_hash};
	int rc = submit(js, &r);
	if (rc) {
		snprintf(err, cap, "the journal could not store the entry (%s)", vouch_strerror(rc));
		return -1;
	}
	*tree_size = r.tree_size;
	return 0;
}

int journal_checkpoint_now(struct journals *js, struct journal *j, vouch_journal_checkpoint *out, char *err, size_t cap)
{
	struct journal_req r = {.type = REQ_CHECKPOINT, .j = j};
	int rc = submit(js, &r);
	if (rc) {
		snprintf(err, cap, "the journal could not make a checkpoint (%s)", vouch_strerror(rc));
		return -1;
	}
	*out = r.cp;
	return 0;
}

static int derive_key(struct app *a, const char *name, uint8_t key[32], uint8_t pub[33])
{
	char path[16 + VOUCH_JOURNAL_NAME_MAX];
	int n = snprintf(path, sizeof path, "vouch/journal/%s", name);
	vouch_derived_key k;
	int e = vouch_get_key(&k, a->root, path, (size_t)n, "journal", 7, VOUCH_ALG_SECP256K1);
	if (!e) {
		memcpy(key, k.key, 32);
		memcpy(pub, k.pub, 33);
	}
	vouch_wipe(&k, sizeof k);
	return e;
}

/* The entries' MAC key: derived from the root under vouchd's reserved prefix, as the signing key is. */
static int derive_mac_key(struct app *a, const char *name, uint8_t key[32])
{
	char path[24 + VOUCH_JOURNAL_NAME_MAX];
	int n = snprintf(path, sizeof path, "vouch/journal-mac/%s", name);
	vouch_derived_key k;
	int e = vouch_get_key(&k, a->root, path, (size_t)n, "journal-mac", 11, VOUCH_ALG_SECP256K1);
	if (!e)
		memcpy(key, k.key, 32);
	vouch_wipe(&k, sizeof k);
	return e;
}

struct tail_check {
	struct journal *j;
	int reseal;
	uint64_t bad, unmarked;
	int found;
};

static int check_mac(void *ctx, uint64_t seq, const uint8_t leaf[32], const uint8_t *mac)
{
	struct tail_check *t = ctx;
	uint8_t want[32];
	if (!mac) {
		if (!t->unmarked++ && !t->reseal) {
			t->bad = seq, t->found = 1;
			return VOUCH_E_JOURNAL_TAMPERED;
		}
		return 0;
	}
	entry_mac(want, t->j, seq, leaf);
	if (CRYPTO_memcmp(want, mac, 32)) {
		t->bad = seq, t->found = 2;
		return VOUCH_E_JOURNAL_TAMPERED;
	}
	return 0;
}

static int load_leaf(void *ctx, const vouch_journal_entry *e, const uint8_t leaf[32])
{
	struct journal *j = ctx;
	if (e->seq != j->tree.size)
		return VOUCH_E_JOURNAL_TAMPERED;
	j->last_time_ms = e->time_ms;
	return vouch_merkle_mem_append(&j->tree, leaf);
}

/* A journal's state from the store: its tree from the stored leaf hashes, checked against its latest
 * signed checkpoint (a store edited behind vouchd's back is refused; `vouch journal audit` says where). */
static struct journal *load(struct journals *js, vouch_journal_store *st, const vouch_journal_info *info, char *err,
			    size_t cap)
{
	struct journal *j = calloc(1, sizeof *j);
	if (!j) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	j->info = *info;
	pthread_rwlock_init(&j->lock, NULL);
	vouch_merkle_mem_init(&j->tree);
	uint8_t pub[33], root[32];
	int e = derive_key(js->app, info->name, j->key, pub);
	if (!e)
		e = derive_mac_key(js->app, info->name, j->mac_key);
	if (!e && memcmp(pub, info->public_key, 33) != 0) {
		snprintf(err, cap, "journal %s was created with another app key (its key is not derivable here)", info->name);
		goto fail;
	}
	uint8_t id[32];
	vouch_journal_id(id, pub, info->name, strlen(info->name));
	if (!e && memcmp(id, info->id, 32) != 0) {
		/* the id is the key's and the name's: vouchd never signs or measures an id the store chose */
		snprintf(err, cap, "journal %s: its stored id is not the hash of its key and name: the store was altered",
			 info->name);
		goto fail;
	}
	if (!e)
		e = vouch_journal_store_scan(st, info->name, 0, UINT64_MAX, load_leaf, j);
	if (!e)
		e = vouch_journal_store_latest_checkpoint(st, info->name, &j->latest, &j->have_latest);
	if (e) {
		snprintf(err, cap, "journal %s: %s", info->name,
			 e == VOUCH_E_JOURNAL_TAMPERED ? "its entries are not numbered 0, 1, 2, … (run vouch journal audit)"
						       : vouch_journal_store_error(st));
		goto fail;
	}
	if (j->have_latest) {
		if (j->latest.tree_size > j->tree.size ||
		    vouch_merkle_root(root, j->latest.tree_size, vouch_merkle_mem_get, &j->tree) ||
		    memcmp(root, j->latest.root, 32) != 0 || vouch_journal_checkpoint_verify(&j->latest, pub)) {
			snprintf(err, cap, "journal %s does not reproduce its latest signed checkpoint (size %llu): the store "
				 "was altered; run vouch journal audit %s", info->name,
				 (unsigned long long)j->latest.tree_size, js->path);
			goto fail;
		}
		if (j->latest.time_ms > j->last_time_ms)
			j->last_time_ms = j->latest.time_ms;
	}
	/* entries no signed checkpoint covers (a crash left them) are about to be signed: each must carry
	 * vouchd's MAC, or the store was edited while vouchd was down */
	struct tail_check t = {.j = j, .reseal = js->app->cfg.reseal};
	uint64_t covered = j->have_latest ? j->latest.tree_size : 0;
	e = covered < j->tree.size ? vouch_journal_store_scan_macs(st, info->name, covered, UINT64_MAX, check_mac, &t) : 0;
	if (e) {
		if (t.found == 2)
			snprintf(err, cap, "journal %s: entry %llu, which no signed checkpoint covers, was not written by vouchd "
				 "(its MAC does not verify): the store was altered; run vouch journal audit %s", info->name,
				 (unsigned long long)t.bad, js->path);
		else if (t.found == 1)
			snprintf(err, cap, "journal %s: entry %llu, which no signed checkpoint covers, has no MAC (written "
				 "by an older vouchd, or inserted): run vouch journal audit %s, then start with --reseal to "
				 "accept it", info->name, (unsigned long long)t.bad, js->path);
		else
			snprintf(err, cap, "journal %s: %s", info->name, vouch_journal_store_error(st));
		goto fail;
	}
	if (t.unmarked)
		vlog(LOG_WARN, "journal %s: --reseal: accepting %llu entries without a MAC that no checkpoint covers",
		     info->name, (unsigned long long)t.unmarked);
	return j;
fail:
	vouch_wipe(j->key, sizeof j->key);
	vouch_wipe(j->mac_key, sizeof j->mac_key);
	vouch_merkle_mem_free(&j->tree);
	pthread_rwlock_destroy(&j->lock);
	free(j);
	return NULL;
}

struct journal *journal_get(struct journals *js, const char *name, size_t len, int create, char *err, size_t cap)
{
	if (!vouch_journal_name_valid(name, len)) {
		snprintf(err, cap, "invalid journal name: 1 to %d characters of A-Z a-z 0-9 . _ -", VOUCH_JOURNAL_NAME_MAX);
		return NULL;
	}
	pthread_mutex_lock(&js->create_lock);
	struct journal *found = NULL;
	for (size_t i = 0; i < js->n && !found; i++)
		if (strlen(js->j[i]->info.name) == len && memcmp(js->j[i]->info.name, name, len) == 0)
			found = js->j[i];
	if (found || !create) {
		pthread_mutex_unlock(&js->create_lock);
		if (!found)
			snprintf(err, cap, "no journal named %.*s", (int)len, name);
		return found;
	}
	if (js->n == MAX_JOURNALS) {
		pthread_mutex_unlock(&js->create_lock);
		snprintf(err, cap, "at most %d journals", MAX_JOURNALS);
		return NULL;
	}
	/* a new journal: its key, its id, its creation measured into RTMR3, then its row */
	vouch_journal_info info = {0};
	snprintf(info.name, sizeof info.name, "%.*s", (int)len, name);
	uint8_t key[32], payload[65];
	struct journal *j = NULL;
	if (derive_key(js->app, info.name, key, info.public_key)) {
		snprintf(err, cap, "deriving the journal key failed");
		goto out;
	}
	vouch_wipe(key, sizeof key);
	vouch_journal_id(info.id, info.public_key, info.name, len);
	info.created_ms = now_ms();
	memcpy(payload, info.id, 32);
	memcpy(payload + 32, info.public_key, 33);
	if (app_emit_event(js->app, VOUCH_JOURNAL_EVENT, payload, sizeof payload, err, cap))
		goto out;
	/* through the reader's connection: the writer thread's belongs to it */
	pthread_mutex_lock(&js->reader_lock);
	int e = vouch_journal_store_add_journal(js->reader, &info);
	if (e)
		snprintf(err, cap, "creating journal %s: %s", info.name, vouch_journal_store_error(js->reader));
	else
		j = load(js, js->reader, &info, err, cap);
	pthread_mutex_unlock(&js->reader_lock);
	if (j) {
		js->j[js->n++] = j;
		vlog(LOG_INFO, "journal %s created (its key's creation event is in RTMR3)", info.name);
	}
out:
	pthread_mutex_unlock(&js->create_lock);
	/* sealed from its first moment (a checkpoint of size 0), so that a crash before its first real checkpoint
	 * leaves a journal vouchd will start on; at start-up the writer is not running yet and journals_open does it */
	vouch_journal_checkpoint c0;
	if (j && js->started && journal_checkpoint_now(js, j, &c0, err, cap))
		vlog(LOG_ERR, "journal %s: its first checkpoint: %s", info.name, err);
	return j;
}

/* RTMR3 starts from zero at each boot: a journal created in an earlier boot has its key measured again, so that
 * a quote of this boot binds it (its bundles name the "vouch-journal" event of the boot their quote is from). */
static int measure_again(struct journals *js, struct journal *j, char *err, size_t cap)
{
	struct app *a = js->app;
	uint8_t payload[65];
	memcpy(payload, j->info.id, 32);
	memcpy(payload + 32, j->info.public_key, 33);
	int seen = 0;
	pthread_rwlock_rdlock(&a->events_lock);
	for (size_t i = 0; i < a->n_events && !seen; i++)
		seen = !strcmp(a->events[i].name, VOUCH_JOURNAL_EVENT) && a->events[i].payload_len == sizeof payload &&
		       !memcmp(a->events[i].payload, payload, sizeof payload);
	pthread_rwlock_unlock(&a->events_lock);
	if (seen)
		return 0;
	if (app_emit_event(a, VOUCH_JOURNAL_EVENT, payload, sizeof payload, err, cap))
		return -1;
	vlog(LOG_INFO, "journal %s: its key measured into this boot's RTMR3", j->info.name);
	return 0;
}

int journals_open(struct journals *js, struct app *a, unsigned checkpoint_every, unsigned interval_s, char *err,
		  size_t cap)
{
	memset(js, 0, sizeof *js);
	js->app = a;
	js->checkpoint_every = checkpoint_every;
	js->checkpoint_interval_ms = interval_s * 1000u;
	pthread_mutex_init(&js->reader_lock, NULL);
	pthread_mutex_init(&js->create_lock, NULL);
	pthread_mutex_init(&js->q_lock, NULL);
	pthread_cond_init(&js->q_cond, NULL);
	js->path = path_join(a->cfg.state_dir, "journal.db");
	int had_store = js->path && path_exists(js->path);
	char msg[512];
	if (!js->path || vouch_journal_store_open(&js->writer, js->path, 0, msg, sizeof msg) ||
	    vouch_journal_store_open(&js->reader, js->path, 0, msg, sizeof msg)) {
		snprintf(err, cap, "%s", js->path ? msg : "out of memory");
		return -1;
	}
	vouch_journal_info list[MAX_JOURNALS];
	size_t n;
	if (vouch_journal_store_list_journals(js->writer, list, MAX_JOURNALS, &n)) {
		snprintf(err, cap, "%s: %s", js->path, vouch_journal_store_error(js->writer));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct journal *j = load(js, js->writer, &list[i], err, cap);
		if (!j)
			return -1;
		js->j[js->n++] = j;
		vlog(LOG_INFO, "journal %s: %llu entries, latest checkpoint %llu", j->info.name,
		     (unsigned long long)j->tree.size, (unsigned long long)(j->have_latest ? j->latest.tree_size : 0));
	}
	/* nothing is signed before the store is reconciled with what vouchd sealed */
	if (journal_seal_check(js, had_store, a->cfg.reseal, err, cap))
		return -1;
	for (size_t i = 0; i < js->n; i++)
		if (measure_again(js, js->j[i], err, cap))
			return -1;
	if (!journal_get(js, DEFAULT_JOURNAL, strlen(DEFAULT_JOURNAL), 1, err, cap))
		return -1;
	if (pthread_create(&js->writer_thread, NULL, writer_main, js)) {
		snprintf(err, cap, "cannot start the journal writer: %s", strerror(errno));
		return -1;
	}
	js->started = 1;
	/* entries that a crash left without a checkpoint get one now */
	for (size_t i = 0; i < js->n; i++) {
		vouch_journal_checkpoint c;
		if (journal_checkpoint_now(js, js->j[i], &c, err, cap))
			return -1;
	}
	/* and the seal is written in any case (a --reseal, or a first start under this version) */
	if (journal_seal_write(js)) {
		snprintf(err, cap, "cannot write the journal seal in %s", a->cfg.state_dir);
		return -1;
	}
	return 0;
}

void journals_close(struct journals *js)
{
	if (js->started) {
		pthread_mutex_lock(&js->q_lock);
		js->stop = 1;
		pthread_cond_signal(&js->q_cond);
		pthread_mutex_unlock(&js->q_lock);
		pthread_join(js->writer_thread, NULL);
		vlog(LOG_INFO, "journal: %llu appends in %llu commits", (unsigned long long)js->appended,
		     (unsigned long long)js->commits);
	}
	for (size_t i = 0; i < js->n; i++) {
		vouch_wipe(js->j[i]->key, sizeof js->j[i]->key);
		vouch_wipe(js->j[i]->mac_key, sizeof js->j[i]->mac_key);
		vouch_merkle_mem_free(&js->j[i]->tree);
		pthread_rwlock_destroy(&js->j[i]->lock);
		free(js->j[i]);
	}
	vouch_journal_store_close(js->writer);
	vouch_journal_store_close(js->reader);
	free(js->path);
	pthread_mutex_destroy(&js->reader_lock);
	pthread_mutex_destroy(&js->create_lock);
	pthread_mutex_destroy(&js->q_lock);
	pthread_cond_destroy(&js->q_cond);
	memset(js, 0, sizeof *js);
}
