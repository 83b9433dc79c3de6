/* Receipts: each answer's text signed by the gateway's two sign-only keys in vouchd and appended to vouchd's
 * journal, by worker threads, after the answer has gone out (signing does not delay an answer, unless more than
 * QUEUE_MAX receipts are waiting: then answers wait for room, so a load the signers cannot follow slows down
 * instead of growing memory without end). An index maps
 * each chat id to its journal entry; it is rebuilt from the journal at start, so /v1/signature answers for every
 * answer ever given, and every answer is provable with a journal bundle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway.h"
#include "vouch/keys.h"
#include "vouch/util.h"

#define BUCKETS 65536
#define WAIT_S 30
#define QUEUE_MAX 4096 /* receipts waiting to be signed; past this, answers wait for room (back-pressure) */

/* One answer's receipt. An id the backend gave twice has a record per answer, newest first in its bucket;
 * a record is never reused, so a worker finishing one answer's receipt cannot touch another's. */
struct rec {
	struct rec *next;
	int64_t seq;    /* journal entry, -1 while being signed */
	int failed;     /* 1: signing failed; 2: the answer never reached its client, so it has no receipt */
	uint8_t req[32]; /* SHA-256 of the request: a client finds its own answer among several with one id */
	char id[];
};

struct job {
	struct rec *rec;
	char text[130];
	struct job *next;
};

struct receipts {
	pthread_mutex_t lock;
	pthread_cond_t work, done, room;
	struct rec *bucket[BUCKETS];
	struct job *head, *tail;
	size_t queued;
	int stop;
	pthread_t *threads;
	unsigned n_threads;
	unsigned long signed_count, failed_count;
};

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % BUCKETS;
}

/* under lock: the answer /v1/signature/{id} speaks for — the newest with this id (and this request, when req
 * is given) that is signed or being signed, else the newest (failed) one */
static struct rec *find(struct receipts *r, const char *id, const uint8_t *req)
{
	struct rec *failed = NULL;
	for (struct rec *x = r->bucket[hash(id)]; x; x = x->next)
		if (!strcmp(x->id, id) && (!req || !memcmp(x->req, req, 32))) {
			if (!x->failed)
				return x;
			if (!failed)
				failed = x;
		}
	return failed;
}

/* under lock: a new record, newest in its bucket */
static struct rec *put(struct receipts *r, const char *id, int64_t seq, const uint8_t req[32])
{
	size_t n = strlen(id) + 1;
	struct rec *x = malloc(sizeof *x + n);
	if (!x)
		return NULL;
	memcpy(x->id, id, n);
	memcpy(x->req, req, 32);
	x->seq = seq;
	x->failed = 0;
	unsigned h = hash(id);
	x->next = r->bucket[h];
	r->bucket[h] = x;
	return x;
}

int gw_sign(struct gw *g, const char *text, uint8_t ecdsa_sig[65], uint8_t ed25519_sig[64], char *err, size_t cap)
{
	char hex[65];
	uint8_t digest[32], sig[65];
	if (vouch_eip191_digest(digest, text, strlen(text))) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	vouch_hex_encode(hex, digest, 32);
	json_t *r = gw_vouchd("Sign", json_pack("{s:s, s:s, s:s}", "algorithm", "secp256k1_prehashed", "data", hex, "path",
						g->ecdsa_path), err, cap);
	int ok = vouch_hex_decode_exact(sig, 64, json_string_value(json_object_get(r, "signature")));
	json_decref(r);
	if (!ok) {
		if (r)
			snprintf(err, cap, "vouchd's Sign gave no 64-byte ECDSA signature");
		return -1;
	}
	/* v: the recovery id that gives back the gateway's key */
	int v = -1;
	for (int id = 0; id < 2 && v < 0; id++) {
		uint8_t pub[33];
		sig[64] = (uint8_t)id;
		if (!vouch_secp256k1_recover(pub, sig, digest) && !memcmp(pub, g->ecdsa_pub, 33))
			v = id;
	}
	if (v < 0) {
		snprintf(err, cap, "vouchd's signature does not recover the gateway's key");
		return -1;
	}
	memcpy(ecdsa_sig, sig, 64);
	ecdsa_sig[64] = (uint8_t)(27 + v);
	char text_hex[2 * 130 + 1];
	vouch_hex_encode(text_hex, (const uint8_t *)text, strlen(text));
	r = gw_vouchd("Sign", json_pack("{s:s, s:s, s:s}", "algorithm", "ed25519", "data", text_hex, "path", g->ed25519_path),
		      err, cap);
	ok = vouch_hex_decode_exact(ed25519_sig, 64, json_string_value(json_object_get(r, "signature")));
	json_decref(r);
	if (ok && vouch_key_verify(VOUCH_ALG_ED25519, g->ed25519_pub, 32, ed25519_sig, 64, (const uint8_t *)text,
				   strlen(text)) != 1) {
		snprintf(err, cap, "vouchd's Ed25519 signature does not verify under the gateway's key");
		return -1;
	}
	if (!ok && r)
		snprintf(err, cap, "vouchd's Sign gave no 64-byte Ed25519 signature");
	return ok ? 0 : -1;
}

