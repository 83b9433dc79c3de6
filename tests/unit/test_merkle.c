/* RFC 9162 Merkle trees: the Certificate Transparency reference vectors (leaves, roots for sizes 0..8,
 * inclusion and consistency proofs), then every proof of every tree up to 70 leaves against an independent
 * recursive definition, with each wrong index, size, root and path refused. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test.h"
#include "vouch/merkle.h"
#include "vouch/util.h"

static const char *CT_LEAVES[] = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
				  "606162636465666768696a6b6c6d6e6f"};
static const char *CT_ROOTS[] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void ct_tree(vouch_merkle_mem *t)
{
	vouch_merkle_mem_init(t);
	for (int i = 0; i < 8; i++) {
		uint8_t d[16], h[32];
		size_t n;
		vouch_hex_decode(d, sizeof d, &n, CT_LEAVES[i], strlen(CT_LEAVES[i]));
		vouch_merkle_leaf_hash(h, d, n);
		vouch_merkle_mem_append(t, h);
	}
}

static void reference_roots(void)
{
	vouch_merkle_mem t;
	ct_tree(&t);
	for (uint64_t n = 0; n <= 8; n++) {
		uint8_t root[32];
		CHECK_OK(vouch_merkle_root(root, n, vouch_merkle_mem_get, &t));
		CHECK_HEX(root, 32, CT_ROOTS[n]);
	}
	vouch_merkle_mem_free(&t);
}

static int path_is(uint8_t path[][32], size_t len, const char **want, size_t n)
{
	if (len != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char h[65];
		vouch_hex_encode(h, path[i], 32);
		if (strcmp(h, want[i]))
			return 0;
	}
	return 1;
}

static void reference_proofs(void)
{
	vouch_merkle_mem t;
	ct_tree(&t);
	uint8_t path[VOUCH_MERKLE_MAX_PROOF][32];
	size_t len;
	static const char *inc0[] = {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
				     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
				     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"};
	static const char *inc5[] = {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
				     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
				     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"};
	static const char *con2_8[] = {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
				       "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"};
	static const char *con6_8[] = {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
				       "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
				       "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"};
	static const char *con2_5[] = {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
				       "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"};
	CHECK_OK(vouch_merkle_inclusion_proof(path, &len, 0, 8, vouch_merkle_mem_get, &t));
	CHECK(path_is(path, len, inc0, 3));
	CHECK_OK(vouch_merkle_inclusion_proof(path, &len, 5, 8, vouch_merkle_mem_get, &t));
	CHECK(path_is(path, len, inc5, 3));
	CHECK_OK(vouch_merkle_consistency_proof(path, &len, 2, 8, vouch_merkle_mem_get, &t));
	CHECK(path_is(path, len, con2_8, 2));
	CHECK_OK(vouch_merkle_consistency_proof(path, &len, 6, 8, vouch_merkle_mem_get, &t));
	CHECK(path_is(path, len, con6_8, 3));
	CHECK_OK(vouch_merkle_consistency_proof(path, &len, 2, 5, vouch_merkle_mem_get, &t));
	CHECK(path_is(path, len, con2_5, 2));
	CHECK_ERR(vouch_merkle_inclusion_proof(path, &len, 8, 8, vouch_merkle_mem_get, &t), VOUCH_E_ARG);
	CHECK_ERR(vouch_merkle_consistency_proof(path, &len, 0, 8, vouch_merkle_mem_get, &t), VOUCH_E_ARG);
	vouch_merkle_mem_free(&t);
}

/* The definition, straight from the RFC, over an array of leaf hashes: what the store-based code must equal. */
static void ref_mth(uint8_t out[32], uint8_t (*leaf)[32], uint64_t n)
{
	if (n == 1) {
		memcpy(out, leaf[0], 32);
		return;
	}
	uint64_t k = 1;
	while (2 * k < n)
		k *= 2;
	uint8_t l[32], r[32];
	ref_mth(l, leaf, k);
	ref_mth(r, leaf + k, n - k);
	vouch_merkle_node_hash(out, l, r);
}

