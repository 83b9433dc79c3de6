/* DER, X.509 certificates, CRLs, PEM and certificate chains — the subset DCAP needs, parsed without
 * allocation into structures that point into the caller's DER. Only ECDSA P-256 with SHA-256 exists in
 * Intel's PKI, so it is the only algorithm accepted. Rules follow webpki (dcap-qvl's X.509 engine): v3
 * certificates, v2 CRLs with nextUpdate, unknown critical extensions rejected, names compared byte for byte. */
#ifndef VOUCH_X509_H
#define VOUCH_X509_H

#include "internal.h"

/* DER universal tags used here */
#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_ENUMERATED 0x0a
#define DER_UTF8 0x0c
#define DER_UTC_TIME 0x17
#define DER_GEN_TIME 0x18
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_CTX(n) (0xa0 | (n)) /* [n] constructed, context-specific */

/* Reads one TLV whose tag must be `tag`; *content gets the value bytes. DER only: single-byte tags,
 * definite minimal lengths. Errors are sticky in r (VOUCH_E_DER). Returns 0 or the error. */
int der_read(rd *r, uint8_t tag, span *content);
/* The same, also returning the whole TLV (tag and length included). */
int der_read_tlv(rd *r, uint8_t tag, span *content, span *whole);
/* The next tag, or -1 at the end. */
int der_peek(const rd *r);
/* A DER INTEGER's content as an unsigned value of at most 8 bytes. */
int der_uint(span content, uint64_t *out);
/* UTCTime or GeneralizedTime ("Z" form, seconds present) to Unix seconds. */
int der_time(rd *r, int64_t *out);

/* Key usage bits as numbered by RFC 5280 §4.2.1.3 */
#define KU_DIGITAL_SIGNATURE 0x001
#define KU_KEY_CERT_SIGN 0x020
#define KU_CRL_SIGN 0x040

typedef struct cert {
	span der;        /* the whole certificate */
	span tbs;        /* TBSCertificate TLV: what the signature covers */
	span sig;        /* Ecdsa-Sig-Value DER */
	span serial;     /* INTEGER content */
	span issuer;     /* Name TLV */
	span subject;    /* Name TLV */
	int64_t not_before, not_after;
	const uint8_t *pub; /* 65 bytes: 0x04 ‖ X ‖ Y */
	int is_ca;
	int path_len;    /* -1 when unconstrained */
	int has_key_usage;
	unsigned key_usage;
	int has_eku;
	int eku_server_auth; /* id-kp-serverAuth listed */
	span sgx_ext;    /* value of the Intel SGX extension (1.2.840.113741.1.13.1), empty if absent */
	span spki;       /* SubjectPublicKeyInfo TLV */
	span exts;       /* content of the [3] extensions field, empty if absent */
} cert;

/* The extnValue (OCTET STRING content) of the extension with this OID (DER content bytes), if present.
 * Returns 1 found, 0 not. */
int cert_find_ext(const cert *c, const uint8_t *oid, size_t oid_len, span *value);

/* Parses a DER certificate. Returns 0, VOUCH_E_DER, VOUCH_E_CERT_PARSE (also: an extension present twice,
 * RFC 5280 §4.2; a second Intel SGX extension is VOUCH_E_PCK_EXTENSION, as in dcap-qvl), VOUCH_E_CERT_ALGORITHM
 * or VOUCH_E_CERT_CRITICAL_EXT. *out points into der. */
int cert_parse(cert *out, const uint8_t *der, size_t len);

typedef struct crl {
	span der;
	span tbs;
	span sig;
	span issuer;     /* Name TLV */
	int64_t this_update, next_update;
	span revoked;    /* content of revokedCertificates (already validated), empty if none */
	size_t n_revoked;
	int has_idp;     /* an issuing distribution point: not supported, so the CRL covers nothing */
} crl;

/* Parses a DER CRL under webpki's profile: v2, nextUpdate and crlExtensions present, no delta CRL, no
 * indirect entries, no unknown critical extension (CRL or entry). Returns 0, VOUCH_E_DER or VOUCH_E_CRL_PARSE. */
int crl_parse(crl *out, const uint8_t *der, size_t len);
/* 1 if the serial (INTEGER content bytes) is listed. */
int crl_lists(const crl *c, span serial);

/* PEM: the next "CERTIFICATE" block at or after *pos, decoded into out. Returns 1 when a block was decoded,
 * 0 at the end (only whitespace or NUL bytes left), or VOUCH_E_PEM / VOUCH_E_BASE64 / VOUCH_E_LIMIT. */
int pem_next(const char **pos, const char *end, uint8_t *out, size_t cap, size_t *out_len);

/* Intel SGX extension of a PCK certificate (spec §2 step 4 table). */
typedef struct sgx_ext {
	uint8_t ppid[16];
	uint8_t cpusvn[16];  /* the TCB's CPUSVN octet string: the SGX components used for matching */
	uint8_t comp_svn[16]; /* the TCB's COMP01..16 INTEGERs (reported, not used for matching) */
	uint16_t pcesvn;
	uint8_t pceid[2];
	uint8_t fmspc[6];
	int sgx_type;
	int has_platform_instance_id;
	uint8_t platform_instance_id[16];
} sgx_ext;

/* Parses the value of the SGX extension. Returns 0 or VOUCH_E_PCK_EXTENSION. */
int sgx_ext_parse(sgx_ext *out, span value);

#endif
