/* vouch-gateway: an OpenAI-compatible proxy inside the TEE that signs every answer (vllm-proxy's receipts:
 * text = hex(SHA-256(request body as received)) ":" hex(SHA-256(response bytes as sent)), signed with EIP-191
 * ECDSA and Ed25519 by sign-only keys held in vouchd), journals every receipt in vouchd's journal, and serves
 * attestation reports that bind its keys to a quote. */
#ifndef VOUCH_GATEWAY_H
#define VOUCH_GATEWAY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#define GW_ID_MAX 128

struct gw_config {
	const char *backend;      /* http://host:port */
	const char *listen;       /* ADDR:PORT */
	char *vouchd_sock;        /* DIR/dstack.sock */
	char *token;              /* bearer token, or NULL */
	int tls;
	const char *tls_name;     /* certificate subject and alt name */
	const char *journal;      /* the receipts' journal */
	const char *key_prefix;   /* sign-only path prefix in vouchd, "gateway/" */
	size_t max_body;
	long backend_timeout_s;
	unsigned workers;         /* receipt signers */
	unsigned max_connections; /* clients at once (4096, fewer under a low file limit) */
	unsigned per_ip_connections; /* from one address at once */
	unsigned head_timeout_s;  /* a request's head whole within this of the connection or the previous answer */
	unsigned body_timeout_s;  /* its body whole within this of its head */
};

struct receipts;
struct curl_slist;
struct http_guard;
struct rec;

struct gw {
	struct gw_config cfg;
	/* the signing keys (their private halves stay in vouchd) */
	uint8_t ecdsa_pub[33], ecdsa_addr[20], ed25519_pub[32];
	char ecdsa_addr_text[43], ed25519_hex[65];
	char ecdsa_path[96], ed25519_path[96];
	/* TLS */
	char *tls_key_pem, *tls_cert_pem;
	uint8_t tls_spki_sha256[32];
	struct receipts *receipts;
	struct MHD_Daemon *daemon;
	struct http_guard *guard; /* the requests' deadlines */
	atomic_int stopping; /* SIGTERM: backend transfers end */
	struct curl_slist *backend_headers; /* every backend request's, the backend's token among them */
};

extern struct gw gw;

/* vouchd: POST /method on its dstack.sock (takes body's reference). NULL with err on failure. */
json_t *gw_vouchd(const char *method, json_t *body, char *err, size_t cap);

/* receipts.c */
int receipts_start(struct gw *g, char *err, size_t cap);
void receipts_stop(struct gw *g);
/* Queues the receipt of one answer: signed and journaled in the background. */
void receipt_add(struct gw *g, const char *chat_id, const uint8_t req_sha256[32], const uint8_t resp_sha256[32]);
/* A receipt whose answer is on its way to the client. receipt_expect makes /v1/signature wait for it;
 * receipt_settle queues it once the answer has gone out whole (so signing never competes with sending it),
 * or records that it was not delivered. */
struct gw_receipt {
	int set;
	char id[GW_ID_MAX];
	uint8_t req[32], resp[32];
	struct rec *rec; /* its record in the index */
};
void receipt_expect(struct gw *g, struct gw_receipt *p);
void receipt_settle(struct gw *g, struct gw_receipt *p, int delivered);
/* GET /v1/signature/{id}[?request_sha256=]: the answer's JSON, or NULL with an HTTP status and message. req: the
 * request's hash, to pick one answer among several with this id (NULL: the newest). Waits for a receipt still
 * being signed. */
json_t *receipt_get(struct gw *g, const char *chat_id, const uint8_t *req, const char *algo, unsigned *status, char *err,
		    size_t cap);
/* EIP-191 personal_sign of text with the gateway's ECDSA key (r ‖ s ‖ v, v 27/28), and Ed25519. */
int gw_sign(struct gw *g, const char *text, uint8_t ecdsa_sig[65], uint8_t ed25519_sig[64], char *err, size_t cap);

/* proxy.c: the OpenAI routes */
enum MHD_Result proxy_completion(struct gw *g, struct MHD_Connection *c, const char *path, const char *body, size_t len,
				 struct gw_receipt *pending);
enum MHD_Result proxy_models(struct gw *g, struct MHD_Connection *c);
/* The headers every backend request carries (Authorization: Bearer backend_token when given), made once;
 * freed, the token wiped, by proxy_headers_free. Returns 0, or -1 when out of memory. */
int proxy_headers(struct gw *g, const char *backend_token);
void proxy_headers_free(struct gw *g);

/* report.c: GET /v1/attestation/report */
enum MHD_Result report_answer(struct gw *g, struct MHD_Connection *c);

/* server.c */
enum MHD_Result gw_json(struct MHD_Connection *c, unsigned status, json_t *o);
enum MHD_Result gw_error(struct MHD_Connection *c, unsigned status, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
