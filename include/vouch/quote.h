/* vouch — Intel SGX (v3) and TDX (v4, v5) ECDSA quote parsing.
 *
 * The parser never allocates. It fills a caller-owned vouch_quote whose pointer fields point into the
 * caller's buffer: they stay valid as long as that buffer is alive and unchanged. Layouts and field names
 * follow Intel's "SGX ECDSA Quote Library API" and "TDX DCAP Quoting Library API" (see
 * docs in ../shared/specs/dcap-verification.md §1). All integers on the wire are little-endian; byte strings
 * (measurements, keys) are returned exactly as they appear.
 */
#ifndef VOUCH_QUOTE_H
#define VOUCH_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VOUCH_QUOTE_MAX_FIELD (1u << 20) /* every variable-length field is capped at 1 MiB */
#define VOUCH_QUOTE_MAX_SIZE (8u << 20) /* whole-quote cap applied by the file and hex loaders */

#define VOUCH_TEE_SGX 0x00000000u
#define VOUCH_TEE_TDX 0x00000081u

typedef enum vouch_body_type {
	VOUCH_BODY_SGX = 1,  /* SGX enclave report, 384 bytes */
	VOUCH_BODY_TD10 = 2, /* TD report 1.0, 584 bytes */
	VOUCH_BODY_TD15 = 3, /* TD report 1.5, 648 bytes */
} vouch_body_type;

/* An SGX enclave report (also the layout of the QE report). */
typedef struct vouch_sgx_report {
	const uint8_t *raw;         /* the 384 bytes */
	const uint8_t *cpu_svn;     /* 16 */
	uint32_t misc_select;
	const uint8_t *attributes;  /* 16: flags (u64 LE) ‖ XFRM; DEBUG = attributes[0] & 0x02 */
	const uint8_t *mr_enclave;  /* 32 */
	const uint8_t *mr_signer;   /* 32 */
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	const uint8_t *report_data; /* 64 */
} vouch_sgx_report;

/* A TD report, version 1.0 or 1.5. */
typedef struct vouch_td_report {
	const uint8_t *raw;             /* 584 (1.0) or 648 (1.5) bytes */
	size_t len;
	const uint8_t *tee_tcb_svn;     /* 16: [0] TDX module ISVSVN, [1] module major version */
	const uint8_t *mr_seam;         /* 48 */
	const uint8_t *mr_signer_seam;  /* 48 */
	const uint8_t *seam_attributes; /* 8 */
	const uint8_t *td_attributes;   /* 8: bit 0 DEBUG, bit 28 SEPT_VE_DISABLE */
	const uint8_t *xfam;            /* 8 */
	const uint8_t *mr_td;           /* 48 */
	const uint8_t *mr_config_id;    /* 48 */
	const uint8_t *mr_owner;        /* 48 */
	const uint8_t *mr_owner_config; /* 48 */
	const uint8_t *rtmr[4];         /* 48 each */
	const uint8_t *report_data;     /* 64 */
	const uint8_t *tee_tcb_svn2;    /* 16, TD 1.5 only, else NULL */
	const uint8_t *mr_service_td;   /* 48, TD 1.5 only, else NULL */
} vouch_td_report;

typedef struct vouch_quote {
	/* header (48 bytes) */
	uint16_t version;            /* 3, 4 or 5 */
	uint16_t att_key_type;       /* 2 = ECDSA P-256 */
	uint32_t tee_type;           /* VOUCH_TEE_SGX or VOUCH_TEE_TDX */
	uint16_t qe_svn, pce_svn;    /* informational; never used for decisions */
	const uint8_t *qe_vendor_id; /* 16 */
	const uint8_t *user_data;    /* 20 */

	/* body */
	vouch_body_type body_type;
	uint32_t body_size;          /* v5: as declared; v3/v4: implied by the type */
	vouch_sgx_report sgx;        /* valid when body_type == VOUCH_BODY_SGX */
	vouch_td_report td;          /* valid for VOUCH_BODY_TD10 / VOUCH_BODY_TD15 */
	const uint8_t *report_data;  /* 64: the body's REPORTDATA, whichever the type */

	/* what the quote signature covers: header ‖ [v5 descriptor] ‖ body */
	const uint8_t *signed_data;
	size_t signed_len;

	/* signature data */
	uint32_t sig_data_len;
	const uint8_t *signature;    /* 64: r ‖ s, big-endian */
	const uint8_t *attest_key;   /* 64: X ‖ Y of the P-256 attestation key */
	uint16_t outer_cert_type;    /* v4/v5: certification data type wrapping the QE report (6); v3: 0 */
	uint32_t outer_cert_size;
	vouch_sgx_report qe_report;
	const uint8_t *qe_report_sig; /* 64 */
	const uint8_t *qe_auth;
	uint16_t qe_auth_len;
	uint16_t cert_type;          /* type of the (inner) certification data; 5 = PCK chain (PEM) */
	const uint8_t *cert_data;
	uint32_t cert_len;

	size_t total_len;            /* bytes the quote structure uses */
	size_t trailing;             /* bytes after the signature data (ignored; dstack pads to 5006) */
} vouch_quote;

/* Parses a binary quote. On success fills *out and returns 0. On failure returns a VOUCH_E_QUOTE_* code
 * (truncation, unsupported version/TEE/body, inconsistent lengths) and leaves *out zeroed.
 *
 * Checks done here (decoding rules; see the spec §1.6): version 3/4/5; v3 ⇒ SGX; v4 ⇒ SGX or TDX;
 * v5 body type 1/2/3 agreeing with the TEE type and with its exact size; every field in bounds; every
 * variable-length field ≤ 1 MiB; the signature data and, for v4/v5, the type-6 QE report certification data
 * consume their declared lengths exactly; the v4/v5 outer certification type is 6. Bytes after the
 * signature data are allowed and counted in out->trailing. Header policy (QE vendor, key type) and the QE
 * auth length are verification checks, not decoding errors: see vouch_verify(). */
int vouch_quote_parse(vouch_quote *out, const uint8_t *buf, size_t len);

/* Loads a quote from bytes that are either binary or hex text ("0x" prefix and whitespace allowed).
 * Hex is detected when every byte is a hex digit or whitespace (a binary quote starts with 0x03..0x05).
 * Decodes hex in place and writes the binary length to *out_len. Returns 0 or VOUCH_E_HEX. */
int vouch_quote_unhex(uint8_t *buf, size_t len, size_t *out_len);

/* Every field of a parsed quote as one JSON object (malloc'd, NUL-terminated; free()): header, body type,
 * report, signature data with the QE report and certification data. NULL when out of memory. */
char *vouch_quote_json(const vouch_quote *q);

/* Name of a body type as used in dcap-qvl's JSON ("SgxEnclave", "TD10", "TD15"). */
const char *vouch_body_name(vouch_body_type t);

#ifdef __cplusplus
}
#endif
#endif
