/* RFC 9162 Merkle trees: hashing, proofs from a perfect-subtree accessor, verification, an in-memory store. */
/* SHA256_Init/Update/Final: the fastest way to hash two pieces without a copy */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <stdlib.h>

#include <openssl/sha.h>

#include "internal.h"
#include "vouch/err.h"
#include "vouch/merkle.h"

void vouch_merkle_leaf_hash(uint8_t out[32], const uint8_t *data, size_t len)
{
	SHA256_CTX c;
	static const uint8_t zero = 0;
	SHA256_Init(&c);
	SHA256_Update(&c, &zero, 1);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
}

void vouch_merkle_node_hash(uint8_t out[32], const uint8_t left[32], const uint8_t right[32])
{
	uint8_t b[65];
	b[0] = 1;
	memcpy(b + 1, left, 32);
	memcpy(b + 33, right, 32);
	SHA256(b, 65, out);
}

/* the largest power of two strictly below n (n >= 2) */
static uint64_t split(uint64_t n)
{
	uint64_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

static unsigned log2_exact(uint64_t n)
{
	unsigned l = 0;
	while ((1ull << l) < n)
		l++;
	return l;
}

/* MTH of leaves [a, a + n), n >= 1, a aligned as RFC 9162's recursion leaves it */
static int mth(uint8_t out[32], uint64_t a, uint64_t n, vouch_merkle_subtree_fn get, void *ctx)
{
	if ((n & (n - 1)) == 0) {
		unsigned l = log2_exact(n);
		return get(ctx, l, a >> l, out);
	}
	uint64_t k = split(n);
	uint8_t left[32], right[32];
	int e = get(ctx, log2_exact(k), a / k, left);
	if (!e)
		e = mth(right, a + k, n - k, get, ctx);
	if (!e)
		vouch_merkle_node_hash(out, left, right);
	return e;
}

int vouch_merkle_root(uint8_t out[32], uint64_t n, vouch_merkle_subtree_fn get, void *ctx)
{
	if (n == 0) {
		SHA256((const uint8_t *)"", 0, out);
		return 0;
	}
	return mth(out, 0, n, get, ctx);
}

/* The proofs are built deepest-first by recursion; these append at the end of path. */
static int push_mth(uint8_t path[][32], size_t *len, uint64_t a, uint64_t n, vouch_merkle_subtree_fn get, void *ctx)
{
	if (*len >= VOUCH_MERKLE_MAX_PROOF)
		return VOUCH_E_LIMIT;
	int e = mth(path[*len], a, n, get, ctx);
	if (!e)
		(*len)++;
	return e;
}

/* PATH(m, D[a : a + n]) */
static int inclusion(uint8_t path[][32], size_t *len, uint64_t m, uint64_t a, uint64_t n, vouch_merkle_subtree_fn get,
		     void *ctx)
{
	if (n == 1)
		return 0;
	uint64_t k = split(n);
	int e = m < k ? inclusion(path, len, m, a, k, get, ctx) : inclusion(path, len, m - k, a + k, n - k, get, ctx);
	if (!e)
		e = m < k ? push_mth(path, len, a + k, n - k, get, ctx) : push_mth(path, len, a, k, get, ctx);
	return e;
}

int vouch_merkle_inclusion_proof(uint8_t path[][32], size_t *len, uint64_t m, uint64_t n, vouch_merkle_subtree_fn get,
				 void *ctx)
{
	*len = 0;
	if (m >= n)
		return VOUCH_E_ARG;
	return inclusion(path, len, m, 0, n, get, ctx);
}

/* SUBPROOF(m, D[a : a + n], whole) */
static int subproof(uint8_t path[][32], size_t *len, uint64_t m, uint64_t a, uint64_t n, int whole,
		    vouch_merkle_subtree_fn get, void *ctx)
{
	if (m == n)
		return whole ? 0 : push_mth(path, len, a, n, get, ctx);
	uint64_t k = split(n);
	int e;
	if (m <= k) {
		e = subproof(path, len, m, a, k, whole, get, ctx);
		if (!e)
			e = push_mth(path, len, a + k, n - k, get, ctx);
	} else {
		e = subproof(path, len, m - k, a + k, n - k, 0, get, ctx);
		if (!e)
			e = push_mth(path, len, a, k, get, ctx);
	}
	return e;
}

int vouch_merkle_consistency_proof(uint8_t path[][32], size_t *len, uint64_t m, uint64_t n,
				   vouch_merkle_subtree_fn get, void *ctx)
{
	*len = 0;
	if (m == 0 || m > n)
		return VOUCH_E_ARG;
	return subproof(path, len, m, 0, n, 1, get, ctx);
}

int vouch_merkle_verify_inclusion(const uint8_t leaf_hash[32], uint64_t m, uint64_t n, const uint8_t path[][32],
				  size_t len, const uint8_t root[32])
{
	if (m >= n)
		return 0;
	uint64_t fn = m, sn = n - 1;
	uint8_t r[32];
	memcpy(r, leaf_hash, 32);
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			vouch_merkle_node_hash(r, path[i], r);
			if (!(fn & 1))
				while (fn && !(fn & 1))
					fn >>= 1, sn >>= 1;
		} else {
			vouch_merkle_node_hash(r, r, path[i]);
		}
		fn >>= 1, sn >>= 1;
	}
	return sn == 0 && ct_eq(r, root, 32);
}

