/* A JSON-over-HTTP client for vouchd (its unix sockets or its public listener), with libcurl. Each thread keeps
 * one connection alive between calls. Used by `vouch` and by vouch-gateway. */
#ifndef VOUCH_VOUCHD_CLIENT_H
#define VOUCH_VOUCHD_CLIENT_H

#include <stddef.h>

#include <jansson.h>

/* POSTs body (NULL: {}) to url (e.g. "http://localhost/GetKey"), over the unix socket at unix_path when it is
 * given. Returns the decoded JSON of a 200 answer; otherwise NULL with *status (0: no HTTP answer) and err
 * (vouchd's error message, or why the call failed). Responses are wiped from memory after decoding. */
json_t *vc_post(const char *unix_path, const char *url, json_t *body, long *status, char *err, size_t cap);

/* The socket to reach vouchd through: where is a socket (a principal's own, e.g. DIR/gateway.sock) or a
 * directory (its dstack.sock). Returns 0 with *out (malloc'd), or -1 with err. */
int vc_socket_path(const char *where, char **out, char *err, size_t cap);

#endif
