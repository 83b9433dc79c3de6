/* OpenSSL glue. Keys are built from raw points through a parameters-only template: OpenSSL 3's decoder
 * path (d2i_PUBKEY) costs two to three signature verifications per key, the template ~5 µs. */
#include <pthread.h>
#include <stdatomic.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "crypto.h"
#include "vouch/dcap.h"

static EVP_PKEY *p256_template;
static pthread_once_t template_once = PTHREAD_ONCE_INIT;
static atomic_ullong verify_count;

static void make_template(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx && EVP_PKEY_paramgen_init(ctx) == 1 && EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1)
		EVP_PKEY_paramgen(ctx, &p256_template);
	EVP_PKEY_CTX_free(ctx);
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

int p256_verify_der(const uint8_t pub[static 65], const uint8_t digest[static 32], const uint8_t *sig, size_t sig_len)
{
	pthread_once(&template_once, make_template);
	atomic_fetch_add_explicit(&verify_count, 1, memory_order_relaxed);
	if (!p256_template)
		return 0;
	int ok = 0;
	EVP_PKEY *key = EVP_PKEY_new();
	EVP_PKEY_CTX *ctx = NULL;
	if (!key || EVP_PKEY_copy_parameters(key, p256_template) != 1 ||
	    EVP_PKEY_set1_encoded_public_key(key, pub, 65) != 1)
		goto out;
	ctx = EVP_PKEY_CTX_new(key, NULL);
	if (ctx && EVP_PKEY_verify_init(ctx) == 1)
		ok = EVP_PKEY_verify(ctx, sig, sig_len, digest, 32) == 1;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
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

int p256_verify_raw(const uint8_t pub[static 65], const uint8_t digest[static 32], const uint8_t rs[static 64])
{
	uint8_t der[72];
	size_t n = ecdsa_raw_to_der(der, rs);
	return p256_verify_der(pub, digest, der, n);
}
