/* The OpenAI routes, proxied to the backend with libcurl. A non-streamed answer is read whole (to learn its id),
 * sent byte for byte as the backend wrote it and hashed as sent. A streamed answer is passed through as it
 * arrives: the response's reader callback drives the backend transfer (curl multi) in the connection's own
 * thread, hashing each byte as it goes to the client; the receipt is made when the stream has ended. A client
 * that goes away ends the backend transfer with it (within GONE_CHECK_MS while the backend is silent), and gets
 * no receipt. */
/* SHA256_Init/Update/Final: a stream is hashed as it passes */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/sha.h>

#include "gateway.h"
#include "vouch/err.h"
#include "vouch/util.h"

#define MAX_ANSWER (64u << 20)
#define MAX_ERROR_ANSWER (1u << 20) /* a backend's error answer to a stream, passed on up to this size */
/* Pause the backend when this much would wait for a slow client. Under 32 KiB, so that a stream's queue stays
 * in the heap (below the mmap threshold main.c sets): a queue in its own mapping cost page faults on every
 * stream. The sockets' buffers hold far more. */
#define STREAM_HIGH ((32u << 10) - 64)
#define GONE_CHECK_MS 500      /* while the backend is silent, whether the client is still there */

static size_t collect(char *p, size_t s, size_t n, void *ud)
{
	return vouch_buf_add(ud, p, s * n, MAX_ANSWER) ? 0 : s * n;
}

void proxy_headers_free(struct gw *g)
{
	for (struct curl_slist *x = g->backend_headers; x; x = x->next)
		vouch_wipe(x->data, strlen(x->data)); /* the backend's token */
	curl_slist_free_all(g->backend_headers);
	g->backend_headers = NULL;
}

int proxy_headers(struct gw *g, const char *backend_token)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json"), *last = NULL;
	if (h)
		last = curl_slist_append(h, "Expect:");
	if (last && backend_token) {
		size_t n = strlen(backend_token) + 32;
		char *auth = malloc(n);
		last = NULL;
		if (auth) {
			snprintf(auth, n, "Authorization: Bearer %s", backend_token);
			last = curl_slist_append(h, auth); /* (a copy) */
			vouch_wipe(auth, n);
			free(auth);
		}
	}
	g->backend_headers = h;
	if (!last) {
		proxy_headers_free(g);
		return -1;
	}
	return 0;
}

