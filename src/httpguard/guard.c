/* Request deadlines enforced from outside libmicrohttpd: with a thread per connection, each connection's
 * thread waits in poll() on its socket; shutdown() of that socket wakes it with end-of-file and libmicrohttpd
 * closes the connection as one the client ended. A record lives from NOTIFY_CONNECTION's STARTED to its
 * CLOSED, which libmicrohttpd gives before it closes the socket: while a record is in the list, its fd is that
 * connection's (never a number reused by a later one). */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "guard.h"

#define REAP_PERIOD_MS 250
#define TRIM_ABOVE 256 /* connections at once that make a flood worth trimming after */
#define TRIM_WAIT_S 2.0 /* how long a trim waits for connections to stop closing */

enum phase { HEAD, BODY, BUSY, SHUT };

struct http_guard_conn {
	struct http_guard_conn *prev, *next;
	int fd;
	enum phase phase;
	double deadline; /* CLOCK_MONOTONIC seconds, in HEAD and BODY */
};

struct http_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t reaper;
	int stopping;
	unsigned head_s, body_s;
	struct http_guard_conn *list;
	size_t n, peak; /* connections now; most since the last trim */
	double flood_end; /* when the connections fell to a quarter of the peak (0: not since the last trim) */
	double last_close;
};

static double mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void http_guard_trim(void)
{
	malloc_trim(0);
}

static void *reaper(void *arg)
{
	struct http_guard *g = arg;
	pthread_mutex_lock(&g->lock);
	while (!g->stopping) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += REAP_PERIOD_MS * 1000000L;
		if (t.tv_nsec >= 1000000000L)
			t.tv_sec++, t.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&g->wake, &g->lock, &t);
		double now = mono_s();
		for (struct http_guard_conn *k = g->list; k; k = k->next)
			if ((k->phase == HEAD || k->phase == BODY) && now >= k->deadline) {
				k->phase = SHUT;
				shutdown(k->fd, SHUT_RDWR);
			}
		/* A connection's memory (its pool, its thread's cache) is freed after its CLOSED, by a thread that
		 * may wait for a CPU while thousands end: trimmed at once, that memory stayed, and in the main arena
		 * (sbrk) nothing but a trim gives back a hole below live blocks. So the trim waits for the flood to
		 * be over: no connection closed for a period (or, under steady traffic, TRIM_WAIT_S at most). */
		if (!g->flood_end && g->peak >= TRIM_ABOVE && g->n <= g->peak / 4)
			g->flood_end = now;
		int trim = g->flood_end &&
			   (now - g->last_close >= REAP_PERIOD_MS / 1e3 || now - g->flood_end >= TRIM_WAIT_S);
		if (trim)
			g->peak = g->n, g->flood_end = 0;
		if (trim) { /* outside the lock: connections come and go meanwhile */
			pthread_mutex_unlock(&g->lock);
			http_guard_trim();
			pthread_mutex_lock(&g->lock);
		}
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct http_guard *http_guard_start(unsigned head_s, unsigned body_s)
{
	struct http_guard *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->head_s = head_s;
	g->body_s = body_s;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&g->reaper, NULL, reaper, g)) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	return g;
}

void http_guard_stop(struct http_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = 1;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->reaper, NULL);
	while (g->list) { /* none once the daemon has stopped; freed all the same */
		struct http_guard_conn *k = g->list;
		g->list = k->next;
		free(k);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

struct http_guard_conn *http_guard_opened(struct http_guard *g, int fd)
{
	struct http_guard_conn *k = calloc(1, sizeof *k);
	if (!k)
		return NULL;
	k->fd = fd;
	k->phase = HEAD;
	k->deadline = mono_s() + g->head_s;
	pthread_mutex_lock(&g->lock);
	k->next = g->list;
	if (g->list)
		g->list->prev = k;
	g->list = k;
	if (++g->n > g->peak)
		g->peak = g->n;
	pthread_mutex_unlock(&g->lock);
	return k;
}

void http_guard_closed(struct http_guard *g, struct http_guard_conn *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&g->lock);
	if (k->prev)
		k->prev->next = k->next;
	else
		g->list = k->next;
	if (k->next)
		k->next->prev = k->prev;
	g->n--;
	g->last_close = mono_s();
	pthread_mutex_unlock(&g->lock);
	free(k);
}

static void set_phase(struct http_guard *g, struct http_guard_conn *k, enum phase p, unsigned in_s)
{
	if (!k)
		return;
	pthread_mutex_lock(&g->lock);
	if (k->phase != SHUT) {
		k->phase = p;
		k->deadline = mono_s() + in_s;
	}
	pthread_mutex_unlock(&g->lock);
}

void http_guard_head_done(struct http_guard *g, struct http_guard_conn *k)
{
	set_phase(g, k, BODY, g->body_s);
}

void http_guard_busy(struct http_guard *g, struct http_guard_conn *k)
{
	set_phase(g, k, BUSY, 0);
}

void http_guard_idle(struct http_guard *g, struct http_guard_conn *k)
{
	set_phase(g, k, HEAD, g->head_s);
}

struct framing {
	int n_length, n_encoding, lengths_differ, bad_name;
	const char *length, *encoding;
};

/* RFC 9110 §5.6.2: a field name is a token */
static int is_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      strchr("!#$%&'*+-.^_`|~", *s)))
			return 0;
	return 1;
}

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct framing *f = cls;
	if (!is_token(key))
		f->bad_name = 1;
	if (!strcasecmp(key, "Content-Length")) {
		if (f->n_length++ && strcmp(f->length, value ? value : ""))
			f->lengths_differ = 1;
		f->length = value ? value : "";
	}
	if (!strcasecmp(key, "Transfer-Encoding")) {
		f->n_encoding++;
		f->encoding = value ? value : "";
	}
	return MHD_YES;
}

unsigned http_guard_framing(struct MHD_Connection *c, size_t max_body, char *err, size_t cap)
{
	struct framing f = {0};
	MHD_get_connection_values(c, MHD_HEADER_KIND, on_header, &f);
	const char *why = f.bad_name ? "a header name that is not a token (a space before the colon, a folded line)"
			  : f.n_length && f.n_encoding ? "both Content-Length and Transfer-Encoding"
			  : f.lengths_differ ? "two different Content-Lengths"
			  : f.n_length > 1 ? "Content-Length twice"
			  : f.n_encoding > 1 ? "Transfer-Encoding twice"
			  : f.n_encoding && strcasecmp(f.encoding, "chunked") ? "a Transfer-Encoding other than chunked"
			  : f.n_length && (!*f.length || strspn(f.length, "0123456789") != strlen(f.length)) ? "a Content-Length that is not a number"
			  : NULL;
	if (why) {
		snprintf(err, cap, "ambiguous request framing: %s", why);
		return 400;
	}
	if (f.n_length && (strlen(f.length) > 19 || strtoull(f.length, NULL, 10) > max_body)) {
		snprintf(err, cap, "request body larger than %zu bytes", max_body);
		return 413;
	}
	return 0;
}
