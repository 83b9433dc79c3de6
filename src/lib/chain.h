/* Certificate path validation with CRL revocation, as webpki does it for dcap-qvl (spec §2 step 4 rules),
 * and the cache of signatures already verified. */
#ifndef VOUCH_CHAIN_H
#define VOUCH_CHAIN_H

#include "crypto.h"
#include "x509.h"

#define SIGCACHE_SLOTS 16
#define CHAIN_MAX_CERTS 8
#define CHAIN_MAX_DER 8192

/* Successful verifications, keyed by SHA-256(public key ‖ message digest ‖ signature). A hit means this
 * exact signature over this exact message verified under this exact key before. */
typedef struct sigcache {
	uint8_t key[SIGCACHE_SLOTS][32];
	unsigned n, next;
} sigcache;

/* Verifies sig (DER) over msg with pub. With a signature cache, a hit skips the verification and a success
 * is remembered; keys come from kc when given. Returns 1 valid, 0 invalid. */
int sig_verify(sigcache *cache, keycache *kc, const uint8_t pub[static 65], span msg, span sig);

/* A PEM chain decoded and parsed. */
typedef struct cert_chain {
	cert certs[CHAIN_MAX_CERTS];
	size_t n;
	uint8_t der[CHAIN_MAX_DER];
} cert_chain;

/* Decodes and parses every certificate of a PEM text. Returns 0, VOUCH_E_CHAIN_TOO_SHORT (none),
 * VOUCH_E_CHAIN_TOO_LONG, a PEM/base64 error or a certificate parse error, with a message. */
int chain_load(cert_chain *out, const char *pem, size_t len, char *msg, size_t cap);

typedef struct chain_ctx {
	const cert *anchor;
	const crl *crls[2];   /* candidate CRLs, matched by issuer name; NULL entries are ignored */
	int64_t now;
	sigcache *cache;      /* for signatures that belong to collateral (may be NULL) */
	int cache_leaf;       /* the leaf is collateral too (TCB signing chain); a PCK leaf is per quote */
	keycache *keys;       /* parsed public keys (may be NULL) */
	const char *what;     /* "PCK", "TCB Info", "QE Identity": for messages */
	char *msg;
	size_t cap;
	const cert *path[CHAIN_MAX_CERTS]; /* filled by chain_verify: leaf first, anchor excluded */
	size_t path_len;
} chain_ctx;

/* Builds and checks a path from chain->certs[0] through the other certificates to cx->anchor: names,
 * signatures, validity at cx->now, basic constraints, EKU. Signatures go through cx->cache, the leaf's only
 * when cx->cache_leaf. Returns 0 or a VOUCH_E_CERT_* error with a message. */
int chain_verify(chain_ctx *cx, const cert_chain *chain);

/* Revocation of every certificate on the path built by chain_verify: a CRL from its issuer must exist,
 * verify, be current (now < nextUpdate) and not list it. Returns 0 or a VOUCH_E_CRL_* / VOUCH_E_CERT_REVOKED
 * error with a message. */
int chain_revocation(chain_ctx *cx);

/* The anchor itself against the CRLs (spec step 0): its issuer's CRL must verify under its key, be current
 * and not list it. */
int anchor_revocation(chain_ctx *cx);

/* The CN of a Name, for messages ("Intel SGX PCK Platform CA"); "?" when absent. */
void name_cn(char *out, size_t cap, span name);

#endif
