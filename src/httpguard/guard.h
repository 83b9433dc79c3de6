/* What libmicrohttpd (0.9.75, Debian 12) leaves unbounded or lenient, for vouchd's and vouch-gateway's HTTP
 * servers (a thread per connection each):
 *   - time: its connection timeout counts silence only, so a client sending one header line just before each
 *     timeout (slowloris), or connections that sit between requests, hold their slots for ever. The guard gives
 *     each request a deadline for its head (counted from the connection's start, or from the previous answer)
 *     and one for its body (from the head), and shuts down the socket of a request that misses it;
 *   - framing: it accepts Content-Length with Transfer-Encoding, two Content-Lengths, header names with spaces,
 *     and sends "100 Continue" for a body it will refuse. Behind a proxy each is request smuggling. */
#ifndef VOUCH_HTTP_GUARD_H
#define VOUCH_HTTP_GUARD_H

#include <stddef.h>

#include <microhttpd.h>

struct http_guard;
struct http_guard_conn;

/* Starts the reaper thread. head_s, body_s: the deadlines, in seconds (> 0). NULL when out of memory or
 * threads. */
struct http_guard *http_guard_start(unsigned head_s, unsigned body_s);
/* Stops the reaper; call after MHD_stop_daemon (every connection is closed by then). */
void http_guard_stop(struct http_guard *g);

/* From MHD's NOTIFY_CONNECTION: a connection on socket fd begins (its head deadline starts now); returns its
 * record (NULL when out of memory: the connection then has no deadline), which http_guard_closed releases. */
struct http_guard_conn *http_guard_opened(struct http_guard *g, int fd);
void http_guard_closed(struct http_guard *g, struct http_guard_conn *k);
/* From the access handler: the request's head is complete (its first call): the body deadline starts. */
void http_guard_head_done(struct http_guard *g, struct http_guard_conn *k);
/* From the access handler: the request is whole (its last call): no deadline while it is answered. */
void http_guard_busy(struct http_guard *g, struct http_guard_conn *k);
/* From NOTIFY_COMPLETED: the answer is out; the next request's head deadline starts. */
void http_guard_idle(struct http_guard *g, struct http_guard_conn *k);

/* The request's framing, at the access handler's first call: 0 when acceptable; else the HTTP status to answer
 * (400, or 413 for a Content-Length over max_body: answered before any "100 Continue") with why in err. */
unsigned http_guard_framing(struct MHD_Connection *c, size_t max_body, char *err, size_t cap);

/* A connection flood ended: return the freed memory of glibc's arenas to the system (a thread per connection
 * takes an arena each and keeps what it freed). Called by the reaper once the connections it saw at once have
 * fallen from at least 256 to a quarter of that and none has closed for a reap period (their threads free
 * their memory after CLOSED), or 2 s after the fall under steady traffic; exposed for tests. */
void http_guard_trim(void);

#endif
