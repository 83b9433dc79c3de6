/* vouch — Intel DCAP quote verification.
 *
 * vouch_verify() checks a quote against collateral exactly as Phala's dcap-qvl 0.5.2 does, in its order and
 * with its outcomes (spec: ../shared/specs/dcap-verification.md §2), plus a few checks dcap-qvl skips and
 * Intel's QVL makes; those run after all of dcap-qvl's, so they never change which error dcap-qvl's order
 * reports. The time is always the caller's: the library never reads the clock.
 *
 * Trust: by default the only anchor is Intel's SGX Root CA, embedded and pinned by the SHA-256 of its DER
 * (44a0196b…74d3). A caller may pass another root (a test PKI, vouchd's simulator); then every verdict says
 * simulated = 1, and nothing can turn that off.
 *
 * Cost: a cold verification makes each of its 9 distinct P-256 verifications once. A vouch_collateral handle
 * kept across calls caches what was verified in the collateral (and the PCK CA certificate, keyed by its
 * bytes), so a warm verification makes 3: PCK leaf, QE report, quote. Dates, revocation lists and
 * policies are re-checked against `now` on every call.
 */
#ifndef VOUCH_DCAP_H
#define VOUCH_DCAP_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/quote.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vouch_bytes {
	const uint8_t *p;
	size_t len;
} vouch_bytes;

/* Collateral in dcap-qvl's QuoteCollateralV3 shape. Text fields hold the exact bytes Intel signed or sent
 * (PEM chains, the tcbInfo / enclaveIdentity object texts); CRLs and signatures are binary. */
typedef struct vouch_collateral_src {
	vouch_bytes pck_crl_issuer_chain;     /* PEM; kept for completeness, not used by verification */
	vouch_bytes root_ca_crl;              /* DER */
	vouch_bytes pck_crl;                  /* DER */
	vouch_bytes tcb_info_issuer_chain;    /* PEM */
	vouch_bytes tcb_info;                 /* exact JSON text of the tcbInfo object */
	uint8_t tcb_info_signature[64];       /* r ‖ s */
	vouch_bytes qe_identity_issuer_chain; /* PEM */
	vouch_bytes qe_identity;              /* exact JSON text of the enclaveIdentity object */
	uint8_t qe_identity_signature[64];
	vouch_bytes pck_certificate_chain;    /* optional PEM; when set, replaces the quote's chain */
	void *owned;                          /* storage owned by vouch_collateral_parse_json */
} vouch_collateral_src;

/* Reads dcap-qvl's collateral JSON (hex for CRLs and signatures, strings for the rest; unknown keys
 * ignored). On success *out owns a copy of everything: free it with vouch_collateral_src_free().
 * On failure returns VOUCH_E_COLLATERAL (or VOUCH_E_JSON / VOUCH_E_HEX) and writes the reason into msg. */
int vouch_collateral_parse_json(vouch_collateral_src *out, const char *json, size_t len, char *msg, size_t msg_cap);
void vouch_collateral_src_free(vouch_collateral_src *c);
/* dcap-qvl's JSON for a collateral (malloc'd, NUL-terminated; free()), or NULL when out of memory. */
char *vouch_collateral_to_json(const vouch_collateral_src *c);
/* The earliest nextUpdate among TCB info, QE identity and both CRLs: when this collateral stops verifying.
 * Returns 0 or an error when a part does not parse. */
int vouch_collateral_expiry(int64_t *out, const vouch_collateral_src *c);

/* A verification cache for one collateral. Borrows src: src and its buffers must outlive the handle. Not
 * thread-safe: one handle per thread. */
typedef struct vouch_collateral vouch_collateral;
int vouch_collateral_open(vouch_collateral **out, const vouch_collateral_src *src);
void vouch_collateral_close(vouch_collateral *c);

typedef enum vouch_tcb_status {
	VOUCH_TCB_UP_TO_DATE = 0,
	VOUCH_TCB_SW_HARDENING_NEEDED = 1,
	VOUCH_TCB_CONFIGURATION_NEEDED = 2,
	VOUCH_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED = 3,
	VOUCH_TCB_OUT_OF_DATE = 4,
	VOUCH_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED = 5,
	VOUCH_TCB_REVOKED = 6,
	VOUCH_TCB_UNKNOWN = 7, /* not evaluated: no collateral, or verification stopped before */
} vouch_tcb_status;

