/* vouch — application keys as dstack derives them, and the signatures made with them.
 *
 * dstack v0 (spec ../shared/specs/dstack-guest-api.md §8): every key of an app comes from its root secret
 * (`k256_key`) by HKDF-SHA256 with salt "RATLS" and the path as info; a key's "signature chain" proves it
 * came from that root: link0 is a recoverable secp256k1 signature by the root over keccak256(purpose ":"
 * hex(pub)), link1 the KMS's signature over the root (passed through). Everything here is byte-identical to
 * dstack, so the same root gives the same keys and chains.
 *
 * Secrets: outputs that hold private keys say so; wipe them with vouch_wipe() when done. Nothing here logs.
 */
#ifndef VOUCH_KEYS_H
#define VOUCH_KEYS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vouch_key_alg {
	VOUCH_ALG_SECP256K1 = 1,
	VOUCH_ALG_ED25519 = 2,
	VOUCH_ALG_SECP256K1_PREHASHED = 3, /* Sign/Verify only: data is the 32-byte digest */
} vouch_key_alg;

/* dstack's algorithm names: "" and "k256" mean secp256k1; "secp256k1_prehashed" only when allow_prehashed.
 * Returns 0 or VOUCH_E_ARG ("Unsupported algorithm"). */
int vouch_key_alg_parse(vouch_key_alg *out, const char *name, size_t len, int allow_prehashed);

/* RFC 5869 HKDF-SHA256. Returns 0 or VOUCH_E_CRYPTO. */
int vouch_hkdf_sha256(uint8_t *out, size_t out_len, const void *salt, size_t salt_len, const void *ikm,
		      size_t ikm_len, const void *info, size_t info_len);

/* Keccak-256 as Ethereum uses it (original padding, not SHA3-256). */
void vouch_keccak256(uint8_t out[32], const void *p, size_t n);
/* EIP-191 personal_sign's digest of a message: keccak256("\x19Ethereum Signed Message:\n" ‖ decimal length ‖
 * message). Returns 0 or VOUCH_E_NOMEM. */
int vouch_eip191_digest(uint8_t out[32], const void *msg, size_t len);
/* Keccak with 256-, 384- or 512-bit output (out_len 32, 48 or 64); other lengths write nothing. */
void vouch_keccak(uint8_t *out, size_t out_len, const void *p, size_t n);

typedef struct vouch_derived_key {
	uint8_t key[32];     /* SECRET: secp256k1 scalar (big-endian) or Ed25519 seed */
	uint8_t pub[33];     /* secp256k1: SEC1 compressed; Ed25519: the first 32 bytes */
	size_t pub_len;      /* 33 or 32 */
	uint8_t link0[65];   /* r ‖ s ‖ v (v = recovery id 0/1) by the root over keccak256(purpose ":" hex(pub)) */
} vouch_derived_key;

/* GetKey (v0). root is the app's 32-byte k256_key. The derivation uses only the path; purpose enters
 * only the claim that link0 signs (as in dstack). Returns 0, VOUCH_E_ARG (bad algorithm) or
 * VOUCH_E_CRYPTO (a derived scalar outside the curve order: probability 2^-128). */
int vouch_get_key(vouch_derived_key *out, const uint8_t root[32], const char *path, size_t path_len,
		  const char *purpose, size_t purpose_len, vouch_key_alg alg);

/* A signature with a derived key (dstack Sign): Ed25519 over data (64 bytes); secp256k1 ECDSA over
 * SHA-256(data), or over data itself when prehashed (which must then be 32 bytes), RFC 6979, low-S, r ‖ s
 * (64 bytes). sig holds 64 bytes. Returns 0, VOUCH_E_ARG (prehashed data not 32 bytes) or VOUCH_E_CRYPTO. */
int vouch_key_sign(uint8_t sig[64], const vouch_derived_key *k, vouch_key_alg alg, const uint8_t *data, size_t len);

/* An Ed25519 key made ready once for many signatures: making OpenSSL's key from the seed costs a scalar
 * multiplication, as much as the signature itself. Reference counted; signing with one key from several threads
 * at once is safe. vouch_ed25519_key_new gives NULL when out of memory. */
typedef struct vouch_ed25519_key vouch_ed25519_key;
vouch_ed25519_key *vouch_ed25519_key_new(const uint8_t seed[32]);
vouch_ed25519_key *vouch_ed25519_key_ref(vouch_ed25519_key *k);
void vouch_ed25519_key_free(vouch_ed25519_key *k); /* drops one reference; NULL is allowed */
/* The same signature as vouch_key_sign with the seed. Returns 0 or VOUCH_E_CRYPTO. */
int vouch_ed25519_sign(uint8_t sig[64], const vouch_ed25519_key *k, const uint8_t *data, size_t len);

/* dstack Verify: Ed25519 with a 32-byte key; secp256k1 with a compressed or uncompressed key and a 64-byte
 * r ‖ s, high-S refused. Returns 1 valid, 0 invalid, VOUCH_E_ARG for a malformed key or signature. */
int vouch_key_verify(vouch_key_alg alg, const uint8_t *pub, size_t pub_len, const uint8_t *sig, size_t sig_len,
		     const uint8_t *data, size_t len);

/* secp256k1 public key (compressed) → the Ethereum address: keccak256 of the uncompressed X ‖ Y, last 20
 * bytes. Returns 0 or VOUCH_E_ARG. */
int vouch_eth_address(uint8_t out[20], const uint8_t *pub, size_t pub_len);
/* "0x" + EIP-55 mixed-case checksum hex; out holds 43 bytes. */
void vouch_eth_address_text(char out[43], const uint8_t addr[20]);
/* Base58 (Bitcoin alphabet) of n bytes into out (cap bytes, NUL-terminated). Returns 0 or VOUCH_E_LIMIT. */
int vouch_base58(char *out, size_t cap, const uint8_t *p, size_t n);

/* A recoverable secp256k1 signature r ‖ s ‖ v (v = recovery id 0/1; RFC 6979, low-S) with a 32-byte secret key
 * over a 32-byte digest. Returns 0 or VOUCH_E_CRYPTO (an invalid key). */
int vouch_secp256k1_sign_recoverable(uint8_t sig[65], const uint8_t key[32], const uint8_t digest[32]);

/* Recovers the signer of a recoverable secp256k1 signature (r ‖ s ‖ v, v 0/1 or 27/28) over a 32-byte
 * digest, as a compressed key. Returns 0 or VOUCH_E_ARG (malformed) / VOUCH_E_CRYPTO (no key recovers). */
int vouch_secp256k1_recover(uint8_t pub[33], const uint8_t sig[65], const uint8_t digest[32]);

#ifdef __cplusplus
}
#endif
#endif
