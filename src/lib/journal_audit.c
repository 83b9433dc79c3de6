/* The journal audit: a journal recomputed from its entries against its signed checkpoints, in O(log n) memory
 * (the frontier of perfect subtrees), naming the first position at fault. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "vouch/err.h"
#include "vouch/journal_store.h"
#include "vouch/merkle.h"
#include "vouch/util.h"

static int fail(vouch_journal_audit *a, int err, uint64_t from, uint64_t to, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail(vouch_journal_audit *a, int err, uint64_t from, uint64_t to, const char *fmt, ...)
{
	if (a->err)
		return a->err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof a->msg, fmt, ap);
	va_end(ap);
	a->err = err, a->bad_seq = from, a->bad_to = to;
	return err;
}

int vouch_journal_audit_init(vouch_journal_audit *a, const vouch_journal_info *j)
{
	memset(a, 0, sizeof *a);
	a->journal = *j;
	uint8_t id[32];
	vouch_journal_id(id, j->public_key, j->name, strlen(j->name));
	if (!ct_eq(id, j->id, 32))
		return fail(a, VOUCH_E_JOURNAL_BINDING, 0, 0, "journal \"%s\": its id is not the hash of its key and name",
			    j->name);
	return 0;
}

int vouch_journal_audit_checkpoint(vouch_journal_audit *a, const vouch_journal_checkpoint *c)
{
	if (a->err)
		return a->err;
	if (!ct_eq(c->journal_id, a->journal.id, 32))
		return fail(a, VOUCH_E_JOURNAL_SIGNATURE, 0, c->tree_size, "checkpoint of size %llu belongs to another journal",
			    (unsigned long long)c->tree_size);
	if (vouch_journal_checkpoint_verify(c, a->journal.public_key))
		return fail(a, VOUCH_E_JOURNAL_SIGNATURE, 0, c->tree_size,
			    "checkpoint of size %llu: not signed by the journal's key", (unsigned long long)c->tree_size);
	if (c->tree_size == 0) { /* the empty tree: nothing to wait for */
		uint8_t empty[32];
		vouch_merkle_root(empty, 0, NULL, NULL);
		return ct_eq(empty, c->root, 32) ? 0 : fail(a, VOUCH_E_JOURNAL_TAMPERED, 0, 0,
							    "the signed checkpoint of size 0 does not name the empty tree");
	}
	/* insert in size order; the same size twice must be the same tree */
	size_t i = a->n_cps;
	while (i > 0 && a->cps[i - 1].tree_size > c->tree_size)
		i--;
	if (i > 0 && a->cps[i - 1].tree_size == c->tree_size) {
		if (ct_eq(a->cps[i - 1].root, c->root, 32))
			return 0;
		char h1[17], h2[17];
		vouch_hex_encode(h1, a->cps[i - 1].root, 8);
		vouch_hex_encode(h2, c->root, 8);
		return fail(a, VOUCH_E_JOURNAL_CONSISTENCY, 0, c->tree_size,
			    "fork: two checkpoints of size %llu signed by the journal's key name different roots (%s…, %s…)",
			    (unsigned long long)c->tree_size, h1, h2);
	}
	if (a->n_cps == a->cap_cps) {
		size_t cap = a->cap_cps ? 2 * a->cap_cps : 64;
		void *p = realloc(a->cps, cap * sizeof *a->cps);
		if (!p)
			return fail(a, VOUCH_E_NOMEM, 0, 0, "out of memory");
		a->cps = p, a->cap_cps = cap;
	}
	memmove(&a->cps[i + 1], &a->cps[i], (a->n_cps - i) * sizeof *a->cps);
	a->cps[i] = *c;
	a->n_cps++;
	return 0;
}

void vouch_journal_audit_root(const vouch_journal_audit *a, uint8_t out[32])
{
	if (a->size == 0) {
		vouch_merkle_root(out, 0, NULL, NULL);
		return;
	}
	int have = 0;
	for (unsigned l = 0; l < 64; l++) {
		if (!(a->size >> l & 1))
			continue;
		if (have)
			vouch_merkle_node_hash(out, a->frontier[l], out);
		else
			memcpy(out, a->frontier[l], 32);
		have = 1;
	}
}

int vouch_journal_audit_entry(vouch_journal_audit *a, const vouch_journal_entry *e, const uint8_t *stored_leaf_hash)
{
	if (a->err)
		return a->err;
	if (e->seq != a->size)
		return fail(a, VOUCH_E_JOURNAL_TAMPERED, a->size, a->size + 1,
			    e->seq > a->size ? "entry %llu is missing (the next entry is %llu)"
					     : "entry %llu appears again (as %llu)",
			    (unsigned long long)a->size, (unsigned long long)e->seq);
	if (!vouch_journal_kind_valid(e->kind, e->kind_len))
		return fail(a, VOUCH_E_JOURNAL_TAMPERED, e->seq, e->seq + 1, "entry %llu: invalid kind",
			    (unsigned long long)e->seq);
	uint8_t h[32];
	if (vouch_journal_leaf_hash(h, e))
		return fail(a, VOUCH_E_NOMEM, e->seq, e->seq + 1, "out of memory");
	if (stored_leaf_hash && !ct_eq(h, stored_leaf_hash, 32))
		return fail(a, VOUCH_E_JOURNAL_ENTRY, e->seq, e->seq + 1,
			    "entry %llu: its fields do not hash to its stored leaf hash (changed)",
			    (unsigned long long)e->seq);
	/* the frontier: a binary counter of perfect subtrees */
	unsigned l = 0;
	for (; a->size >> l & 1; l++)
		vouch_merkle_node_hash(h, a->frontier[l], h);
	memcpy(a->frontier[l], h, 32);
	a->size++;
	if (a->next_cp < a->n_cps && a->cps[a->next_cp].tree_size == a->size) {
		const vouch_journal_checkpoint *c = &a->cps[a->next_cp];
		uint64_t from = a->next_cp ? a->cps[a->next_cp - 1].tree_size : 0;
		uint8_t root[32];
		vouch_journal_audit_root(a, root);
		if (!ct_eq(root, c->root, 32))
			return fail(a, VOUCH_E_JOURNAL_TAMPERED, from, a->size,
				    "entries %llu..%llu do not reproduce the signed checkpoint of size %llu (an entry in that "
				    "range was changed, removed, inserted or moved)",
				    (unsigned long long)from, (unsigned long long)a->size - 1, (unsigned long long)a->size);
		a->checked_cps++;
		a->next_cp++;
	}
	return 0;
}

int vouch_journal_audit_finish(vouch_journal_audit *a)
{
	if (a->err)
		return a->err;
	if (a->next_cp < a->n_cps) {
		uint64_t want = a->cps[a->n_cps - 1].tree_size;
		return fail(a, VOUCH_E_JOURNAL_TAMPERED, a->size, want,
			    "a checkpoint covers %llu entries but only %llu remain (entries %llu.. were removed)",
			    (unsigned long long)want, (unsigned long long)a->size, (unsigned long long)a->size);
	}
	return 0;
}

void vouch_journal_audit_free(vouch_journal_audit *a)
{
	free(a->cps);
	a->cps = NULL;
	a->n_cps = a->cap_cps = 0;
}