/* Signs and journals one receipt; returns its journal entry or -1. */
static int64_t process(struct gw *g, const struct job *j)
{
	uint8_t es[65], ed[64];
	char err[256] = "", es_hex[2 + 130 + 1] = "0x", ed_hex[129];
	const char *id = j->rec->id;
	if (gw_sign(g, j->text, es, ed, err, sizeof err)) {
		fprintf(stderr, "vouch-gateway: signing the receipt of %s: %s\n", id, err);
		return -1;
	}
	vouch_hex_encode(es_hex + 2, es, 65);
	vouch_hex_encode(ed_hex, ed, 64);
	json_t *payload = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}}", "chat_id", id, "text", j->text, "ecdsa",
				    "signature", es_hex, "signing_address", g->ecdsa_addr_text, "ed25519", "signature", ed_hex,
				    "signing_address", g->ed25519_hex);
	json_t *r = gw_vouchd("JournalAppend", json_pack("{s:s, s:s, s:o}", "journal", g->cfg.journal, "kind", "receipt",
							 "payload", payload), err, sizeof err);
	json_t *seq = json_object_get(r, "seq");
	int64_t out = json_is_integer(seq) ? (int64_t)json_integer_value(seq) : -1;
	if (out < 0)
		fprintf(stderr, "vouch-gateway: journaling the receipt of %s: %s\n", id, err);
	json_decref(r);
	return out;
}

static void *worker(void *arg)
{
	struct gw *g = arg;
	struct receipts *r = g->receipts;
	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->head && !r->stop)
			pthread_cond_wait(&r->work, &r->lock);
		if (!r->head)
			break; /* stopping, and nothing left to sign */
		struct job *j = r->head;
		r->head = j->next;
		if (!r->head)
			r->tail = NULL;
		if (r->queued-- == QUEUE_MAX)
			pthread_cond_broadcast(&r->room);
		pthread_mutex_unlock(&r->lock);
		int64_t seq = process(g, j);
		pthread_mutex_lock(&r->lock);
		j->rec->seq = seq;
		j->rec->failed = seq < 0;
		if (seq < 0)
			r->failed_count++;
		else
			r->signed_count++;
		pthread_cond_broadcast(&r->done);
		free(j);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* under lock: waits for room in the queue, then queues */
static void enqueue(struct receipts *r, struct job *j)
{
	while (r->queued >= QUEUE_MAX && !r->stop)
		pthread_cond_wait(&r->room, &r->lock);
	r->queued++;
	if (r->tail)
		r->tail->next = j;
	else
		r->head = j;
	r->tail = j;
	pthread_cond_signal(&r->work);
}

static struct job *job_of(struct rec *x, const uint8_t req_sha256[32], const uint8_t resp_sha256[32])
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	j->rec = x;
	vouch_hex_encode(j->text, req_sha256, 32);
	j->text[64] = ':';
	vouch_hex_encode(j->text + 65, resp_sha256, 32);
	return j;
}

void receipt_add(struct gw *g, const char *chat_id, const uint8_t req_sha256[32], const uint8_t resp_sha256[32])
{
	struct receipts *r = g->receipts;
	pthread_mutex_lock(&r->lock);
	struct rec *x = put(r, chat_id, -1, req_sha256);
	struct job *j = x ? job_of(x, req_sha256, resp_sha256) : NULL;
	if (j)
		enqueue(r, j);
	else if (x)
		x->failed = 1;
	pthread_mutex_unlock(&r->lock);
}

void receipt_expect(struct gw *g, struct gw_receipt *p)
{
	struct receipts *r = g->receipts;
	pthread_mutex_lock(&r->lock);
	p->rec = put(r, p->id, -1, p->req);
	pthread_mutex_unlock(&r->lock);
	p->set = p->rec != NULL;
}

void receipt_settle(struct gw *g, struct gw_receipt *p, int delivered)
{
	struct receipts *r = g->receipts;
	struct rec *x = p->rec;
	struct job *j = delivered ? job_of(x, p->req, p->resp) : NULL;
	pthread_mutex_lock(&r->lock);
	if (j) {
		enqueue(r, j);
	} else {
		x->failed = delivered ? 1 : 2;
		pthread_cond_broadcast(&r->done);
	}
	pthread_mutex_unlock(&r->lock);
	p->set = 0;
	p->rec = NULL;
}