/* A backend request on handle e. */
static void backend_request(CURL *e, struct gw *g, const char *path, const char *body, size_t len)
{
	char url[2048];
	snprintf(url, sizeof url, "%s%s", g->cfg.backend, path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, g->backend_headers); /* the same list for every request: read only */
	if (body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
}

/* Each connection's thread keeps its backend transfer, a multi handle and its easy handle, for the client's
 * next request, streamed or not: the backend connection stays open in the multi handle's cache. It goes with
 * the thread, when the client's connection closes. */
struct kept {
	CURLM *m; /* out of here while a request uses them */
	CURL *e;
};
static pthread_key_t kept_key;
static pthread_once_t kept_once = PTHREAD_ONCE_INIT;

static void kept_free(void *arg)
{
	struct kept *k = arg;
	curl_easy_cleanup(k->e);
	curl_multi_cleanup(k->m);
	free(k);
}

static void kept_init(void)
{
	pthread_key_create(&kept_key, kept_free);
}

static struct kept *kept_of_thread(void)
{
	pthread_once(&kept_once, kept_init);
	struct kept *k = pthread_getspecific(kept_key);
	if (!k && (k = calloc(1, sizeof *k)))
		pthread_setspecific(kept_key, k);
	return k;
}

/* A request's transfer: the thread's kept one, or a new one. Returns 0, or -1 when out of memory (*m and *e
 * then NULL). */
static int transfer_take(CURLM **m, CURL **e)
{
	struct kept *k = kept_of_thread();
	if (k && k->e) {
		*m = k->m;
		*e = k->e;
		k->m = NULL;
		k->e = NULL;
		curl_easy_reset(*e);
		return 0;
	}
	*m = curl_multi_init();
	*e = curl_easy_init();
	if (*m && *e)
		return 0;
	curl_multi_cleanup(*m);
	curl_easy_cleanup(*e);
	*m = NULL;
	*e = NULL;
	return -1;
}

/* Back to the thread's keeping when this is the thread that took it (a stream's end is seen by its
 * connection's thread, though MHD does not promise it) and it keeps none; else freed. */
static void transfer_give_back(CURLM *m, CURL *e, pthread_t taker)
{
	curl_multi_remove_handle(m, e); /* a transfer not at its end closes its connection */
	struct kept *k = pthread_equal(taker, pthread_self()) ? kept_of_thread() : NULL;
	if (k && !k->e) {
		k->m = m;
		k->e = e;
		return;
	}
	curl_easy_cleanup(e);
	curl_multi_cleanup(m);
}

/* 502 when the backend cannot be reached, 504 when it does not answer in time */
static enum MHD_Result backend_failed(struct MHD_Connection *c, CURLcode rc)
{
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return gw_error(c, 504, "gateway_timeout", "the backend did not answer in time");
	if (rc == CURLE_WRITE_ERROR)
		return gw_error(c, 502, "bad_gateway", "the backend's answer is too large (%u MiB at most, 1 MiB for an error)", MAX_ANSWER >> 20);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return gw_error(c, 503, "service_unavailable", "the gateway is stopping");
	if (rc == CURLE_OUT_OF_MEMORY)
		return gw_error(c, 500, "server_error", "out of memory");
	return gw_error(c, 502, "bad_gateway", "the backend could not be reached: %s", curl_easy_strerror(rc));
}

/* Sends b's bytes (MHD takes them over) */
static enum MHD_Result send_bytes(struct MHD_Connection *c, unsigned status, const char *type, vouch_buf *b)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(b->len, b->p, MHD_RESPMEM_MUST_FREE);
	*b = (vouch_buf){0};
	if (type)
		MHD_add_response_header(r, "Content-Type", type);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The top-level "id" of an OpenAI answer or chunk (a JSON object), if it is a usable key: 1 to GW_ID_MAX - 1
 * characters of [A-Za-z0-9._:-]. The backend chose it; an answer without one gets no receipt, nor does one
 * whose object names "id" twice (JSON.parse, as every JS client, takes the last; another reader the first: the
 * receipt's id could differ from the one the client sees). Read without allocating: the answer may be large
 * and this is on every answer's path. Returns 1, or 0 with why set. */
static int find_id(const char *text, size_t n, char out[GW_ID_MAX], const char **why)
{
	int e = vouch_json_member_string(out, GW_ID_MAX, text, n, "id");
	if (!e && out[0] && strspn(out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") == strlen(out))
		return 1;
	if (!e || e == VOUCH_E_LIMIT)
		*why = "its \"id\" is not 1 to 127 characters of [A-Za-z0-9._:-]";
	else if (vouch_json_member_count(text, n, "id") > 1)
		*why = "its top-level \"id\" is given more than once (JSON readers differ on which one counts)";
	else
		*why = "it is not a JSON object with a top-level string \"id\"";
	out[0] = 0;
	return 0;
}

static void no_receipt(const char *path, int streamed, const char *why)
{
	fprintf(stderr, "vouch-gateway: no receipt for the backend's %s answer to %s: %s\n",
		streamed ? "streamed" : "whole", path, why);
}

/* The id of a stream: that of its first event ("data: {...}"), once the event is whole in text. Returns 1
 * with the id, -1 when the first event has no usable one (why set), 0 while the event is not whole. */
static int stream_id(const char *text, size_t n, char out[GW_ID_MAX], const char **why)
{
	const char *d = memmem(text, n, "data:", 5);
	if (!d)
		return 0;
	d += 5;
	const char *end = memmem(d, n - (size_t)(d - text), "\n\n", 2);
	if (!end)
		return 0;
	return find_id(d, (size_t)(end - d), out, why) ? 1 : -1;
}

/* The backend's Content-Type, if it is one to pass on: 1 to 255 characters of visible ASCII, space and tab
 * (RFC 9110 §5.5 field-content without obs-text; a media type needs no more). Anything else (control bytes,
 * bytes over 0x7f) would reach the client's HTTP parser and logs as the backend wrote it: it is replaced by
 * application/json (what the OpenAI routes answer) and the replacement logged. */
static const char *content_type(const char *type, const char *path)
{
	if (!type)
		return "application/json";
	size_t n = strlen(type), i = 0;
	while (i < n && ((type[i] >= 0x20 && type[i] < 0x7f) || type[i] == '\t'))
		i++;
	if (n && n < 256 && i == n)
		return type;
	fprintf(stderr, "vouch-gateway: the backend's Content-Type for %s is not a valid header value (%s at byte %zu): "
		"sent as application/json\n", path, i < n ? "a control or non-ASCII byte" : n ? "over 255 bytes" : "empty", i);
	return "application/json";
}

/* Whether the client has closed its connection (or reset it): a model should not go on computing an answer
 * nobody will read. POLLRDHUP reports the peer's end of writing even with bytes still unread (a TLS close
 * alert, a pipelined request). */
static int client_gone(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct pollfd p = {.fd = ci ? ci->connect_fd : -1, .events = POLLRDHUP};
	return p.fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static double mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Drives a non-streamed transfer to its end; it ends early on SIGTERM or when the client has gone (*gone
 * set; looked at every GONE_CHECK_MS). */
static CURLcode run_transfer(struct gw *g, CURLM *m, CURL *e, struct MHD_Connection *c, int *gone)
{
	CURLcode rc = CURLE_ABORTED_BY_CALLBACK;
	int running, left;
	double next = mono_s() + GONE_CHECK_MS / 1e3;
	if (curl_multi_add_handle(m, e) != CURLM_OK)
		return CURLE_OUT_OF_MEMORY;
	for (;;) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			return CURLE_RECV_ERROR;
		CURLMsg *msg;
		while ((msg = curl_multi_info_read(m, &left)))
			if (msg->msg == CURLMSG_DONE)
				return msg->data.result;
		if (atomic_load(&g->stopping))
			return rc;
		double now = mono_s();
		if (now >= next) {
			next = now + GONE_CHECK_MS / 1e3;
			if ((*gone = client_gone(c)))
				return rc;
		}
		if (curl_multi_poll(m, NULL, 0, GONE_CHECK_MS, NULL) != CURLM_OK)
			return CURLE_RECV_ERROR;
	}
}

/* A non-streamed backend request, read whole into b. On CURLE_OK, *status and (when type is given) *type,
 * malloc'd or NULL; *gone when the request ended because the client left. */
static CURLcode fetch(struct gw *g, struct MHD_Connection *c, const char *path, const char *body, size_t len,
		      long timeout_s, vouch_buf *b, long *status, char **type, int *gone)
{
	CURLM *m;
	CURL *e;
	*status = 0;
	*gone = 0;
	if (type)
		*type = NULL;
	if (transfer_take(&m, &e))
		return CURLE_OUT_OF_MEMORY;
	backend_request(e, g, path, body, len);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout_s);
	CURLcode rc = run_transfer(g, m, e, c, gone);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	if (rc == CURLE_OK && type) {
		char *t = NULL;
		curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &t);
		*type = t ? strdup(t) : NULL;
	}
	transfer_give_back(m, e, pthread_self());
	return rc;
}

static enum MHD_Result whole(struct gw *g, struct MHD_Connection *c, const char *path, const char *body, size_t len,
			     const uint8_t req_hash[32], struct gw_receipt *pending)
{
	vouch_buf b = {0};
	char *type;
	long status;
	int gone;
	CURLcode rc = fetch(g, c, path, body, len, g->cfg.backend_timeout_s, &b, &status, &type, &gone);
	if (rc != CURLE_OK) {
		vouch_buf_free(&b);
		free(type);
		/* a client gone: the backend's connection is closed (vLLM, for one, then stops the request), and
		 * there is no answer to give, nor a receipt */
		return gone ? MHD_NO : backend_failed(c, rc);
	}
	const char *why;
	if (status == 200 && find_id(b.p ? b.p : "", b.len, pending->id, &why)) {
		SHA256((const uint8_t *)(b.p ? b.p : ""), b.len, pending->resp);
		memcpy(pending->req, req_hash, 32);
		receipt_expect(g, pending); /* signed once sent (server.c) */
	} else if (status == 200) {
		no_receipt(path, 0, why);
	}
	enum MHD_Result ret = send_bytes(c, (unsigned)status, content_type(type, path), &b);
	free(type);
	return ret;
}

struct stream {
	struct gw *g;
	struct MHD_Connection *c; /* the client's */
	CURLM *m;
	CURL *e;
	pthread_t taker; /* the thread that took m and e (transfer_take) */
	vouch_buf q;           /* bytes from the backend, */
	size_t q_off;          /* given to the client up to here */
	int running, done, paused;
	int error_answer;      /* not a 200: read whole (up to MAX_ERROR_ANSWER) to pass on */
	CURLcode rc;
	long status;
	SHA256_CTX hash;       /* of every byte given to the client */
	uint8_t req_hash[32];
	char path[32];         /* the route, for the log (MHD's url is the request's, not the response's) */
	char id[GW_ID_MAX];
	int have_id;           /* 1: the first event's id; -1: it has none to use (no receipt); 0: not yet known */
	char head[8192];       /* the stream's first bytes, where the first chunk's id is */
	size_t head_n;
};

static size_t stream_data(char *p, size_t s, size_t n, void *ud)
{
	struct stream *st = ud;
	if (st->error_answer)
		return vouch_buf_add(&st->q, p, s * n, MAX_ERROR_ANSWER) ? 0 : s * n;
	/* (the queue is drained, q_off back at 0, before curl is driven again: stream_read) */
	if (st->q.len && st->q.len + s * n >= STREAM_HIGH) {
		st->paused = 1; /* curl gives the same bytes again once resumed (pump) */
		return CURL_WRITEFUNC_PAUSE;
	}
	return vouch_buf_add(&st->q, p, s * n, SIZE_MAX) ? 0 : s * n;
}

/* Drives the backend transfer; waits up to wait_ms for it when nothing is waiting for the client (or an error
 * answer is being read whole). */
static void pump(struct stream *st, int wait_ms)
{
	if (atomic_load(&st->g->stopping) && !st->done) {
		st->rc = CURLE_ABORTED_BY_CALLBACK;
		st->done = 1;
		return;
	}
	if (st->paused && st->q.len - st->q_off < STREAM_HIGH / 2) {
		st->paused = 0;
		curl_easy_pause(st->e, CURLPAUSE_CONT);
	}
	curl_multi_perform(st->m, &st->running);
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(st->m, &left)))
		if (msg->msg == CURLMSG_DONE) {
			st->rc = msg->data.result;
			st->done = 1;
		}
	if (!st->done && (st->q.len == st->q_off || st->error_answer) && wait_ms)
		curl_multi_poll(st->m, NULL, 0, wait_ms, NULL);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	(void)pos;
	struct stream *st = cls;
	while (st->q.len == st->q_off && !st->done) {
		pump(st, GONE_CHECK_MS);
		if (st->q.len == st->q_off && client_gone(st->c))
			return MHD_CONTENT_READER_END_WITH_ERROR; /* the backend transfer ends with the stream */
	}
	size_t n = st->q.len - st->q_off;
	if (n == 0) {
		/* the end: a receipt for a stream the backend finished; one it broke off is broken off to the client
		 * too (no clean end of the chunked answer), and has no receipt */
		if (st->rc != CURLE_OK)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		uint8_t resp[32];
		SHA256_Final(resp, &st->hash);
		if (st->have_id == 1)
			receipt_add(st->g, st->id, st->req_hash, resp);
		else if (!st->have_id)
			no_receipt(st->path, 1, "no whole first event (\"data: {...}\" and a blank line) in its first 8 KiB");
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (n > max)
		n = max;
	memcpy(out, st->q.p + st->q_off, n);
	SHA256_Update(&st->hash, out, n);
	if (!st->have_id && st->head_n < sizeof st->head) {
		size_t k = n < sizeof st->head - st->head_n ? n : sizeof st->head - st->head_n;
		const char *why;
		memcpy(st->head + st->head_n, out, k);
		st->head_n += k;
		if ((st->have_id = stream_id(st->head, st->head_n, st->id, &why)) < 0)
			no_receipt(st->path, 1, why);
	}
	st->q_off += n;
	if (st->q_off == st->q.len)
		st->q_off = st->q.len = 0;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;
	if (st->e)
		transfer_give_back(st->m, st->e, st->taker);
	vouch_buf_free(&st->q);
	free(st);
}

static enum MHD_Result streamed(struct gw *g, struct MHD_Connection *c, const char *path, const char *body, size_t len,
				const uint8_t req_hash[32])
{
	struct stream *st = calloc(1, sizeof *st);
	if (!st)
		return MHD_NO;
	st->g = g;
	st->c = c;
	snprintf(st->path, sizeof st->path, "%s", path);
	memcpy(st->req_hash, req_hash, 32);
	SHA256_Init(&st->hash);
	st->taker = pthread_self();
	if (transfer_take(&st->m, &st->e)) {
		stream_free(st);
		return gw_error(c, 500, "server_error", "out of memory");
	}
	backend_request(st->e, g, path, body, len);
	curl_easy_setopt(st->e, CURLOPT_WRITEFUNCTION, stream_data);
	curl_easy_setopt(st->e, CURLOPT_WRITEDATA, st);
	/* a stream may last long, but not silently: no byte for the timeout ends it */
	curl_easy_setopt(st->e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(st->e, CURLOPT_LOW_SPEED_TIME, g->cfg.backend_timeout_s);
	curl_multi_add_handle(st->m, st->e);
	/* until the status is known */
	while (!st->done && st->status == 0) {
		pump(st, 100);
		curl_easy_getinfo(st->e, CURLINFO_RESPONSE_CODE, &st->status);
		if (st->status == 0 && client_gone(c)) {
			stream_free(st);
			return MHD_NO;
		}
	}
	if (st->done && st->rc != CURLE_OK && st->status == 0) {
		CURLcode rc = st->rc;
		stream_free(st);
		return backend_failed(c, rc);
	}
	if (st->status != 200) {
		/* an error answer: read whole (within the timeout and MAX_ERROR_ANSWER) and passed on, no receipt */
		st->error_answer = 1;
		if (st->paused) {
			st->paused = 0;
			curl_easy_pause(st->e, CURLPAUSE_CONT);
		}
		double until = mono_s() + (double)g->cfg.backend_timeout_s;
		while (!st->done && mono_s() < until)
			pump(st, 100);
		if (!st->done || st->rc != CURLE_OK) {
			CURLcode rc = st->done ? st->rc : CURLE_OPERATION_TIMEDOUT;
			stream_free(st);
			return backend_failed(c, rc);
		}
		char *type = NULL;
		curl_easy_getinfo(st->e, CURLINFO_CONTENT_TYPE, &type);
		type = type ? strdup(type) : NULL; /* (curl's copy goes with the handle) */
		vouch_buf b = st->q; /* read whole: nothing was given to the client yet */
		st->q = (vouch_buf){0};
		unsigned status = (unsigned)st->status;
		stream_free(st);
		enum MHD_Result ret = send_bytes(c, status, content_type(type, path), &b);
		free(type);
		return ret;
	}
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32768, stream_read, st, stream_free);
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result proxy_completion(struct gw *g, struct MHD_Connection *c, const char *path, const char *body, size_t len,
				 struct gw_receipt *pending)
{
	json_error_t je;
	json_t *req = json_loadb(body, len, 0, &je);
	if (!json_is_object(req)) {
		json_decref(req);
		return gw_error(c, 400, "invalid_request_error", "the request body is not a JSON object: %s", je.text);
	}
	int stream = json_is_true(json_object_get(req, "stream"));
	json_decref(req);
	/* the hash of the body exactly as received: what the client sent, never a client-supplied hash */
	uint8_t req_hash[32];
	SHA256((const uint8_t *)body, len, req_hash);
	return stream ? streamed(g, c, path, body, len, req_hash) : whole(g, c, path, body, len, req_hash, pending);
}

enum MHD_Result proxy_models(struct gw *g, struct MHD_Connection *c)
{
	vouch_buf b = {0};
	long status;
	int gone;
	CURLcode rc = fetch(g, c, "/v1/models", NULL, 0, 30, &b, &status, NULL, &gone);
	if (rc != CURLE_OK) {
		vouch_buf_free(&b);
		return gone ? MHD_NO : backend_failed(c, rc);
	}
	return send_bytes(c, (unsigned)status, "application/json", &b);
}
