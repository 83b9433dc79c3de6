/* vouchd's journals: append-only logs of the agent's outputs in STATE/journal.db, one writer thread doing group
 * commit (every append waiting at the same moment shares one fsync), an in-memory RFC 9162 tree per journal,
 * checkpoints signed by the journal's sign-only key every N entries, every T seconds and on demand. Formats:
 * include/vouch/journal.h. */
#ifndef VOUCHD_JOURNAL_H
#define VOUCHD_JOURNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "vouch/journal.h"
#include "vouch/journal_store.h"
#include "vouch/merkle.h"

#define MAX_JOURNALS 16
#define DEFAULT_JOURNAL "default"

struct app;

struct journal {
	vouch_journal_info info;
	uint8_t key[32];                  /* SECRET: the sign-only key at vouch/journal/<name> */
	uint8_t mac_key[32];              /* SECRET: each entry's MAC (vouch/journal-mac/<name>) */
	pthread_rwlock_t lock;            /* tree, size, latest */
	vouch_merkle_mem tree;            /* committed entries only */
	vouch_journal_checkpoint latest;  /* the newest signed checkpoint */
	int have_latest;
	uint64_t last_time_ms;            /* entry times never go backwards (writer thread) */
};

struct journal_req;

struct journals {
	struct app *app;
	char *path;
	vouch_journal_store *writer;      /* the writer thread's connection */
	vouch_journal_store *reader;      /* reads, under reader_lock */
	pthread_mutex_t reader_lock;
	struct journal *j[MAX_JOURNALS];
	size_t n;
	pthread_mutex_t create_lock;      /* creating a journal (rare) */
	/* the queue of appends and checkpoint requests */
	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;
	struct journal_req *head, *tail;
	int stop, started;
	pthread_t writer_thread;
	unsigned checkpoint_every;        /* entries */
	unsigned checkpoint_interval_ms;
	uint64_t commits, appended;       /* for the log */
};

int journals_open(struct journals *js, struct app *a, unsigned checkpoint_every, unsigned interval_s, char *err,
		  size_t cap);
void journals_close(struct journals *js);

/* The journal by name, created when create is set (its key derived, its creation extended into RTMR3 as the
 * runtime event "vouch-journal"). NULL with a message when unknown, invalid or too many. */
struct journal *journal_get(struct journals *js, const char *name, size_t len, int create, char *err, size_t cap);

/* Appends and waits until the entry is on disk. e's seq and time_ms are set by the writer. */
int journal_append(struct journals *js, struct journal *j, vouch_journal_entry *e, uint8_t leaf_hash[32],
		   uint64_t *tree_size, char *err, size_t cap);
/* A checkpoint of everything committed now (the latest again when nothing is new). */
int journal_checkpoint_now(struct journals *js, struct journal *j, vouch_journal_checkpoint *out, char *err, size_t cap);

/* The seal (journal_seal.c): STATE/journal.seal, the newest signed checkpoint of each journal, written after
 * each checkpoint; checked at start (a journal with entries must reproduce its sealed checkpoint; none sealed:
 * refused unless reseal). */
int journal_seal_write(struct journals *js);
/* had_store: journal.db existed before this start. */
int journal_seal_check(struct journals *js, int had_store, int reseal, char *err, size_t cap);
/* The seal's MAC over its "journals" object (a json_t *; jansson is the caller's). */
int journal_seal_mac(struct journals *js, const void *journals, uint8_t out[32]);
/* The same check of a seal's text (NULL: no seal file), named path in messages; reads no file. */
int journal_seal_check_text(struct journals *js, const char *path, const uint8_t *text, size_t len, int had_store,
			    int reseal, char *err, size_t cap);

#endif
