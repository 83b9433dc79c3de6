/* dstack key derivation, signature chains, Sign/Verify, and the address encodings of the derived keys.
 * secp256k1 comes from libsecp256k1 (RFC 6979 nonces, low-S), Keccak's permutation from nettle, HKDF and
 * Ed25519 from OpenSSL. Spec: dstack-guest-api.md §8.3–§8.6. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <nettle/sha3.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/sha.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "internal.h"
#include "vouch/keys.h"
#include "vouch/util.h"

static secp256k1_context *ctx;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void make_ctx(void)
{
	ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	uint8_t seed[32];
	/* blinding against side channels; any fresh bytes will do */
	FILE *f = fopen("/dev/urandom", "rbe");
	if (ctx && f && fread(seed, 1, sizeof seed, f) == sizeof seed && !secp256k1_context_randomize(ctx, seed))
		abort();
	if (f)
		fclose(f);
	vouch_wipe(seed, sizeof seed);
}

static const secp256k1_context *k1(void)
{
	pthread_once(&ctx_once, make_ctx);
	return ctx;
}

int vouch_key_alg_parse(vouch_key_alg *out, const char *s, size_t n, int allow_prehashed)
{
	if (n == 0 || (n == 9 && memcmp(s, "secp256k1", 9) == 0) || (n == 4 && memcmp(s, "k256", 4) == 0))
		*out = VOUCH_ALG_SECP256K1;
	else if (n == 7 && memcmp(s, "ed25519", 7) == 0)
		*out = VOUCH_ALG_ED25519;
	else if (allow_prehashed && n == 19 && memcmp(s, "secp256k1_prehashed", 19) == 0)
		*out = VOUCH_ALG_SECP256K1_PREHASHED;
	else
		return VOUCH_E_ARG;
	return 0;
}

int vouch_hkdf_sha256(uint8_t *out, size_t out_len, const void *salt, size_t salt_len, const void *ikm,
		      size_t ikm_len, const void *info, size_t info_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *k = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[5], *q = p;
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	*q = OSSL_PARAM_construct_end();
	int ok = k && EVP_KDF_derive(k, out, out_len, p) == 1;
	EVP_KDF_CTX_free(k);
	EVP_KDF_free(kdf);
	return ok ? 0 : VOUCH_E_CRYPTO;
}

void vouch_keccak256(uint8_t out[32], const void *data, size_t n)
{
	vouch_keccak(out, 32, data, n);
}

int vouch_eip191_digest(uint8_t out[32], const void *msg, size_t len)
{
	static const char prefix[] = "\x19" "Ethereum Signed Message:\n";
	char head[sizeof prefix + 24];
	int k = snprintf(head, sizeof head, "%s%zu", prefix, len);
	uint8_t *m = malloc((size_t)k + len + 1);
	if (!m)
		return VOUCH_E_NOMEM;
	memcpy(m, head, (size_t)k);
	if (len)
		memcpy(m + k, msg, len);
	vouch_keccak256(out, m, (size_t)k + len);
	free(m);
	return 0;
}

void vouch_keccak(uint8_t *out, size_t out_len, const void *data, size_t n)
{
	/* Keccak[r = 1600 − 2·bits, c = 2·bits] with the original 0x01 padding (SHA-3 pads with 0x06) */
	if (out_len != 32 && out_len != 48 && out_len != 64)
		return;
	const size_t RATE = 200 - 2 * out_len;
	struct sha3_state st;
	uint8_t block[136];
	const uint8_t *p = data;
	memset(&st, 0, sizeof st);
	for (;;) {
		size_t take = n < RATE ? n : RATE;
		memcpy(block, p, take);
		if (take < RATE) {
			memset(block + take, 0, RATE - take);
			block[take] ^= 0x01;
			block[RATE - 1] ^= 0x80;
		}
		for (size_t i = 0; i < RATE / 8; i++)
			st.a[i] ^= le64(block + 8 * i);
		sha3_permute(&st);
		if (take < RATE)
			break;
		p += RATE;
		n -= RATE;
	}
	for (size_t i = 0; i < out_len / 8; i++)
		for (int b = 0; b < 8; b++)
			out[8 * i + b] = (uint8_t)(st.a[i] >> (8 * b));
}

/* The Ed25519 public key of a seed. */
static int ed25519_pub(uint8_t pub[32], const uint8_t seed[32])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	size_t n = 32;
	int ok = k && EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == 32;
	EVP_PKEY_free(k);
	return ok ? 0 : VOUCH_E_CRYPTO;
}

