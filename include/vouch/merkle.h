/* vouch — Merkle trees as RFC 9162 (Certificate Transparency v2) defines them, over SHA-256:
 *   leaf hash  = SHA-256(0x00 ‖ leaf data)
 *   node hash  = SHA-256(0x01 ‖ left ‖ right)
 *   MTH(D[n])  = the empty tree: SHA-256(""); one leaf: its leaf hash; else, with k the largest power of two
 *                below n, node(MTH(D[0:k]), MTH(D[k:n])).
 * Proofs are generated from any store that can hand out the hash of a *perfect* subtree (2^level leaves,
 * aligned), so a log keeps what it likes (all levels in memory, or leaves on disk); verification needs only
 * the proof. */
#ifndef VOUCH_MERKLE_H
#define VOUCH_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VOUCH_MERKLE_MAX_PROOF 64 /* hashes: a tree of up to 2^63 leaves */

void vouch_merkle_leaf_hash(uint8_t out[32], const uint8_t *data, size_t len);
void vouch_merkle_node_hash(uint8_t out[32], const uint8_t left[32], const uint8_t right[32]);

/* The hash of the perfect subtree of 2^level leaves starting at leaf index << level (always inside the tree
 * the caller asks about). Returns 0, or an error that the generator passes on. */
typedef int (*vouch_merkle_subtree_fn)(void *ctx, unsigned level, uint64_t index, uint8_t out[32]);

/* MTH of the first n leaves. */
int vouch_merkle_root(uint8_t out[32], uint64_t n, vouch_merkle_subtree_fn get, void *ctx);

/* The inclusion proof (audit path) of leaf m in the tree of the first n leaves (m < n): *len hashes into
 * path. Returns 0, VOUCH_E_ARG (m >= n) or the accessor's error. */
int vouch_merkle_inclusion_proof(uint8_t path[][32], size_t *len, uint64_t m, uint64_t n, vouch_merkle_subtree_fn get,
				 void *ctx);

/* The consistency proof between the trees of the first m and n leaves (0 < m <= n; empty when m == n). */
int vouch_merkle_consistency_proof(uint8_t path[][32], size_t *len, uint64_t m, uint64_t n,
				   vouch_merkle_subtree_fn get, void *ctx);

/* RFC 9162 §2.1.3.2: 1 when path proves leaf_hash is leaf m of the tree of n leaves with this root. */
int vouch_merkle_verify_inclusion(const uint8_t leaf_hash[32], uint64_t m, uint64_t n, const uint8_t path[][32],
				  size_t len, const uint8_t root[32]);

/* RFC 9162 §2.1.4.2: 1 when path proves the tree of m leaves (root1) is a prefix of the tree of n leaves
 * (root2). m == n needs an empty path and equal roots; m == 0 is always consistent. */
int vouch_merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root1[32], const uint8_t root2[32],
				    const uint8_t path[][32], size_t len);

/* A tree built in memory, leaf by leaf, keeping every level (2n hashes for n leaves): the store vouchd's
 * journal and `vouch journal audit` use. Its accessor is vouch_merkle_mem_get. */
typedef struct vouch_merkle_mem {
	uint8_t (*level[64])[32]; /* level[l][i]: the perfect subtree l, i */
	uint64_t cap[64];
	uint64_t size; /* leaves */
} vouch_merkle_mem;

void vouch_merkle_mem_init(vouch_merkle_mem *t);
int vouch_merkle_mem_append(vouch_merkle_mem *t, const uint8_t leaf_hash[32]);
int vouch_merkle_mem_get(void *t, unsigned level, uint64_t index, uint8_t out[32]);
void vouch_merkle_mem_free(vouch_merkle_mem *t);

#ifdef __cplusplus
}
#endif
#endif