json_t *receipt_get(struct gw *g, const char *chat_id, const uint8_t *req, const char *algo, unsigned *status, char *err,
		    size_t cap)
{
	struct receipts *r = g->receipts;
	int ecdsa = !strcmp(algo, "ecdsa");
	if (!ecdsa && strcmp(algo, "ed25519")) {
		*status = 400;
		snprintf(err, cap, "signing_algo must be ecdsa or ed25519");
		return NULL;
	}
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += WAIT_S;
	pthread_mutex_lock(&r->lock);
	struct rec *x;
	while ((x = find(r, chat_id, req)) && x->seq < 0 && !x->failed)
		if (pthread_cond_timedwait(&r->done, &r->lock, &dl))
			break;
	int64_t seq = x ? x->seq : -1;
	int failed = x ? x->failed : 0;
	pthread_mutex_unlock(&r->lock);
	if (!x) {
		*status = 404;
		snprintf(err, cap, req ? "no answer with this chat id to this request" : "Chat id not found");
		return NULL;
	}
	if (seq < 0) {
		*status = failed == 2 ? 404 : failed ? 500 : 503;
		snprintf(err, cap, "%s", failed == 2 ? "no receipt: the answer did not reach its client whole"
				   : failed ? "the receipt could not be signed"
					    : "the receipt is still being signed");
		return NULL;
	}
	json_t *got = gw_vouchd("JournalGet", json_pack("{s:s, s:I}", "journal", g->cfg.journal, "seq", (json_int_t)seq),
				err, cap);
	json_t *p = json_object_get(json_array_get(json_object_get(got, "entries"), 0), "payload");
	json_t *k = json_object_get(p, ecdsa ? "ecdsa" : "ed25519");
	json_t *out = NULL;
	if (k && !strcmp(json_string_value(json_object_get(p, "chat_id")) ?: "", chat_id))
		out = json_pack("{s:O, s:O, s:O, s:s, s:{s:s, s:I}}", "text", json_object_get(p, "text"), "signature",
				json_object_get(k, "signature"), "signing_address", json_object_get(k, "signing_address"),
				"signing_algo", algo, "journal", "name", g->cfg.journal, "seq", (json_int_t)seq);
	json_decref(got);
	if (!out) {
		*status = 502;
		snprintf(err, cap, "vouchd's journal did not give the receipt back");
	}
	return out;
}

/* The index from the journal: every "receipt" entry's chat id. */
static int load_index(struct gw *g, char *err, size_t cap)
{
	struct receipts *r = g->receipts;
	uint64_t from = 0, total = 0;
	for (;;) {
		json_t *got = gw_vouchd("JournalGet", json_pack("{s:s, s:I, s:I}", "journal", g->cfg.journal, "from",
								(json_int_t)from, "count", (json_int_t)1000), err, cap);
		if (!got)
			return strstr(err, "no journal named") ? 0 : -1; /* a first start: the journal comes with the first receipt */
		json_t *entries = json_object_get(got, "entries"), *e;
		size_t i;
		json_array_foreach(entries, i, e)
		{
			json_t *p = json_object_get(e, "payload");
			const char *id = json_string_value(json_object_get(p, "chat_id"));
			const char *text = json_string_value(json_object_get(p, "text"));
			uint8_t req[32];
			size_t n;
			if (id && text && strlen(text) == 129 && !vouch_hex_decode(req, 32, &n, text, 64) && n == 32 &&
			    !strcmp(json_string_value(json_object_get(e, "kind")) ?: "", "receipt"))
				put(r, id, (int64_t)json_integer_value(json_object_get(e, "seq")), req), total++;
		}
		size_t n = json_array_size(entries);
		json_decref(got);
		if (n == 0)
			break;
		from += n;
	}
	fprintf(stderr, "vouch-gateway: %llu receipts in journal %s\n", (unsigned long long)total, g->cfg.journal);
	return 0;
}

int receipts_start(struct gw *g, char *err, size_t cap)
{
	struct receipts *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	g->receipts = r;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->done, NULL);
	pthread_cond_init(&r->room, NULL);
	if (load_index(g, err, cap))
		return -1;
	r->threads = calloc(g->cfg.workers, sizeof *r->threads);
	for (unsigned i = 0; r->threads && i < g->cfg.workers; i++)
		if (!pthread_create(&r->threads[i], NULL, worker, g))
			r->n_threads++;
	if (!r->n_threads) {
		snprintf(err, cap, "cannot start the receipt signers");
		return -1;
	}
	return 0;
}

void receipts_stop(struct gw *g)
{
	struct receipts *r = g->receipts;
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = 1; /* the workers finish what is queued first */
	pthread_cond_broadcast(&r->work);
	pthread_cond_broadcast(&r->room);
	pthread_mutex_unlock(&r->lock);
	for (unsigned i = 0; i < r->n_threads; i++)
		pthread_join(r->threads[i], NULL);
	fprintf(stderr, "vouch-gateway: %lu receipts signed and journaled, %lu failed\n", r->signed_count, r->failed_count);
	for (size_t b = 0; b < BUCKETS; b++)
		for (struct rec *x = r->bucket[b], *next; x; x = next) {
			next = x->next;
			free(x);
		}
	free(r->threads);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->done);
	pthread_cond_destroy(&r->room);
	free(r);
	g->receipts = NULL;
}