int vouch_secp256k1_sign_recoverable(uint8_t out[65], const uint8_t key[32], const uint8_t digest[32])
{
	secp256k1_ecdsa_recoverable_signature sig;
	int v;
	if (!secp256k1_ecdsa_sign_recoverable(k1(), &sig, digest, key, NULL, NULL) ||
	    !secp256k1_ecdsa_recoverable_signature_serialize_compact(k1(), out, &v, &sig))
		return VOUCH_E_CRYPTO;
	out[64] = (uint8_t)v;
	return 0;
}

int vouch_get_key(vouch_derived_key *out, const uint8_t root[32], const char *path, size_t path_len,
		  const char *purpose, size_t purpose_len, vouch_key_alg alg)
{
	memset(out, 0, sizeof *out);
	if (alg != VOUCH_ALG_SECP256K1 && alg != VOUCH_ALG_ED25519)
		return VOUCH_E_ARG;
	int err = vouch_hkdf_sha256(out->key, 32, "RATLS", 5, root, 32, path, path_len);
	if (err)
		return err;
	if (alg == VOUCH_ALG_SECP256K1) {
		secp256k1_pubkey pk;
		size_t n = 33;
		if (!secp256k1_ec_pubkey_create(k1(), &pk, out->key) ||
		    !secp256k1_ec_pubkey_serialize(k1(), out->pub, &n, &pk, SECP256K1_EC_COMPRESSED))
			err = VOUCH_E_CRYPTO;
		out->pub_len = 33;
	} else {
		err = ed25519_pub(out->pub, out->key);
		out->pub_len = 32;
	}
	/* claim: purpose ":" lowercase-hex(pub) */
	char *claim = err ? NULL : malloc(purpose_len + 1 + 2 * out->pub_len + 1);
	if (!err && !claim)
		err = VOUCH_E_NOMEM;
	if (!err) {
		memcpy(claim, purpose, purpose_len);
		claim[purpose_len] = ':';
		vouch_hex_encode(claim + purpose_len + 1, out->pub, out->pub_len);
		uint8_t digest[32];
		vouch_keccak256(digest, claim, purpose_len + 1 + 2 * out->pub_len);
		err = vouch_secp256k1_sign_recoverable(out->link0, root, digest);
	}
	free(claim);
	if (err)
		vouch_wipe(out, sizeof *out);
	return err;
}

struct vouch_ed25519_key {
	EVP_PKEY *pkey;
	atomic_int refs;
};

vouch_ed25519_key *vouch_ed25519_key_new(const uint8_t seed[32])
{
	vouch_ed25519_key *k = malloc(sizeof *k);
	if (k && !(k->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32))) {
		free(k);
		return NULL;
	}
	if (k)
		atomic_init(&k->refs, 1);
	return k;
}

vouch_ed25519_key *vouch_ed25519_key_ref(vouch_ed25519_key *k)
{
	atomic_fetch_add(&k->refs, 1);
	return k;
}

void vouch_ed25519_key_free(vouch_ed25519_key *k)
{
	if (k && atomic_fetch_sub(&k->refs, 1) == 1) {
		EVP_PKEY_free(k->pkey); /* OpenSSL clears the private key as it frees it */
		free(k);
	}
}

int vouch_ed25519_sign(uint8_t sig[64], const vouch_ed25519_key *k, const uint8_t *data, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = 64;
	int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
		 EVP_DigestSign(md, sig, &n, data, len) == 1 && n == 64;
	EVP_MD_CTX_free(md);
	return ok ? 0 : VOUCH_E_CRYPTO;
}

int vouch_key_sign(uint8_t sig[64], const vouch_derived_key *k, vouch_key_alg alg, const uint8_t *data, size_t len)
{
	if (alg == VOUCH_ALG_ED25519) {
		vouch_ed25519_key *key = vouch_ed25519_key_new(k->key);
		int rc = key ? vouch_ed25519_sign(sig, key, data, len) : VOUCH_E_CRYPTO;
		vouch_ed25519_key_free(key);
		return rc;
	}
	uint8_t digest[32];
	if (alg == VOUCH_ALG_SECP256K1_PREHASHED) {
		if (len != 32)
			return VOUCH_E_ARG;
		memcpy(digest, data, 32);
	} else if (alg == VOUCH_ALG_SECP256K1) {
		SHA256(data, len, digest);
	} else {
		return VOUCH_E_ARG;
	}
	secp256k1_ecdsa_signature s;
	if (!secp256k1_ecdsa_sign(k1(), &s, digest, k->key, NULL, NULL) ||
	    !secp256k1_ecdsa_signature_serialize_compact(k1(), sig, &s))
		return VOUCH_E_CRYPTO;
	return 0;
}

