/* vouchd's transport: dstack's prpc over HTTP/1.1 (spec §3) on unix sockets and TCP, with libmicrohttpd.
 * JSON in (POST body or GET query), JSON out with Content-Length, ASCII only, dstack's error shape. */
#ifndef VOUCHD_HTTP_H
#define VOUCHD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct app;
struct principal;

enum listener_kind {
	LISTEN_DSTACK, /* dstack.sock: /<Method> */
	LISTEN_TAPPD,  /* tappd.sock: /prpc/Tappd.<Method> and /prpc/<Method> */
	LISTEN_PUBLIC, /* TCP: /prpc/Worker.<Method>, read-only */
};

/* One request, decoded. Field getters (req.c) read the JSON body or, for GET, the query string. */
typedef struct req {
	enum listener_kind listener;
	const char *method;   /* the RPC method, prefix stripped */
	json_t *body;         /* the request object; an empty object for an empty body */
	int from_query;       /* values are strings from a query string (serde_qs rules) */
	pid_t pid;            /* SO_PEERCRED of a unix-socket client, -1 otherwise */
	uid_t uid;
	gid_t gid;
	const struct principal *principal; /* the principal whose own socket carried the request, or NULL */
} req;

/* A handler fills *out (a new JSON value; json_null() for Empty) and returns 0, or returns -1 with the
 * error message (dstack's wording where the spec gives it) in err. Messages never contain secrets. */
typedef int (*handler_fn)(struct app *app, const req *r, json_t **out, char *err, size_t cap);

struct route {
	const char *method;
	handler_fn fn;
};

typedef struct http_limits {
	size_t max_body;         /* bytes; larger bodies get 413 */
	unsigned max_connections;
	unsigned idle_timeout_s; /* the longest silence within a request or while its answer is read */
	size_t max_header_bytes; /* per connection: request line, headers and parser state */
	unsigned head_timeout_s; /* a request's head whole within this of the connection or the previous answer */
	unsigned body_timeout_s; /* its body whole within this of its head */
	unsigned per_ip_connections; /* public listener: connections from one address at once */
	unsigned public_quotes;  /* public listener: requests making a fresh quote at once (more: 503) */
} http_limits;

struct listener;

/* Routes and answers one request, whatever carried it (libmicrohttpd, or a fuzzer): url per the listener's
 * path rules, the body (POST) or query (GET, consumed), the peer's credentials. *out is the response body
 * (malloc'd), *status its HTTP status. */
int http_dispatch(struct app *app, enum listener_kind kind, const struct route *routes, size_t n_routes,
		  const char *url, int get, const char *body, size_t len, json_t *query, const req *peer, char **out,
		  unsigned *status);

/* Serves routes on an already bound, listening socket (unix or TCP); principal: the one whose own socket it is,
 * or NULL. Returns NULL with a message on stderr. */
struct listener *listener_start(int fd, enum listener_kind kind, const struct route *routes, size_t n_routes,
				struct app *app, const http_limits *limits, const struct principal *principal);
void listener_stop(struct listener *l);

/* Field getters. Missing fields take their defaults ("" / 0 / false / empty). Each returns 0, or -1 with a
 * message in err naming the field ("invalid type for report_data: expected a hex string"). */
int req_str(const req *r, const char *name, const char **out, size_t *len, char *err, size_t cap);
int req_hex(const req *r, const char *name, uint8_t *out, size_t max, size_t *len, char *err, size_t cap);
int req_bool(const req *r, const char *name, int *out, char *err, size_t cap);
int req_u64(const req *r, const char *name, uint64_t *out, int *present, char *err, size_t cap);
/* An array of strings (GET: name[0]=…&name[1]=…). items point into the request; up to max. */
int req_strs(const req *r, const char *name, const char **items, size_t max, size_t *n, char *err, size_t cap);

#endif