#define N 70
static void every_proof_of_every_tree(void)
{
	static uint8_t leaf[N][32], roots[N + 1][32];
	vouch_merkle_mem t;
	vouch_merkle_mem_init(&t);
	for (int i = 0; i < N; i++) {
		uint8_t d[2] = {(uint8_t)i, (uint8_t)(i * 7)};
		vouch_merkle_leaf_hash(leaf[i], d, 2);
		CHECK_OK(vouch_merkle_mem_append(&t, leaf[i]));
	}
	for (uint64_t n = 1; n <= N; n++) {
		uint8_t want[32];
		ref_mth(want, leaf, n);
		CHECK_OK(vouch_merkle_root(roots[n], n, vouch_merkle_mem_get, &t));
		CHECK(memcmp(want, roots[n], 32) == 0);
	}
	uint8_t path[VOUCH_MERKLE_MAX_PROOF][32], bad[VOUCH_MERKLE_MAX_PROOF][32];
	size_t len;
	for (uint64_t n = 1; n <= N; n++) {
		for (uint64_t m = 0; m < n; m++) {
			CHECK_OK(vouch_merkle_inclusion_proof(path, &len, m, n, vouch_merkle_mem_get, &t));
			CHECK(vouch_merkle_verify_inclusion(leaf[m], m, n, path, len, roots[n]));
			/* wrong index, size, leaf, root; a path one hash short or long; each hash flipped */
			CHECK(!vouch_merkle_verify_inclusion(leaf[m], m ^ 1, n, path, len, roots[n]) || n == 1);
			/* (the size is bound by the signed checkpoint, with its root: a path for n may well fold to
			 * root n under another size claim, but never to the root of another size) */
			if (n < N)
				CHECK(!vouch_merkle_verify_inclusion(leaf[m], m, n + 1, path, len, roots[n + 1]));
			CHECK(!vouch_merkle_verify_inclusion(leaf[(m + 1) % n], m, n, path, len, roots[n]) || n == 1);
			CHECK(!vouch_merkle_verify_inclusion(leaf[m], m, n, path, len, roots[n == 1 ? 2 : n - 1]));
			if (len)
				CHECK(!vouch_merkle_verify_inclusion(leaf[m], m, n, path, len - 1, roots[n]));
			memcpy(bad, path, sizeof path);
			memcpy(bad[len], leaf[0], 32);
			CHECK(!vouch_merkle_verify_inclusion(leaf[m], m, n, bad, len + 1, roots[n]));
			for (size_t i = 0; i < len; i++) {
				memcpy(bad, path, sizeof path);
				bad[i][i % 32] ^= 1;
				CHECK(!vouch_merkle_verify_inclusion(leaf[m], m, n, bad, len, roots[n]));
			}
		}
		for (uint64_t m = 1; m <= n; m++) {
			CHECK_OK(vouch_merkle_consistency_proof(path, &len, m, n, vouch_merkle_mem_get, &t));
			CHECK(vouch_merkle_verify_consistency(m, n, roots[m], roots[n], path, len));
			if (m == n)
				continue;
			/* the other tree's root, a wrong size, a damaged path */
			CHECK(!vouch_merkle_verify_consistency(m, n, roots[n], roots[n], path, len));
			CHECK(!vouch_merkle_verify_consistency(m, n, roots[m], roots[m], path, len));
			if (n < N)
				CHECK(!vouch_merkle_verify_consistency(m, n + 1, roots[m], roots[n + 1], path, len));
			for (size_t i = 0; i < len; i++) {
				memcpy(bad, path, sizeof path);
				bad[i][0] ^= 0x80;
				CHECK(!vouch_merkle_verify_consistency(m, n, roots[m], roots[n], bad, len));
			}
			CHECK(!vouch_merkle_verify_consistency(m, n, roots[m], roots[n], path, len - 1));
		}
	}
	/* the edges: nothing is consistent with a larger first tree; everything with the empty tree */
	CHECK(!vouch_merkle_verify_consistency(5, 4, roots[5], roots[4], path, 0));
	CHECK(vouch_merkle_verify_consistency(0, 4, roots[1], roots[4], path, 0));
	CHECK(!vouch_merkle_verify_inclusion(leaf[0], 0, 0, path, 0, roots[1]));
	vouch_merkle_mem_free(&t);
}

static void a_million_leaves_give_short_proofs(void)
{
	vouch_merkle_mem t;
	vouch_merkle_mem_init(&t);
	uint8_t h[32] = {0};
	for (uint32_t i = 0; i < 1000000; i++) {
		memcpy(h, &i, 4);
		CHECK_OK(vouch_merkle_mem_append(&t, h));
	}
	uint8_t root[32], path[VOUCH_MERKLE_MAX_PROOF][32];
	size_t len;
	CHECK_OK(vouch_merkle_root(root, t.size, vouch_merkle_mem_get, &t));
	uint32_t m = 654321;
	CHECK_OK(vouch_merkle_inclusion_proof(path, &len, m, t.size, vouch_merkle_mem_get, &t));
	CHECK_INT(len, 20);
	memcpy(h, &m, 4);
	CHECK(vouch_merkle_verify_inclusion(h, m, t.size, path, len, root));
	vouch_merkle_mem_free(&t);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(reference_roots),
		T(reference_proofs),
		T(every_proof_of_every_tree),
		T(a_million_leaves_give_short_proofs),
	};
	return test_main(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
