/* dstack key derivation and signatures: the spec's GetKey vector, known-answer tests for the primitives
 * (RFC 5869 HKDF, Keccak-256, Ethereum addresses, Base58), and Sign/Verify round trips and refusals. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <secp256k1.h>

#include "internal.h"
#include "test.h"
#include "vouch/keys.h"
#include "vouch/util.h"

static const char ROOT_HEX[] = "d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d";

static void root(uint8_t r[32])
{
	size_t n;
	if (vouch_hex_decode(r, 32, &n, ROOT_HEX, 64) || n != 32)
		abort();
}

static void hkdf_rfc5869_case_1(void)
{
	uint8_t ikm[22], salt[13], info[10], okm[42];
	memset(ikm, 0x0b, sizeof ikm);
	for (int i = 0; i < 13; i++)
		salt[i] = (uint8_t)i;
	for (int i = 0; i < 10; i++)
		info[i] = (uint8_t)(0xf0 + i);
	CHECK_OK(vouch_hkdf_sha256(okm, sizeof okm, salt, sizeof salt, ikm, sizeof ikm, info, sizeof info));
	CHECK_HEX(okm, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

static void keccak256_known_answers(void)
{
	uint8_t h[32];
	vouch_keccak256(h, "", 0);
	CHECK_HEX(h, 32, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
	vouch_keccak256(h, "abc", 3);
	CHECK_HEX(h, 32, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
	/* across the 136-byte rate boundary: 200 'a's */
	char a[200];
	memset(a, 'a', sizeof a);
	vouch_keccak256(h, a, 136);
	uint8_t h2[32];
	vouch_keccak256(h2, a, 137);
	CHECK(memcmp(h, h2, 32) != 0);
}

static void get_key_matches_the_dstack_vector(void)
{
	uint8_t r[32];
	root(r);
	vouch_derived_key k;
	CHECK_OK(vouch_get_key(&k, r, "/", 1, "test", 4, VOUCH_ALG_SECP256K1));
	CHECK_HEX(k.key, 32, "f6c1ed94488394d78e0a4e5ab75d62e9f085d73b0b555d0614fb90ca13d9464d");
	CHECK_INT(k.pub_len, 33);
	CHECK_HEX(k.pub, 33, "026b694842460eff475d4e4b36a908c4ca05db27fe54bd7fb5db31c367a52ef211");
	CHECK_HEX(k.link0, 65, "0b0fa470162c54f108850d143442c48d43f1cc42983b8e9c589679345b831d2b5bb5b97b21c2d2d036520209deae8b6111318c68eafc786190d6edc52e5cf0c201");
	vouch_wipe(&k, sizeof k);
}

/* link0 recovers to the root's public key over keccak256(purpose ":" hex(pub)) */
static int chain_ok(const vouch_derived_key *k, const char *purpose, const uint8_t root_pub[33])
{
	char claim[256], hex[67];
	vouch_hex_encode(hex, k->pub, k->pub_len);
	snprintf(claim, sizeof claim, "%s:%s", purpose, hex);
	uint8_t d[32], rec[33];
	vouch_keccak256(d, claim, strlen(claim));
	return vouch_secp256k1_recover(rec, k->link0, d) == 0 && memcmp(rec, root_pub, 33) == 0;
}

static void chains_recover_the_root_for_both_curves(void)
{
	uint8_t r[32], root_pub[33];
	root(r);
	secp256k1_context *c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	secp256k1_pubkey pk;
	size_t n = 33;
	CHECK(secp256k1_ec_pubkey_create(c, &pk, r) && secp256k1_ec_pubkey_serialize(c, root_pub, &n, &pk, SECP256K1_EC_COMPRESSED));
	secp256k1_context_destroy(c);
	vouch_derived_key s, e, empty;
	CHECK_OK(vouch_get_key(&s, r, "/", 1, "test", 4, VOUCH_ALG_SECP256K1));
	CHECK_OK(vouch_get_key(&e, r, "/", 1, "test", 4, VOUCH_ALG_ED25519));
	CHECK(memcmp(s.key, e.key, 32) == 0); /* the same 32 bytes serve both curves (dstack GHSA-3c96-gf32-2368) */
	CHECK_INT(e.pub_len, 32);
	CHECK(chain_ok(&s, "test", root_pub));
	CHECK(chain_ok(&e, "test", root_pub));
	CHECK(!chain_ok(&s, "other", root_pub));
	CHECK_OK(vouch_get_key(&empty, r, "", 0, "", 0, VOUCH_ALG_SECP256K1));
	CHECK(memcmp(empty.key, s.key, 32) != 0);
	CHECK(chain_ok(&empty, "", root_pub));
	CHECK_ERR(vouch_get_key(&empty, r, "/", 1, "", 0, VOUCH_ALG_SECP256K1_PREHASHED), VOUCH_E_ARG);
}