int vouch_merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root1[32], const uint8_t root2[32],
				    const uint8_t path[][32], size_t len)
{
	if (m > n)
		return 0;
	if (m == n)
		return len == 0 && ct_eq(root1, root2, 32);
	if (m == 0)
		return len == 0;
	if (len == 0)
		return 0;
	/* a first tree of 2^k leaves is itself a node of the second: its root starts the path */
	int pow2 = (m & (m - 1)) == 0;
	uint64_t fn = m - 1, sn = n - 1;
	while (fn & 1)
		fn >>= 1, sn >>= 1;
	uint8_t fr[32], sr[32];
	memcpy(fr, pow2 ? root1 : path[0], 32);
	memcpy(sr, fr, 32);
	for (size_t i = pow2 ? 0 : 1; i < len; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			vouch_merkle_node_hash(fr, path[i], fr);
			vouch_merkle_node_hash(sr, path[i], sr);
			if (!(fn & 1))
				while (fn && !(fn & 1))
					fn >>= 1, sn >>= 1;
		} else {
			vouch_merkle_node_hash(sr, sr, path[i]);
		}
		fn >>= 1, sn >>= 1;
	}
	return sn == 0 && ct_eq(fr, root1, 32) && ct_eq(sr, root2, 32);
}

void vouch_merkle_mem_init(vouch_merkle_mem *t)
{
	memset(t, 0, sizeof *t);
}

static int put(vouch_merkle_mem *t, unsigned l, uint64_t i, const uint8_t h[32])
{
	if (i >= t->cap[l]) {
		uint64_t cap = t->cap[l] ? 2 * t->cap[l] : 1024;
		void *p = realloc(t->level[l], cap * 32);
		if (!p)
			return VOUCH_E_NOMEM;
		t->level[l] = p, t->cap[l] = cap;
	}
	memcpy(t->level[l][i], h, 32);
	return 0;
}

int vouch_merkle_mem_append(vouch_merkle_mem *t, const uint8_t leaf_hash[32])
{
	uint64_t i = t->size;
	int e = put(t, 0, i, leaf_hash);
	/* every perfect subtree this leaf completes: while i is the right child, hash up */
	for (unsigned l = 0; !e && (i & 1); l++, i >>= 1) {
		uint8_t h[32];
		vouch_merkle_node_hash(h, t->level[l][i - 1], t->level[l][i]);
		e = put(t, l + 1, i >> 1, h);
	}
	if (!e)
		t->size++;
	return e;
}

int vouch_merkle_mem_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	vouch_merkle_mem *t = ctx;
	if (level >= 64 || ((index + 1) << level) > t->size)
		return VOUCH_E_ARG;
	memcpy(out, t->level[level][index], 32);
	return 0;
}

void vouch_merkle_mem_free(vouch_merkle_mem *t)
{
	for (int l = 0; l < 64; l++)
		free(t->level[l]);
	memset(t, 0, sizeof *t);
}