int vouch_key_verify(vouch_key_alg alg, const uint8_t *pub, size_t pub_len, const uint8_t *sig, size_t sig_len,
		     const uint8_t *data, size_t len)
{
	if (alg == VOUCH_ALG_ED25519) {
		if (pub_len != 32 || sig_len != 64)
			return VOUCH_E_ARG;
		EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
		if (!key)
			return VOUCH_E_ARG;
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		int ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1 &&
			 EVP_DigestVerify(md, sig, 64, data, len) == 1;
		EVP_MD_CTX_free(md);
		EVP_PKEY_free(key);
		return ok;
	}
	uint8_t digest[32];
	secp256k1_pubkey pk;
	secp256k1_ecdsa_signature s;
	if (sig_len != 64 || !secp256k1_ec_pubkey_parse(k1(), &pk, pub, pub_len) ||
	    !secp256k1_ecdsa_signature_parse_compact(k1(), &s, sig))
		return VOUCH_E_ARG;
	if (alg == VOUCH_ALG_SECP256K1_PREHASHED) {
		if (len != 32)
			return VOUCH_E_ARG;
		memcpy(digest, data, 32);
	} else {
		SHA256(data, len, digest);
	}
	/* libsecp256k1 refuses high-S signatures, as dstack's verifier does */
	return secp256k1_ecdsa_verify(k1(), &s, digest, &pk) == 1;
}

int vouch_eth_address(uint8_t out[20], const uint8_t *pub, size_t pub_len)
{
	secp256k1_pubkey pk;
	uint8_t full[65], h[32];
	size_t n = 65;
	if (!secp256k1_ec_pubkey_parse(k1(), &pk, pub, pub_len) ||
	    !secp256k1_ec_pubkey_serialize(k1(), full, &n, &pk, SECP256K1_EC_UNCOMPRESSED))
		return VOUCH_E_ARG;
	vouch_keccak256(h, full + 1, 64);
	memcpy(out, h + 12, 20);
	return 0;
}

void vouch_eth_address_text(char out[43], const uint8_t addr[20])
{
	char hex[41];
	uint8_t h[32];
	vouch_hex_encode(hex, addr, 20);
	vouch_keccak256(h, hex, 40);
	out[0] = '0', out[1] = 'x';
	for (int i = 0; i < 40; i++) {
		int nibble = (h[i / 2] >> (i % 2 ? 0 : 4)) & 15;
		out[2 + i] = hex[i] >= 'a' && nibble >= 8 ? (char)(hex[i] - 32) : hex[i]; /* EIP-55 */
	}
	out[42] = 0;
}

int vouch_base58(char *out, size_t cap, const uint8_t *p, size_t n)
{
	static const char ALPHABET[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	uint8_t digits[128]; /* base-58 digits, least significant first; 128 covers 93 input bytes */
	size_t nd = 0, zeros = 0;
	if (n > 90)
		return VOUCH_E_LIMIT;
	while (zeros < n && p[zeros] == 0)
		zeros++;
	for (size_t i = zeros; i < n; i++) {
		unsigned carry = p[i];
		for (size_t k = 0; k < nd; k++) {
			carry += (unsigned)digits[k] << 8;
			digits[k] = (uint8_t)(carry % 58);
			carry /= 58;
		}
		while (carry) {
			digits[nd++] = (uint8_t)(carry % 58);
			carry /= 58;
		}
	}
	if (zeros + nd + 1 > cap)
		return VOUCH_E_LIMIT;
	size_t o = 0;
	for (size_t i = 0; i < zeros; i++)
		out[o++] = '1';
	while (nd)
		out[o++] = ALPHABET[digits[--nd]];
	out[o] = 0;
	return 0;
}

int vouch_secp256k1_recover(uint8_t pub[33], const uint8_t sig[65], const uint8_t digest[32])
{
	int v = sig[64] >= 27 ? sig[64] - 27 : sig[64];
	secp256k1_ecdsa_recoverable_signature s;
	secp256k1_pubkey pk;
	size_t n = 33;
	if (v < 0 || v > 3 || !secp256k1_ecdsa_recoverable_signature_parse_compact(k1(), &s, sig, v))
		return VOUCH_E_ARG;
	if (!secp256k1_ecdsa_recover(k1(), &pk, &s, digest) ||
	    !secp256k1_ec_pubkey_serialize(k1(), pub, &n, &pk, SECP256K1_EC_COMPRESSED))
		return VOUCH_E_CRYPTO;
	return 0;
}
