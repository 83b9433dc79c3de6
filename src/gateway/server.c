/* vouch-gateway's HTTP side: libmicrohttpd, a thread per connection, routes, bodies, the bearer token. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway.h"
#include "guard.h"
#include "vouchd_client.h"
#include "vouch/err.h"
#include "vouch/util.h"

struct body {
	vouch_buf data;
	int too_big;
	struct gw_receipt receipt; /* of a non-streamed answer, signed once it has gone out */
};

json_t *gw_vouchd(const char *method, json_t *body, char *err, size_t cap)
{
	char url[128];
	long status;
	snprintf(url, sizeof url, "http://localhost/%s", method);
	json_t *r = vc_post(gw.cfg.vouchd_sock, url, body, &status, err, cap);
	json_decref(body);
	return r;
}

enum MHD_Result gw_json(struct MHD_Connection *c, unsigned status, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!s)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* OpenAI's error shape: {"error": {"message", "type", "code"}} */
enum MHD_Result gw_error(struct MHD_Connection *c, unsigned status, const char *type, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* ASCII only: the message may quote what a client sent (a URL, a parameter), which need not be UTF-8 */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	return gw_json(c, status, json_pack("{s:{s:s, s:s, s:i}}", "error", "message", msg, "type", type, "code", status));
}

static int authorized(struct MHD_Connection *c)
{
	if (!gw.cfg.token)
		return 1;
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	size_t want = strlen(gw.cfg.token);
	if (!h || strncasecmp(h, "Bearer ", 7))
		return 0;
	h += 7;
	size_t n = strlen(h);
	/* constant time in the token's length: every byte compared, lengths folded in */
	unsigned char diff = (unsigned char)(n != want);
	for (size_t i = 0; i < want; i++)
		diff |= (unsigned char)(gw.cfg.token[i] ^ (i < n ? h[i] : 0));
	return diff == 0;
}

static struct http_guard_conn *guard_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Each connection's record in the guard: its requests' deadlines. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		http_guard_closed(gw.guard, *socket_context);
		*socket_context = NULL;
		return;
	}
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	*socket_context = ci ? http_guard_opened(gw.guard, ci->connect_fd) : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **ctx)
{
	(void)cls, (void)version;
	struct body *b = *ctx;
	int post = !strcmp(method, "POST"), get = !strcmp(method, "GET");
	int public = get && (!strcmp(url, "/v1/models") || !strcmp(url, "/v1/attestation/report"));
	if (!b) {
		if (!(b = calloc(1, sizeof *b)))
			return MHD_NO;
		*ctx = b;
		http_guard_head_done(gw.guard, guard_of(c));
		/* refused before any body is read (or "100 Continue" sent): ambiguous framing (request smuggling
		 * behind a proxy), a client without the token, or a body over the limit cost no memory */
		char err[128];
		unsigned refuse = http_guard_framing(c, gw.cfg.max_body, err, sizeof err);
		if (refuse)
			return gw_error(c, refuse, "invalid_request_error", "%s", err);
		if (!public && !authorized(c))
			return gw_error(c, 401, "authentication_error", "missing or wrong bearer token");
		return MHD_YES;
	}
	if (*size) {
		/* a body over the limit is read and dropped, then 413 */
		int e = b->too_big ? VOUCH_E_LIMIT : vouch_buf_add(&b->data, data, *size, gw.cfg.max_body);
		b->too_big = e == VOUCH_E_LIMIT;
		if (e == VOUCH_E_NOMEM)
			return MHD_NO;
		*size = 0;
		return MHD_YES;
	}
	http_guard_busy(gw.guard, guard_of(c));
	if (b->too_big)
		return gw_error(c, 413, "invalid_request_error", "request body larger than %zu bytes", gw.cfg.max_body);
	if (get && !strcmp(url, "/v1/models"))
		return proxy_models(&gw, c);
	if (get && !strcmp(url, "/v1/attestation/report"))
		return report_answer(&gw, c);
	if (post && (!strcmp(url, "/v1/chat/completions") || !strcmp(url, "/v1/completions")))
		return proxy_completion(&gw, c, url, b->data.p ? b->data.p : "", b->data.len, &b->receipt);
	if (get && !strncmp(url, "/v1/signature/", 14) && url[14]) {
		const char *algo = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "signing_algo");
		const char *rq = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "request_sha256");
		uint8_t req[32];
		if (rq && !vouch_hex_decode_exact(req, 32, rq))
			return gw_error(c, 400, "invalid_request_error", "request_sha256 must be 64 hex digits");
		unsigned status;
		char err[256];
		json_t *r = receipt_get(&gw, url + 14, rq ? req : NULL, algo ? algo : "ecdsa", &status, err, sizeof err);
		return r ? gw_json(c, 200, r) : gw_error(c, status, status == 404 ? "not_found" : "invalid_request_error", "%s", err);
	}
	if (!get && !post)
		return gw_error(c, 405, "invalid_request_error", "method %s not allowed", method);
	return gw_error(c, 404, "not_found", "no route %s %s", method, url);
}

static void on_done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode code)
{
	(void)cls;
	http_guard_idle(gw.guard, guard_of(c));
	struct body *b = *ctx;
	if (b && b->receipt.set)
		receipt_settle(&gw, &b->receipt, code == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	if (b)
		vouch_buf_free(&b->data);
	free(b);
	*ctx = NULL;
}

int server_start(struct gw *g, const struct sockaddr *sa, char *err, size_t cap);
int server_start(struct gw *g, const struct sockaddr *sa, char *err, size_t cap)
{
	if (!(g->guard = http_guard_start(g->cfg.head_timeout_s, g->cfg.body_timeout_s))) {
		snprintf(err, cap, "cannot start the request reaper");
		return -1;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
			 (g->cfg.tls ? MHD_USE_TLS : 0);
	/* the connection timeout is silence while an answer is read (a stream may wait long for the backend); the
	 * guard bounds the time to send a request, and so idle connections */
	struct MHD_OptionItem common[] = {
		{MHD_OPTION_SOCK_ADDR, 0, (void *)sa},
		{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_done, NULL},
		{MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, NULL},
		{MHD_OPTION_CONNECTION_LIMIT, g->cfg.max_connections, NULL},
		{MHD_OPTION_PER_IP_CONNECTION_LIMIT, g->cfg.per_ip_connections, NULL},
		{MHD_OPTION_CONNECTION_TIMEOUT, 600, NULL},
		{MHD_OPTION_THREAD_STACK_SIZE, 256 * 1024, NULL},
		{MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL}, /* no space before a header's colon */
		{MHD_OPTION_END, 0, NULL},
	};
	if (g->cfg.tls)
		g->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_ARRAY, common,
					     MHD_OPTION_HTTPS_MEM_KEY, g->tls_key_pem, MHD_OPTION_HTTPS_MEM_CERT,
					     g->tls_cert_pem, MHD_OPTION_END);
	else
		g->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_ARRAY, common,
					     MHD_OPTION_END);
	if (!g->daemon) {
		http_guard_stop(g->guard);
		g->guard = NULL;
		snprintf(err, cap, "cannot listen on %s%s", g->cfg.listen, g->cfg.tls ? " with TLS" : "");
		return -1;
	}
	return 0;
}
