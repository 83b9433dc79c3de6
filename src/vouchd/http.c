/* The HTTP side of vouchd, on libmicrohttpd: one daemon per listening socket, epoll threads, keep-alive,
 * bounded bodies, headers, connections and idle time; routing by dstack's path rules; JSON decoding and
 * dstack's response shapes (spec §3). Bad input gets a 4xx JSON error; nothing a client sends stops the
 * others from being served. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "guard.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "vouch/util.h"

struct listener {
	struct MHD_Daemon *d;
	enum listener_kind kind;
	const struct route *routes;
	size_t n_routes;
	struct app *app;
	http_limits lim;
	struct http_guard *guard; /* the requests' deadlines */
	const struct principal *principal;
};

/* per connection: who is on the other end */
struct peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	struct http_guard_conn *guard;
};

static struct http_guard_conn *guard_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const struct peer *p = ci ? ci->socket_context : NULL;
	return p ? p->guard : NULL;
}

/* per request: the body as it arrives */
struct body {
	vouch_buf data;
	int too_big;
};

static const char *kind_name(enum listener_kind k)
{
	return k == LISTEN_DSTACK ? "dstack" : k == LISTEN_TAPPD ? "tappd" : "public";
}

/* Responses carry keys: their buffers are wiped when MHD is done with them. */
static void wipe_free(void *p)
{
	if (p) {
		vouch_wipe(p, strlen(p));
		free(p);
	}
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, char *text)
{
	if (!text)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(strlen(text), text, wipe_free);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* dstack's error body: pretty-printed {"error": "..."}, no trailing newline. A message may quote what a client
 * sent, which need not be UTF-8 (jansson refuses such a string): then its bytes above 0x7f become '?', so that
 * every error still gets its answer. */
static char *error_body(const char *msg)
{
	json_t *m = json_string(msg);
	if (!m) {
		char safe[512];
		snprintf(safe, sizeof safe, "%s", msg);
		for (char *p = safe; *p; p++)
			if ((unsigned char)*p > 0x7f)
				*p = '?';
		m = json_string(safe);
	}
	json_t *o = m ? json_pack("{s:o}", "error", m) : NULL;
	char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return s;
}

/* The RPC method a path names on this listener, or NULL (404). */
static const char *route_method(enum listener_kind kind, const char *url)
{
	const char *m = NULL;
	if (kind == LISTEN_DSTACK) {
		m = url[0] == '/' ? url + 1 : NULL;
	} else if (strncmp(url, "/prpc/", 6) == 0) {
		m = url + 6;
		const char *prefix = kind == LISTEN_TAPPD ? "Tappd." : "Worker.";
		if (strncmp(m, prefix, strlen(prefix)) == 0)
			m += strlen(prefix);
	}
	/* one path segment: "/prpc/GetKey" on dstack.sock matches nothing */
	if (!m || !*m || strchr(m, '/'))
		return NULL;
	return m;
}

struct query_ctx {
	json_t *obj;
	const char *bad; /* why the query is refused, or NULL */
};

/* serde_qs: name=value, and name[i]=value for arrays. A name or value that is not UTF-8 refuses the whole query:
 * dropped, it would leave the field at its default (GetKey?path=%ffwallet/eth would answer for path ""). */
static enum MHD_Result on_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct query_ctx *q = cls;
	const char *br = strchr(key, '[');
	if (!value)
		value = "";
	json_t *v = json_string(value);
	if (!v) {
		q->bad = "a query value is not UTF-8";
		return MHD_NO;
	}
	if (!br) {
		if (json_object_set_new(q->obj, key, v)) {
			q->bad = "a query name is not UTF-8";
			return MHD_NO;
		}
		return MHD_YES;
	}
	char *end;
	unsigned long i = strtoul(br + 1, &end, 10);
	if (end == br + 1 || strcmp(end, "]") != 0 || i > 1024) {
		json_decref(v);
		q->bad = "malformed query string";
		return MHD_NO;
	}
	char name[128];
	snprintf(name, sizeof name, "%.*s", (int)(br - key), key);
	json_t *arr = json_object_get(q->obj, name);
	if (!json_is_array(arr)) {
		arr = json_array();
		if (json_object_set_new(q->obj, name, arr)) {
			json_decref(v);
			q->bad = "a query name is not UTF-8";
			return MHD_NO;
		}
	}
	while (json_array_size(arr) <= i)
		json_array_append_new(arr, json_string(""));
	json_array_set_new(arr, i, v);
	return MHD_YES;
}

