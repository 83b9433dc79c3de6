/* Signed answers of an attested inference proxy (vouch-gateway, and Phala's vllm-proxy whose format it
 * keeps): checking that an answer was signed by a key a TEE's quote binds.
 *
 * The documents, as the proxy serves them:
 *   signature  GET /v1/signature/{chat_id}: {"text", "signature", "signing_address", "signing_algo", ...}
 *              text = hex(SHA-256(request body)) ":" hex(SHA-256(response bytes)), lowercase;
 *              ecdsa: EIP-191 personal_sign of text, 65 bytes r ‖ s ‖ v (v 27/28), "0x" hex; signing_address
 *              the Ethereum address. ed25519: the signature over text, 64 bytes hex; signing_address the
 *              public key, hex.
 *   report     GET /v1/attestation/report: {"signing_address", "signing_algo", "request_nonce", "intel_quote",
 *              "event_log", "version"?, "tls_cert_fingerprint"?, ...}; the quote's report data is
 *              v1: key bytes (20-byte address or 32-byte key) zero-padded to 32 ‖ nonce (32)
 *              v2: SHA-256(key bytes ‖ SHA-256(TLS certificate SPKI)) ‖ nonce
 *
 * The check runs in five steps, in order; the first that fails ends it. The library runs all but the quote's
 * own verification (DCAP and event-log replay with the caller's collateral and time: vouch_dstack_verify),
 * which the caller runs between vouch_receipt_check_documents and vouch_receipt_check_binding. */
#ifndef VOUCH_RECEIPT_H
#define VOUCH_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

typedef enum vouch_receipt_step {
	VOUCH_RECEIPT_TEXT,      /* the signed text is the hashes of exactly these request and response bytes */
	VOUCH_RECEIPT_SIGNATURE, /* the signature recovers (EIP-191) or verifies (Ed25519) under signing_address */
	VOUCH_RECEIPT_REPORT,    /* the report is for that key and algorithm, and carries a quote */
	VOUCH_RECEIPT_QUOTE,     /* (the caller's) the quote verifies and its event log replays */
	VOUCH_RECEIPT_BINDING,   /* the quote's report data binds the key (and TLS key, v2) and the nonce */
	VOUCH_RECEIPT_STEPS
} vouch_receipt_step;

typedef struct vouch_receipt_check {
	int state[VOUCH_RECEIPT_STEPS];          /* 0 not run, 1 passed, 2 failed */
	char detail[VOUCH_RECEIPT_STEPS][192];   /* what was found, for each step run */
	int failed;                              /* the first step that failed, or -1 */
	/* read from the documents */
	int ecdsa;                               /* else Ed25519 */
	uint8_t key[32];                         /* the address (20 bytes) or the Ed25519 key (32) */
	size_t key_len;
	int version;                             /* the report's layout, 1 or 2 */
	uint8_t request_nonce[32];
	int have_tls_fingerprint;                /* v2: the report's tls_cert_fingerprint */
	uint8_t tls_fingerprint[32];
	char *evidence;                          /* {"quote", "event_log"} for vouch_dstack_evidence_parse */
	size_t evidence_len;
} vouch_receipt_check;

/* The signed text for a request and a response: 129 characters and a NUL. */
void vouch_receipt_text(char out[130], const uint8_t *req, size_t req_len, const uint8_t *resp, size_t resp_len);

/* Steps text, signature and report. Returns 0 when all three pass, else VOUCH_E_RECEIPT with c->failed
 * and its detail set (a document that is not what it should be fails the step that reads it). Always free
 * with vouch_receipt_check_free. */
int vouch_receipt_check_documents(vouch_receipt_check *c, const uint8_t *req, size_t req_len, const uint8_t *resp,
				  size_t resp_len, const char *signature_json, size_t signature_len,
				  const char *report_json, size_t report_len);

/* Records the caller's verdict on the report's quote (ok: it verified) with a detail line. */
void vouch_receipt_check_quote(vouch_receipt_check *c, int ok, const char *detail);

/* Step binding, on the report data of the quote the caller verified. nonce: the nonce the verifier sent for
 * the report (NULL: the report's request_nonce is taken at its word, and the detail says so). tls_fingerprint:
 * SHA-256 of the SPKI of the certificate the verifier connected to (NULL: for v2, the report's own
 * tls_cert_fingerprint, said so); given with a version 1 report it fails, since v1 binds no TLS key.
 * Returns 0 or VOUCH_E_RECEIPT. */
int vouch_receipt_check_binding(vouch_receipt_check *c, const uint8_t report_data[64], const uint8_t *nonce,
				const uint8_t *tls_fingerprint);

void vouch_receipt_check_free(vouch_receipt_check *c);

/* The step's name: "text", "signature", "report", "quote", "report_data". */
const char *vouch_receipt_step_name(int step);

#endif