/* "UpToDate", "SWHardeningNeeded", …, "Revoked", "Unknown" */
const char *vouch_tcb_status_name(vouch_tcb_status s);
/* Parses a status name; returns 0 or VOUCH_E_ARG. */
int vouch_tcb_status_parse(vouch_tcb_status *out, const char *name, size_t len);

#define VOUCH_MAX_ADVISORIES 128
#define VOUCH_ADVISORY_LEN 32 /* "INTEL-SA-00615" and the NUL fit with room to spare */

typedef struct vouch_tcb_result {
	vouch_tcb_status status;
	unsigned n_advisories;
	char advisory_ids[VOUCH_MAX_ADVISORIES][VOUCH_ADVISORY_LEN];
} vouch_tcb_result;

/* Every check, in the order verification runs them. */
typedef enum vouch_check_id {
	VOUCH_CHECK_ROOT_ANCHOR,         /* trust anchor: Intel's pinned root, or a caller's (simulated) */
	VOUCH_CHECK_CRL_DECODE,          /* both CRLs parse under the profile */
	VOUCH_CHECK_ROOT_CRL,            /* root CA CRL: issuer, signature, nextUpdate; root not revoked */
	VOUCH_CHECK_QUOTE_DECODE,
	VOUCH_CHECK_QUOTE_HEADER,        /* version, QE vendor, TEE type vs version, key type */
	VOUCH_CHECK_TCB_INFO_DECODE,
	VOUCH_CHECK_TCB_INFO_VALIDITY,   /* issueDate <= now <= nextUpdate */
	VOUCH_CHECK_TCB_INFO_CHAIN,
	VOUCH_CHECK_TCB_INFO_SIGNATURE,
	VOUCH_CHECK_QE_ID_DECODE,
	VOUCH_CHECK_QE_ID_VALIDITY,
	VOUCH_CHECK_QE_ID_CHAIN,
	VOUCH_CHECK_QE_ID_SIGNATURE,
	VOUCH_CHECK_QE_ID_TEE_TYPE,      /* QE identity id/version fit the quote's TEE */
	VOUCH_CHECK_PCK_CHAIN,           /* leaf → PCK CA → root: signatures, validity, constraints */
	VOUCH_CHECK_PCK_REVOCATION,      /* each PCK chain certificate against its issuer's CRL */
	VOUCH_CHECK_PCK_EXTENSION,       /* Intel SGX extension of the PCK leaf */
	VOUCH_CHECK_QE_REPORT_SIGNATURE,
	VOUCH_CHECK_QE_REPORT_BINDING,   /* SHA-256(attestation key ‖ QE auth data) == QE REPORTDATA[0..32] */
	VOUCH_CHECK_QE_POLICY,           /* MRSIGNER, not debug, ISVPRODID, MISCSELECT, ATTRIBUTES */
	VOUCH_CHECK_QE_TCB,              /* QE ISVSVN against the QE identity TCB levels */
	VOUCH_CHECK_QUOTE_SIGNATURE,
	VOUCH_CHECK_FMSPC,
	VOUCH_CHECK_TCB_INFO_TEE_TYPE,   /* TCB info id/version fit the quote's TEE */
	VOUCH_CHECK_TCB_LEVEL,
	VOUCH_CHECK_TDX_MODULE,          /* MRSIGNERSEAM and SEAMATTRIBUTES against the module identity */
	VOUCH_CHECK_TDX_MODULE_TCB,
	VOUCH_CHECK_TCB_STATUS,          /* merged status; Revoked fails */
	VOUCH_CHECK_DEBUG,               /* enclave DEBUG / TD TUD.DEBUG clear */
	VOUCH_CHECK_SERVICE_TD,          /* TD 1.5 MRSERVICETD zero */
	VOUCH_CHECK_TD_ATTRIBUTES,       /* reserved bits clear, SEPT_VE_DISABLE set */
	/* Beyond dcap-qvl (Intel's QVL makes them); run last. */
	VOUCH_CHECK_CRL_THIS_UPDATE,     /* both CRLs already issued: thisUpdate <= now */
	VOUCH_CHECK_PCE_ID,              /* PCK PCE-ID == TCB info pceId */
	VOUCH_CHECK_QE_REPORT_PADDING,   /* QE REPORTDATA[32..64] zero */
	VOUCH_CHECK_COUNT
} vouch_check_id;