/* Decodes a POST body: syntax and depth are checked by the bounded reader before jansson sees it. */
static json_t *decode_body(const vouch_buf *b, char *err, size_t cap)
{
	if (!b->p || b->len == 0)
		return json_object();
	jr j = jr_init(b->p, b->len);
	jr_skip(&j);
	jr_end(&j);
	if (j.err) {
		snprintf(err, cap, "Failed to decode request: invalid JSON (or nested deeper than %d)", JR_MAX_DEPTH);
		return NULL;
	}
	json_t *o = json_loadb(b->p, b->len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		snprintf(err, cap, "Failed to decode request: %s", o ? "expected a JSON object" : "invalid JSON");
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The public listener's methods that make a fresh quote on every call: anyone can ask, and a quote costs the TEE
 * (a TDX quote takes the quoting enclave tens of milliseconds), so at most quote_slots run at once and the
 * rest get 503 at once, as the gateway's report route does. */
static const char *const public_quoting[] = {"JournalAttestation", "GetAttestationForAppKey"};
static pthread_mutex_t quote_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned quote_slots = 4, quotes_running;

static int quote_slot_take(enum listener_kind kind, const char *method)
{
	int quoting = 0;
	for (size_t i = 0; kind == LISTEN_PUBLIC && i < sizeof public_quoting / sizeof *public_quoting; i++)
		quoting |= !strcmp(method, public_quoting[i]);
	if (!quoting)
		return 0;
	pthread_mutex_lock(&quote_lock);
	int ok = quotes_running < quote_slots;
	quotes_running += (unsigned)ok;
	pthread_mutex_unlock(&quote_lock);
	return ok ? 1 : -1;
}

static void quote_slot_give(void)
{
	pthread_mutex_lock(&quote_lock);
	quotes_running--;
	pthread_mutex_unlock(&quote_lock);
}

int http_dispatch(struct app *app, enum listener_kind kind, const struct route *routes, size_t n_routes,
		  const char *url, int get, const char *body, size_t len, json_t *query, const req *peer, char **out,
		  unsigned *status)
{
	/* every path below sets err before it is read; initialised all the same, so that no answer can ever carry
	 * what an earlier request left on this stack */
	char err[512] = "";
	*out = NULL;
	const char *m = route_method(kind, url);
	if (!m) {
		*status = 404;
		*out = error_body("Not Found");
		json_decref(query);
		return 0;
	}
	const struct route *rt = NULL;
	for (size_t i = 0; i < n_routes && !rt; i++)
		if (strcmp(routes[i].method, m) == 0)
			rt = &routes[i];
	if (!rt) {
		snprintf(err, sizeof err, "Service not found: %.200s", m);
		*status = 400;
		*out = error_body(err);
		json_decref(query);
		return 0;
	}
	req r = {kind, m, NULL, get, -1, (uid_t)-1, (gid_t)-1, NULL};
	if (peer)
		r.pid = peer->pid, r.uid = peer->uid, r.gid = peer->gid, r.principal = peer->principal;
	vouch_buf b = {(char *)body, len, len};
	if (get)
		r.body = query ? query : json_object();
	else if (!(r.body = decode_body(&b, err, sizeof err))) {
		*status = 400;
		*out = error_body(err);
		return 0;
	}
	json_t *o = NULL;
	err[0] = 0;
	int slot = quote_slot_take(kind, m);
	if (slot < 0) {
		json_decref(r.body);
		*status = 503;
		snprintf(err, sizeof err, "too many quotes at once for the public port's clients (at most %u): try again", quote_slots);
		*out = error_body(err);
		return 0;
	}
	int rc = rt->fn(app, &r, &o, err, sizeof err);
	if (slot)
		quote_slot_give();
	json_decref(r.body);
	if (rc) {
		json_decref(o);
		*status = 400;
		if (!err[0]) /* a handler that failed without a reason: a bug, but never a stale message */
			snprintf(err, sizeof err, "%.200s failed", m);
		*out = error_body(err);
		return 0;
	}
	*out = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(o);
	*status = 200;
	if (!*out) {
		*status = 400;
		*out = error_body("out of memory");
	}
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)version;
	struct listener *l = cls;
	struct body *b = *con_cls;
	char err[128];
	if (!b) {
		/* the head is whole: its framing is checked before any body is read (or "100 Continue" sent) */
		http_guard_head_done(l->guard, guard_of(c));
		b = calloc(1, sizeof *b);
		*con_cls = b;
		if (!b)
			return MHD_NO;
		unsigned refuse = http_guard_framing(c, l->lim.max_body, err, sizeof err);
		/* a declared body over the limit: refused now when the client waits for "100 Continue"; else read
		 * and dropped, so that a client still writing it reads the 413 (not a reset connection) */
		if (refuse == 413 && !MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect"))
			refuse = 0;
		return refuse ? send_text(c, refuse, error_body(err)) : MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		/* a body over the limit is read and dropped, to answer cleanly */
		int e = b->too_big ? VOUCH_E_LIMIT : vouch_buf_add(&b->data, upload, n, l->lim.max_body);
		b->too_big = e == VOUCH_E_LIMIT;
		return e == VOUCH_E_NOMEM ? MHD_NO : MHD_YES;
	}
	http_guard_busy(l->guard, guard_of(c));
	if (b->too_big) {
		snprintf(err, sizeof err, "request body larger than %zu bytes", l->lim.max_body);
		return send_text(c, 413, error_body(err));
	}
	int get = strcmp(method, "GET") == 0;
	if (!get && strcmp(method, "POST") != 0)
		return send_text(c, 405, error_body("only POST and GET are served"));
	json_t *query = NULL;
	if (get) {
		struct query_ctx q = {json_object(), NULL};
		if (!q.obj)
			return MHD_NO;
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, on_query_arg, &q);
		if (q.bad) {
			json_decref(q.obj);
			snprintf(err, sizeof err, "Failed to decode request: %s", q.bad);
			return send_text(c, 400, error_body(err));
		}
		query = q.obj;
	}
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const struct peer *p = ci ? ci->socket_context : NULL;
	req peer = {l->kind, "", NULL, 0, p ? p->pid : -1, p ? p->uid : (uid_t)-1, p ? p->gid : (gid_t)-1, l->principal};
	char *out;
	unsigned status;
	http_dispatch(l->app, l->kind, l->routes, l->n_routes, url, get, b->data.p, b->data.len, query, &peer, &out, &status);
	return send_text(c, status, out);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)toe;
	struct listener *l = cls;
	http_guard_idle(l->guard, guard_of(c));
	struct body *b = *con_cls;
	if (b) {
		vouch_buf_free(&b->data);
		free(b);
		*con_cls = NULL;
	}
}

