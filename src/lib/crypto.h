/* The few primitives libvouch takes from OpenSSL, behind one small interface. */
#ifndef VOUCH_CRYPTO_H
#define VOUCH_CRYPTO_H

#include "internal.h"

void sha256(uint8_t out[32], const void *p, size_t n);
void sha384(uint8_t out[48], const void *p, size_t n);
void sha512(uint8_t out[64], const void *p, size_t n);

/* Public keys parsed and ready to verify with, keyed by their bytes: a quote's 9 signatures come from 5 keys.
 * The cache holds parsed public keys, never verification results. Not thread-safe. */
#define KEYCACHE_SLOTS 8
typedef struct keycache {
	struct {
		uint8_t pub[65];
		void *key; /* EC_KEY */
	} e[KEYCACHE_SLOTS];
	unsigned n, next;
} keycache;

void keycache_clear(keycache *kc);

/* ECDSA P-256 over a SHA-256 digest. pub is 0x04 ‖ X ‖ Y. The signature is DER (Ecdsa-Sig-Value) or raw
 * r ‖ s (64 bytes, big-endian). kc may be NULL. Returns 1 valid, 0 invalid (including a key not on the
 * curve). High-S signatures are accepted, as in every DCAP verifier. Each call counts one verification
 * for the benchmark's floor (vouch_p256_verify_count). */
int p256_verify_der(keycache *kc, const uint8_t pub[static 65], const uint8_t digest[static 32], const uint8_t *sig,
		    size_t sig_len);
int p256_verify_raw(keycache *kc, const uint8_t pub[static 65], const uint8_t digest[static 32],
		    const uint8_t rs[static 64]);

/* Raw r ‖ s to DER Ecdsa-Sig-Value: leading zeros stripped, 0x00 added before a set top bit, zero as
 * 02 01 00. out holds 72 bytes. */
size_t ecdsa_raw_to_der(uint8_t out[static 72], const uint8_t rs[static 64]);

#endif
