/* Calls to a running vouchd over its unix socket, found by --listen-dir, $VOUCH_LISTEN_DIR or the default. */
#ifndef VOUCH_CLI_RPC_H
#define VOUCH_CLI_RPC_H

#include <jansson.h>

/* POSTs body (may be NULL: {}) to /<method> on DIR/<socket> ("dstack.sock"). Returns the decoded JSON
 * response, or NULL after printing why (connection, HTTP status with vouchd's error message). */
json_t *rpc_call(const char *listen_dir, const char *socket, const char *method, json_t *body, const char *verb);

/* The same against vouchd's public listener: POST BASE/prpc/<method> (BASE like http://host:port). */
json_t *rpc_call_url(const char *base, const char *method, json_t *body, const char *verb);

#endif
