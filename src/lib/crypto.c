/* OpenSSL glue.
 *
 * P-256 keys go through OpenSSL's EC_KEY interface, deprecated in 3.0 but present throughout 3.x: building
 * a key from a raw point costs ~2.5 µs there against ~10 µs on the EVP path (provider fetches for the key
 * manager and the signature method on every context) — a sixth of a verification, per key. Both paths
 * run the same P-256 code; the benchmark's floor is measured on the faster of the two. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <pthread.h>
#include <stdatomic.h>

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>

#include "crypto.h"
#include "vouch/dcap.h"

static EC_GROUP *p256;
static pthread_once_t group_once = PTHREAD_ONCE_INIT;
static atomic_ullong verify_count;

static void make_group(void)
{
	p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
}

void sha256(uint8_t out[32], const void *p, size_t n)
{
	SHA256(p, n, out);
}

void sha384(uint8_t out[48], const void *p, size_t n)
{
	SHA384(p, n, out);
}

void sha512(uint8_t out[64], const void *p, size_t n)
{
	SHA512(p, n, out);
}

uint64_t vouch_p256_verify_count(void)
{
	return atomic_load_explicit(&verify_count, memory_order_relaxed);
}

/* A key for a raw point, or NULL (not on the curve, out of memory). */
static EC_KEY *make_key(const uint8_t pub[65])
{
	pthread_once(&group_once, make_group);
	EC_KEY *key = p256 ? EC_KEY_new() : NULL;
	if (key && (EC_KEY_set_group(key, p256) != 1 || EC_KEY_oct2key(key, pub, 65, NULL) != 1)) {
		EC_KEY_free(key);
		key = NULL;
	}
	return key;
}

void keycache_clear(keycache *kc)
{
	for (unsigned i = 0; i < kc->n; i++)
		EC_KEY_free(kc->e[i].key);
	kc->n = kc->next = 0;
}

int p256_verify_der(keycache *kc, const uint8_t pub[static 65], const uint8_t digest[static 32], const uint8_t *sig,
		    size_t sig_len)
{
	atomic_fetch_add_explicit(&verify_count, 1, memory_order_relaxed);
	EC_KEY *key = NULL;
	for (unsigned i = 0; kc && i < kc->n && !key; i++)
		if (memcmp(kc->e[i].pub, pub, 65) == 0)
			key = kc->e[i].key;
	int cached = key != NULL;
	if (!key && !(key = make_key(pub)))
		return 0;
	/* ECDSA_verify re-encodes the DER it parsed and refuses anything that is not exactly that */
	int ok = sig_len <= INT32_MAX && ECDSA_verify(0, digest, 32, sig, (int)sig_len, key) == 1;
	if (!cached && kc) {
		unsigned slot;
		if (kc->n < KEYCACHE_SLOTS) {
			slot = kc->n++;
		} else { /* full: replace the oldest */
			slot = kc->next;
			kc->next = (kc->next + 1) % KEYCACHE_SLOTS;
			EC_KEY_free(kc->e[slot].key);
		}
		memcpy(kc->e[slot].pub, pub, 65);
		kc->e[slot].key = key;
	} else if (!cached) {
		EC_KEY_free(key);
	}
	return ok;
}

static size_t der_int(uint8_t *out, const uint8_t *v)
{
	size_t i = 0;
	while (i < 31 && v[i] == 0)
		i++;
	size_t n = 32 - i, pad = v[i] & 0x80 ? 1 : 0;
	out[0] = 0x02;
	out[1] = (uint8_t)(n + pad);
	out[2] = 0;
	memcpy(out + 2 + pad, v + i, n);
	return 2 + pad + n;
}

size_t ecdsa_raw_to_der(uint8_t out[static 72], const uint8_t rs[static 64])
{
	size_t n = der_int(out + 2, rs);
	n += der_int(out + 2 + n, rs + 32);
	out[0] = 0x30;
	out[1] = (uint8_t)n;
	return n + 2;
}

int p256_verify_raw(keycache *kc, const uint8_t pub[static 65], const uint8_t digest[static 32],
		    const uint8_t rs[static 64])
{
	uint8_t der[72];
	size_t n = ecdsa_raw_to_der(der, rs);
	return p256_verify_der(kc, pub, digest, der, n);
}