typedef enum vouch_check_state {
	VOUCH_CHECK_NOT_RUN = 0, /* verification stopped before it */
	VOUCH_CHECK_PASS,
	VOUCH_CHECK_FAIL,
	VOUCH_CHECK_SKIPPED,     /* not done, and the note says why (e.g. no collateral) */
	VOUCH_CHECK_NA,          /* does not apply to this quote (e.g. TDX module for SGX) */
} vouch_check_state;

typedef struct vouch_check {
	vouch_check_state state;
	const char *note; /* static text: why skipped / what was checked; may be NULL */
} vouch_check;

/* "root.anchor", "pck.chain", … */
const char *vouch_check_name(vouch_check_id id);
/* "pass", "fail", "skipped", "n/a", "not run" */
const char *vouch_check_state_name(vouch_check_state s);

typedef struct vouch_verdict {
	int ok;              /* 1: the quote verified (status may still be one a policy rejects) */
	int err;             /* 0 or the failed check's vouch_err */
	char error[256];     /* the failed check and why, e.g. "pck.revocation: PCK CRL expired at …" */
	int simulated;       /* the root is not Intel's SGX Root CA */
	int no_collateral;   /* verified without collateral: TCB status unknown */
	vouch_quote quote;   /* the parsed quote (points into the caller's buffer) when decoding succeeded */
	vouch_tcb_result status;   /* final: platform merged with QE */
	vouch_tcb_result platform; /* TCB level, TDX module status merged in */
	vouch_tcb_result qe;
	int have_pck;        /* the PCK fields below are filled */
	uint8_t ppid[16], fmspc[6], pceid[2], cpusvn[16];
	uint16_t pcesvn;
	int64_t collateral_expiry; /* earliest nextUpdate of the collateral used, 0 if none */
	vouch_check checks[VOUCH_CHECK_COUNT];
	/* A quote is not a unique byte string: ECDSA (r, s) and (r, n−s) both verify, and vouch accepts either on
	 * the quote, the QE report and the TCB info / QE identity signatures, as Intel's libraries and dcap-qvl do;
	 * the certification data around the signed part can differ too. Whoever deduplicates quotes must not key
	 * on their bytes: quote_id = SHA-256 of the signed part (header ‖ [v5 descriptor] ‖ body) is the same
	 * for every such variant. Set once the quote decodes (have_quote_id). */
	int have_quote_id;
	uint8_t quote_id[32];
} vouch_verdict;

#define VOUCH_ALLOW_DEBUG 0x1      /* accept a debug enclave or TD (never a debug QE) */
#define VOUCH_ALLOW_SERVICE_TD 0x2 /* accept a non-zero MRSERVICETD (TD 1.5) */

typedef struct vouch_verify_opts {
	const uint8_t *root_der; /* NULL: Intel SGX Root CA */
	size_t root_der_len;
	unsigned flags;          /* VOUCH_ALLOW_* */
} vouch_verify_opts;

/* Verifies a binary quote against collateral at time now (Unix seconds). opts may be NULL (Intel root,
 * no allowances). coll NULL means "no collateral": the quote signature, QE report and PCK chain to the
 * root are verified; CRLs, TCB info, QE identity and TCB matching are marked skipped and the status is
 * Unknown (verdict->no_collateral = 1).
 *
 * Fills *out completely in every case and returns out->err (0 when out->ok). The quote buffer must
 * outlive out->quote. */
int vouch_verify(vouch_verdict *out, const vouch_verify_opts *opts, vouch_collateral *coll, const uint8_t *quote,
		 size_t quote_len, int64_t now);

/* vouch_verify with a fresh handle for this one call: a cold verification, every signature checked.
 * Thread-safe: each thread reuses one scratch allocation, emptied for every call. */
int vouch_verify_with(vouch_verdict *out, const vouch_verify_opts *opts, const vouch_collateral_src *src,
		      const uint8_t *quote, size_t quote_len, int64_t now);

/* The embedded Intel SGX Root CA (DER) and its pinned SHA-256. */
extern const uint8_t vouch_intel_root_der[];
extern const size_t vouch_intel_root_der_len;
extern const uint8_t vouch_intel_root_sha256[32];

/* Number of P-256 signature verifications this process has made (for benchmarks). */
uint64_t vouch_p256_verify_count(void);

/* The verdict as one JSON object (malloc'd, NUL-terminated; free()). Fields: ok, error, error_code,
 * status, advisory_ids, tee, version, simulated, quote_id, report_data, measurements, platform_status,
 * qe_status, ppid, fmspc, checks. NULL when out of memory. */
char *vouch_verdict_json(const vouch_verdict *v);

#ifdef __cplusplus
}
#endif
#endif