/* Each connection: its peer's credentials (unix sockets), logged once. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct listener *l = cls;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct peer *p = *socket_context;
		if (p)
			http_guard_closed(l->guard, p->guard);
		free(p);
		*socket_context = NULL;
		return;
	}
	struct peer *p = calloc(1, sizeof *p);
	if (!p)
		return;
	p->pid = -1;
	p->uid = (uid_t)-1;
	p->gid = (gid_t)-1;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci)
		p->guard = http_guard_opened(l->guard, ci->connect_fd);
	struct ucred cred;
	socklen_t len = sizeof cred;
	if (ci && l->kind != LISTEN_PUBLIC && getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		p->pid = cred.pid, p->uid = cred.uid, p->gid = cred.gid;
		vlog(LOG_INFO, "%s: connection from pid %d uid %u gid %u", kind_name(l->kind), (int)cred.pid,
		     (unsigned)cred.uid, (unsigned)cred.gid);
	}
	*socket_context = p;
}

/* libmicrohttpd's own messages are about clients misbehaving: worth a debug line, not a warning */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\n")] = 0;
	vlog(LOG_DEBUG, "http: %s", line);
}

struct listener *listener_start(int fd, enum listener_kind kind, const struct route *routes, size_t n_routes,
				struct app *app, const http_limits *lim, const struct principal *principal)
{
	struct listener *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->kind = kind, l->routes = routes, l->n_routes = n_routes, l->app = app, l->lim = *lim, l->principal = principal;
	if (kind == LISTEN_PUBLIC && lim->public_quotes)
		quote_slots = lim->public_quotes;
	if (!(l->guard = http_guard_start(lim->head_timeout_s, lim->body_timeout_s))) {
		vlog(LOG_ERR, "%s: cannot start the request reaper", kind_name(kind));
		free(l);
		return NULL;
	}
	/* A thread per connection: the kernel spreads busy connections over the cores. (A fixed pool of epoll
	 * threads lets a burst of connections land on one thread while the others idle.) */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	l->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_THREAD_STACK_SIZE, (size_t)256 * 1024, MHD_OPTION_CONNECTION_LIMIT,
				lim->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, lim->idle_timeout_s,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, lim->max_header_bytes, MHD_OPTION_NOTIFY_COMPLETED,
				on_completed, l, MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
				/* unix sockets have no address to count by: the cap is the public listener's */
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, kind == LISTEN_PUBLIC ? lim->per_ip_connections : 0u,
				/* no space before a header's colon (RFC 9112 §5.1) */
				MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
	if (!l->d) {
		vlog(LOG_ERR, "%s: cannot start the HTTP server", kind_name(kind));
		http_guard_stop(l->guard);
		free(l);
		return NULL;
	}
	return l;
}

void listener_stop(struct listener *l)
{
	if (!l)
		return;
	MHD_stop_daemon(l->d);
	http_guard_stop(l->guard);
	free(l);
}
