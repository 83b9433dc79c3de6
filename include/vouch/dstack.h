/* vouch — dstack attestations: the Attest V0 wire format, app identity, and a verification whose report
 * has the shape of dstack-verifier's /verify response.
 * Spec: ../shared/specs/dstack-guest-api.md §13 (identities), §16 (Attest), §17 (verifier I/O).
 */
#ifndef VOUCH_DSTACK_H
#define VOUCH_DSTACK_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/dcap.h"
#include "vouch/eventlog.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VOUCH_ATTESTATION_MAX (10u << 20) /* dstack's limit */

/* Attest V0 (SCALE), decoded in place: pointers into the caller's buffer, nothing allocated. */
typedef struct vouch_attestation {
	unsigned platform;          /* AttestationQuote tag: 0 DstackTdx (the only one vouch replays) */
	vouch_bytes quote;
	vouch_bytes events;         /* the SCALE-encoded Vec<TdxEvent> items */
	size_t n_events;
	vouch_bytes runtime_events; /* the SCALE-encoded Vec<RuntimeEvent> items */
	size_t n_runtime_events;
	const uint8_t *report_data; /* 64 */
	vouch_bytes config;         /* VM config JSON (older images: the whole sys-config) */
} vouch_attestation;

/* Decodes a V0 attestation: variant byte 0, platform tag, quote, event log, runtime events, report data,
 * config, and nothing after. Returns 0, VOUCH_E_SCALE (malformed, with no trailing bytes allowed) or
 * VOUCH_E_ATTEST_VERSION (V1 MessagePack, or a platform other than DstackTdx). */
int vouch_attestation_decode(vouch_attestation *out, const uint8_t *buf, size_t len);

/* Encodes a V0 attestation of a TDX quote: its event log (digests as given; runtime events get theirs
 * recomputed when absent), the log's runtime events (RTMR3, type 0x08000001, in order) as the runtime list,
 * report data and config. *out is malloc'd. Returns 0 or VOUCH_E_NOMEM. */
int vouch_attestation_encode(uint8_t **out, size_t *len, const uint8_t *quote, size_t quote_len,
			     const vouch_eventlog *log, const uint8_t report_data[64], const char *config,
			     size_t config_len);

/* The attestation's event log as a vouch_eventlog (allocates; vouch_eventlog_free). */
int vouch_attestation_eventlog(vouch_eventlog *out, const vouch_attestation *a);

/* What a verifier needs from a dstack GetQuote / Attest response. */
typedef struct vouch_dstack_evidence {
	vouch_bytes quote;          /* binary */
	vouch_eventlog log;
	int have_report_data;       /* the response states its report data separately */
	uint8_t report_data[64];
	vouch_bytes config;         /* VM config (or sys-config) JSON, may be empty */
	int have_runtime_list;      /* V0: runtime_events, which must agree with the log's RTMR3 events */
	vouch_attestation att;
	void *owned;
} vouch_dstack_evidence;

/* Accepts: raw Attest V0 bytes; JSON {"attestation": "<hex>"} (Attest response, verifier request);
 * JSON {"quote": "<hex>", "event_log": "<JSON text>" | [...], "report_data"?, "vm_config"?} (GetQuote,
 * Tappd.TdxQuote, verifier request). Returns 0 or an error with a message. Free with
 * vouch_dstack_evidence_free. */
int vouch_dstack_evidence_parse(vouch_dstack_evidence *out, const uint8_t *buf, size_t len, char *msg, size_t cap);
void vouch_dstack_evidence_free(vouch_dstack_evidence *e);

/* The evidence in an RA-TLS certificate (DER; spec §8.7): the attestation extension
 * 1.3.6.1.4.1.62397.1.8 (an OCTET STRING inside the extnValue), whose report data must be
 * SHA-512("ratls-cert:" ‖ the certificate's SubjectPublicKeyInfo) — the binding is checked here, the
 * attestation by vouch_dstack_verify. Returns 0, VOUCH_E_CERT_PARSE (no such extension or not a P-256
 * certificate), VOUCH_E_REPORT_DATA (not bound to this key) or an attestation decoding error. */
int vouch_ratls_evidence(vouch_dstack_evidence *out, const uint8_t *cert_der, size_t len, char *msg, size_t cap);

/* The RA-TLS certificate itself, checked apart from its attestation. */
enum {
	VOUCH_RATLS_SIG_UNCHECKED = 0, /* not self-issued and no issuer certificate given: the signature is not checked */
	VOUCH_RATLS_SIG_ISSUER = 1,    /* verified under the given issuer certificate's key */
	VOUCH_RATLS_SIG_SELF = 2,      /* self-issued (issuer name = subject name), verified under its own key */
};
typedef struct vouch_ratls_cert {
	int64_t not_before, not_after;
	int self_issued;
	int signature; /* VOUCH_RATLS_SIG_* */
} vouch_ratls_cert;

