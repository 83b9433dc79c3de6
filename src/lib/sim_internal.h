/* The simulated platform's internals, shared by sim.c (PKI, collateral) and sim_quote.c (quotes), and
 * reachable by tests that need to sign their own variants. */
#ifndef VOUCH_SIM_INTERNAL_H
#define VOUCH_SIM_INTERNAL_H

#include <openssl/evp.h>

#include "internal.h"
#include "vouch/sim.h"

#include <openssl/x509.h>

enum sim_key { SIM_KEY_ROOT, SIM_KEY_CA, SIM_KEY_PCK, SIM_KEY_TCB, SIM_KEY_ATT, SIM_KEYS };
enum sim_cert { SIM_CERT_ROOT, SIM_CERT_CA, SIM_CERT_PCK, SIM_CERT_TCB, SIM_CERTS };

struct vouch_sim {
	vouch_sim_config cfg;
	char advisories[512];
	EVP_PKEY *keys[SIM_KEYS];
	X509 *certs[SIM_CERTS];
	uint8_t *root_der;
	size_t root_der_len;
	char *pck_chain_pem;     /* leaf, PCK CA, root: what quotes carry */
	char *ca_chain_pem;      /* PCK CA, root: the PCK CRL issuer chain */
	char *tcb_chain_pem;     /* TCB signing, root */
	uint8_t att_pub[64];     /* the QE's attestation key, X ‖ Y */
	uint8_t qe_mrsigner[32];
	uint8_t ppid[16];
};

/* Derives what a loaded or new simulator serves (root DER, PEM chains, attestation public key). */
int sim_finish(vouch_sim *s);

/* A v2 CRL by issuer, issued at now − 30 minutes, next update now + 30 days, optionally revoking one serial;
 * and its DER (malloc'd). */
X509_CRL *sim_make_crl(X509 *issuer, EVP_PKEY *key, int64_t now, const ASN1_INTEGER *revoke);
uint8_t *sim_der_of_crl(X509_CRL *c, size_t *n);

/* ECDSA P-256 over SHA-256(msg) with one of the simulator's keys, as raw r ‖ s. Returns 0 or VOUCH_E_CRYPTO. */
int sim_sign(const vouch_sim *s, enum sim_key key, const void *msg, size_t n, uint8_t rs[64]);

/* The TCB info and QE identity texts the simulator signs (malloc'd). */
char *sim_tcb_info_text(const vouch_sim *s, int tdx);
char *sim_qe_identity_text(const vouch_sim *s, int tdx);

/* Collateral whose TCB info / QE identity are the given texts (NULL: the simulator's), signed by the TCB
 * signing key. */
int sim_collateral_with(vouch_collateral_src *out, const vouch_sim *s, int tdx, const char *tcb_info,
			const char *qe_identity);

/* Signs a quote again with the attestation key after its header or body was edited. */
int sim_resign_quote(const vouch_sim *s, uint8_t *quote, size_t len);

#endif
