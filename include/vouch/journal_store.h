/* vouch — the journal's SQLite store (vouchd writes it; `vouch journal audit` reads it) and the audit that
 * recomputes a journal from its entries.
 *
 * Schema (WAL mode, synchronous=FULL: a committed transaction is on disk):
 *   journal(name PRIMARY KEY, id, public_key, created_ms)
 *   entry(journal, seq, time_ms, client_time_ms NULL, kind, payload_type, payload, leaf_hash)  key (journal, seq)
 *   checkpoint(journal, tree_size, root, time_ms, signature)                                   key (journal, tree_size)
 * The stored leaf hash lets vouchd rebuild its tree at start without rehashing; the audit never trusts it. */
#ifndef VOUCH_JOURNAL_STORE_H
#define VOUCH_JOURNAL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/journal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vouch_journal_store vouch_journal_store;

typedef struct vouch_journal_info {
	char name[VOUCH_JOURNAL_NAME_MAX + 1];
	uint8_t id[32];
	uint8_t public_key[33];
	uint64_t created_ms;
} vouch_journal_info;

/* Opens (creating the file and schema unless readonly). Returns 0 or VOUCH_E_JOURNAL_STORE with a message. */
int vouch_journal_store_open(vouch_journal_store **out, const char *path, int readonly, char *msg, size_t cap);
void vouch_journal_store_close(vouch_journal_store *s);
/* The last SQLite error, for messages. */
const char *vouch_journal_store_error(vouch_journal_store *s);

/* 0 and *found (1/0). */
int vouch_journal_store_get_journal(vouch_journal_store *s, const char *name, vouch_journal_info *out, int *found);
int vouch_journal_store_list_journals(vouch_journal_store *s, vouch_journal_info *out, size_t cap, size_t *n);
int vouch_journal_store_add_journal(vouch_journal_store *s, const vouch_journal_info *j);

/* Transactions around appends (one per group commit). */
int vouch_journal_store_begin(vouch_journal_store *s);
int vouch_journal_store_commit(vouch_journal_store *s);
void vouch_journal_store_rollback(vouch_journal_store *s);

int vouch_journal_store_put_entry(vouch_journal_store *s, const char *journal, const vouch_journal_entry *e,
				  const uint8_t leaf_hash[32]);
int vouch_journal_store_put_checkpoint(vouch_journal_store *s, const char *journal, const vouch_journal_checkpoint *c);
/* An entry with vouchd's MAC over it (VOUCH_JOURNAL_MAC_LEN bytes; NULL: none). The MAC is vouchd's business
 * (a key derived inside the TEE): it lets vouchd tell its own entries from edited ones where no signed
 * checkpoint covers them yet. */
#define VOUCH_JOURNAL_MAC_LEN 32
int vouch_journal_store_put_entry_mac(vouch_journal_store *s, const char *journal, const vouch_journal_entry *e,
				      const uint8_t leaf_hash[32], const uint8_t *mac);
/* Entries with seq in [from, to): seq, stored leaf hash, stored MAC (NULL when none). Not on a read-only store. */
typedef int (*vouch_journal_mac_fn)(void *ctx, uint64_t seq, const uint8_t leaf_hash[32], const uint8_t *mac);
int vouch_journal_store_scan_macs(vouch_journal_store *s, const char *journal, uint64_t from, uint64_t to,
				  vouch_journal_mac_fn fn, void *ctx);

/* Entries with seq in [from, to), in order: fn gets each with its stored leaf hash; a non-zero return stops
 * the scan and is returned. The entry's pointers live until fn returns. */
typedef int (*vouch_journal_entry_fn)(void *ctx, const vouch_journal_entry *e, const uint8_t stored_leaf_hash[32]);
int vouch_journal_store_scan(vouch_journal_store *s, const char *journal, uint64_t from, uint64_t to,
			     vouch_journal_entry_fn fn, void *ctx);

/* Checkpoints with tree size in [from, to], ascending. */
typedef int (*vouch_journal_checkpoint_fn)(void *ctx, const vouch_journal_checkpoint *c);
int vouch_journal_store_checkpoints(vouch_journal_store *s, const char *journal, uint64_t from, uint64_t to,
				    vouch_journal_checkpoint_fn fn, void *ctx);

/* The number of entries (the next seq) and the latest checkpoint (*have 0 when none). */
int vouch_journal_store_size(vouch_journal_store *s, const char *journal, uint64_t *size);
int vouch_journal_store_latest_checkpoint(vouch_journal_store *s, const char *journal, vouch_journal_checkpoint *c,
					  int *have);

/* The audit: a journal recomputed from its entries, fed in seq order, against its checkpoints (its own and
 * any from outside, e.g. kept from an earlier bundle). Memory O(log n). */
typedef struct vouch_journal_audit {
	vouch_journal_info journal;
	uint64_t size;                 /* entries seen */
	uint8_t frontier[64][32];      /* perfect subtree roots of the tree so far, one per set bit of size */
	vouch_journal_checkpoint *cps; /* sorted by size; signature-checked when added */
	size_t n_cps, cap_cps, next_cp;
	uint64_t checked_cps;
	int err;                       /* the first failure, and where */
	uint64_t bad_seq;              /* the first entry at fault, or the first of the range a checkpoint covers */
	uint64_t bad_to;               /* the end of that range (exclusive) */
	char msg[320];
} vouch_journal_audit;

/* Checks the journal's id (from its key and name). Returns 0 or an error in a->err/a->msg. */
int vouch_journal_audit_init(vouch_journal_audit *a, const vouch_journal_info *j);
/* Adds a checkpoint: its signature must be the journal key's; two at the same size must agree (else a
 * fork, VOUCH_E_JOURNAL_CONSISTENCY). Add all before the first entry. */
int vouch_journal_audit_checkpoint(vouch_journal_audit *a, const vouch_journal_checkpoint *c);
/* Feeds the next entry: its seq must be the next one, its fields must hash to stored_leaf_hash when that is
 * given, and each checkpoint reached must have the recomputed root. */
int vouch_journal_audit_entry(vouch_journal_audit *a, const vouch_journal_entry *e, const uint8_t *stored_leaf_hash);
/* After the last entry: checkpoints beyond the entries mean entries were removed from the end. */
int vouch_journal_audit_finish(vouch_journal_audit *a);
void vouch_journal_audit_free(vouch_journal_audit *a);

/* The root of the entries fed so far. */
void vouch_journal_audit_root(const vouch_journal_audit *a, uint8_t out[32]);

#ifdef __cplusplus
}
#endif
#endif