/* Checks an RA-TLS certificate (DER) as a certificate: it parses under libvouch's X.509 profile (v3, ECDSA
 * P-256/SHA-256, no unknown critical extension, no extension present twice: RFC 5280 §4.2); now (Unix seconds)
 * lies within its notBefore..notAfter; and its signature: under issuer_der's key when an issuer certificate is
 * given (its subject must be the certificate's issuer name, it must be a CA valid at now), else under its own
 * key when it is self-issued, else not at all (out->signature = VOUCH_RATLS_SIG_UNCHECKED: vouchd's RA-TLS
 * certificates are signed by the app's CA, whose certificate comes in GetTlsKey's certificate_chain). Nothing
 * ties the issuer certificate to a TEE: the attestation, not the signature, is what binds the key to the TEE.
 * Fills *out as far as it got; returns 0, VOUCH_E_DER, VOUCH_E_CERT_PARSE, VOUCH_E_CERT_ALGORITHM,
 * VOUCH_E_CERT_CRITICAL_EXT, VOUCH_E_CERT_NOT_YET_VALID, VOUCH_E_CERT_EXPIRED, VOUCH_E_CERT_UNKNOWN_ISSUER,
 * VOUCH_E_CERT_LEAF_AS_CA or VOUCH_E_CERT_SIGNATURE, with a message. */
int vouch_ratls_check_cert(vouch_ratls_cert *out, const uint8_t *der, size_t len, const uint8_t *issuer_der,
			   size_t issuer_len, int64_t now, char *msg, size_t cap);

/* Identity values (spec §13.1) decoded from the runtime events before the first system-ready (what follows is
 * the app's own; an identity event twice before it is an error). */
typedef struct vouch_app_info {
	uint8_t app_id[32];
	size_t app_id_len;
	uint8_t compose_hash[32];
	size_t compose_hash_len;
	uint8_t instance_id[32];
	size_t instance_id_len;
	uint8_t os_image_hash[32];
	size_t os_image_hash_len;
	char key_provider_info[512]; /* the key-provider event payload (JSON text), "" if none */
	uint8_t mr_system[32];
	uint8_t mr_aggregated[32];
	uint8_t device_id[32];       /* SHA-256 of the verified PCK's PPID */
	int have_device_id;
	unsigned n_init_scripts;
	uint8_t init_script_hashes[8][32];
	int system_ready;            /* the log has dstack's system-ready event: identity is complete */
} vouch_app_info;

/* mr_aggregated = SHA-256(MRTD ‖ RTMR0..3 [‖ MRCONFIGID ‖ MROWNER ‖ MROWNERCONFIG if any is non-zero]);
 * mr_system = SHA-256(MRTD ‖ RTMR0..2 ‖ SHA-256(key_provider_info) or 32 zero bytes when it is empty). */
void vouch_dstack_mr_aggregated(uint8_t out[32], const vouch_td_report *td);
void vouch_dstack_mr_system(uint8_t out[32], const vouch_td_report *td, const char *key_provider_info);

typedef struct vouch_dstack_result {
	int is_valid;
	char reason[320];            /* why not valid; "" when valid */
	int quote_verified;
	int event_log_verified;      /* all four RTMRs replay to the quote's */
	int report_data_verified;    /* the response's report data equals the quote's (or none stated) */
	int rtmr_match[4];
	uint8_t rtmr_replayed[4][48];
	vouch_app_info app;
} vouch_dstack_result;

/* Verifies evidence: the quote (DCAP, with coll or without when coll is NULL), the event log's layout (RTMR3
 * holds dstack runtime events only, and they go nowhere else), its replay of RTMR0–3, runtime events against
 * the V0 list, report data, then decodes the app identity. verdict
 * receives the quote's verdict. Returns 0 when valid, else the first failure's error. */
int vouch_dstack_verify(vouch_dstack_result *out, vouch_verdict *verdict, const vouch_dstack_evidence *ev,
			const vouch_verify_opts *opts, vouch_collateral *coll, int64_t now);

/* The result in dstack-verifier's /verify shape {is_valid, details{…}, reason}, with vouch's additions
 * under details.vouch (simulated, checks, skipped, rtmr replay). malloc'd; free(). */
char *vouch_dstack_result_json(const vouch_dstack_result *r, const vouch_verdict *v, const vouch_dstack_evidence *ev);

#ifdef __cplusplus
}
#endif
#endif