static void algorithm_names_as_dstack_accepts_them(void)
{
	vouch_key_alg a;
	CHECK_OK(vouch_key_alg_parse(&a, "", 0, 0));
	CHECK_INT(a, VOUCH_ALG_SECP256K1);
	CHECK_OK(vouch_key_alg_parse(&a, "k256", 4, 0));
	CHECK_INT(a, VOUCH_ALG_SECP256K1);
	CHECK_OK(vouch_key_alg_parse(&a, "ed25519", 7, 0));
	CHECK_INT(a, VOUCH_ALG_ED25519);
	CHECK_ERR(vouch_key_alg_parse(&a, "secp256k1_prehashed", 19, 0), VOUCH_E_ARG);
	CHECK_OK(vouch_key_alg_parse(&a, "secp256k1_prehashed", 19, 1));
	CHECK_ERR(vouch_key_alg_parse(&a, "rsa", 3, 1), VOUCH_E_ARG);
	CHECK_ERR(vouch_key_alg_parse(&a, "Secp256k1", 9, 1), VOUCH_E_ARG);
}

static void sign_and_verify_every_algorithm(void)
{
	uint8_t r[32], sig[64], digest[32];
	root(r);
	vouch_derived_key s, e;
	CHECK_OK(vouch_get_key(&s, r, "vms", 3, "signing", 7, VOUCH_ALG_SECP256K1));
	CHECK_OK(vouch_get_key(&e, r, "vms", 3, "signing", 7, VOUCH_ALG_ED25519));
	const uint8_t msg[] = "hello vouch";
	CHECK_OK(vouch_key_sign(sig, &s, VOUCH_ALG_SECP256K1, msg, sizeof msg - 1));
	CHECK_INT(vouch_key_verify(VOUCH_ALG_SECP256K1, s.pub, 33, sig, 64, msg, sizeof msg - 1), 1);
	CHECK_INT(vouch_key_verify(VOUCH_ALG_SECP256K1, s.pub, 33, sig, 64, msg, sizeof msg - 2), 0);
	/* RFC 6979: deterministic */
	uint8_t again[64];
	CHECK_OK(vouch_key_sign(again, &s, VOUCH_ALG_SECP256K1, msg, sizeof msg - 1));
	CHECK(memcmp(sig, again, 64) == 0);
	/* high-S is refused: s' = n - s */
	static const uint8_t N[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
				      0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
	uint8_t high[64];
	memcpy(high, sig, 32);
	int borrow = 0;
	for (int i = 31; i >= 0; i--) {
		int d = N[i] - sig[32 + i] - borrow;
		borrow = d < 0;
		high[32 + i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
	CHECK_INT(vouch_key_verify(VOUCH_ALG_SECP256K1, s.pub, 33, high, 64, msg, sizeof msg - 1), 0);
	/* prehashed: the data is the digest, exactly 32 bytes */
	memset(digest, 7, 32);
	CHECK_OK(vouch_key_sign(sig, &s, VOUCH_ALG_SECP256K1_PREHASHED, digest, 32));
	CHECK_INT(vouch_key_verify(VOUCH_ALG_SECP256K1_PREHASHED, s.pub, 33, sig, 64, digest, 32), 1);
	CHECK_ERR(vouch_key_sign(sig, &s, VOUCH_ALG_SECP256K1_PREHASHED, digest, 31), VOUCH_E_ARG);
	/* Ed25519 */
	CHECK_OK(vouch_key_sign(sig, &e, VOUCH_ALG_ED25519, msg, sizeof msg - 1));
	CHECK_INT(vouch_key_verify(VOUCH_ALG_ED25519, e.pub, 32, sig, 64, msg, sizeof msg - 1), 1);
	sig[0] ^= 1;
	CHECK_INT(vouch_key_verify(VOUCH_ALG_ED25519, e.pub, 32, sig, 64, msg, sizeof msg - 1), 0);
	/* malformed keys and signatures are errors, not "invalid" */
	CHECK_ERR(vouch_key_verify(VOUCH_ALG_SECP256K1, s.pub, 32, sig, 64, msg, 3), VOUCH_E_ARG);
	CHECK_ERR(vouch_key_verify(VOUCH_ALG_SECP256K1, s.pub, 33, sig, 63, msg, 3), VOUCH_E_ARG);
	CHECK_ERR(vouch_key_verify(VOUCH_ALG_ED25519, e.pub, 31, sig, 64, msg, 3), VOUCH_E_ARG);
	uint8_t bad[33] = {0x02};
	memset(bad + 1, 0xff, 32); /* x beyond the field: not a point */
	CHECK_ERR(vouch_key_verify(VOUCH_ALG_SECP256K1, bad, 33, sig, 64, msg, 3), VOUCH_E_ARG);
	vouch_wipe(&s, sizeof s);
	vouch_wipe(&e, sizeof e);
}

struct signing {
	vouch_ed25519_key *k;
	uint8_t sig[64];
	int rc;
};

static void *sign_in_thread(void *arg)
{
	struct signing *t = arg;
	for (int i = 0; i < 50 && !t->rc; i++)
		t->rc = vouch_ed25519_sign(t->sig, t->k, (const uint8_t *)"kept", 4);
	vouch_ed25519_key_free(t->k);
	return NULL;
}

static void a_kept_ed25519_key_signs_as_the_seed_does(void)
{
	static const uint8_t root[32] = {9};
	vouch_derived_key e;
	uint8_t once[64], kept[64];
	CHECK_OK(vouch_get_key(&e, root, "gateway/ed25519", 15, "signing", 7, VOUCH_ALG_ED25519));
	CHECK_OK(vouch_key_sign(once, &e, VOUCH_ALG_ED25519, (const uint8_t *)"kept", 4));
	vouch_ed25519_key *k = vouch_ed25519_key_new(e.key);
	CHECK(k != NULL);
	CHECK_OK(vouch_ed25519_sign(kept, k, (const uint8_t *)"kept", 4));
	CHECK(!memcmp(kept, once, 64));
	/* four threads sign with one key object, each holding a reference; the last one out frees it */
	struct signing t[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		t[i] = (struct signing){.k = vouch_ed25519_key_ref(k)};
		CHECK_INT(pthread_create(&th[i], NULL, sign_in_thread, &t[i]), 0);
	}
	vouch_ed25519_key_free(k);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_OK(t[i].rc);
		CHECK(!memcmp(t[i].sig, once, 64));
	}
	vouch_ed25519_key_free(NULL);
	vouch_wipe(&e, sizeof e);
}

static void addresses(void)
{
	/* private key 1: the generator point */
	uint8_t g[33] = {0x02, 0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95, 0xce, 0x87, 0x0b, 0x07,
			 0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17, 0x98};
	uint8_t addr[20];
	char text[43];
	CHECK_OK(vouch_eth_address(addr, g, 33));
	vouch_eth_address_text(text, addr);
	CHECK_STR(text, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
	char b58[64];
	CHECK_OK(vouch_base58(b58, sizeof b58, (const uint8_t *)"hello world", 11));
	CHECK_STR(b58, "StV1DL6CwTryKyV");
	const uint8_t z[] = {0, 0, 1};
	CHECK_OK(vouch_base58(b58, sizeof b58, z, 3));
	CHECK_STR(b58, "112");
	CHECK_ERR(vouch_base58(b58, 4, (const uint8_t *)"hello world", 11), VOUCH_E_LIMIT);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(hkdf_rfc5869_case_1),
		T(keccak256_known_answers),
		T(get_key_matches_the_dstack_vector),
		T(chains_recover_the_root_for_both_curves),
		T(algorithm_names_as_dstack_accepts_them),
		T(sign_and_verify_every_algorithm),
		T(a_kept_ed25519_key_signs_as_the_seed_does),
		T(addresses),
	};
	return test_main(argc, argv, tests, ARRAY_LEN(tests));
}
