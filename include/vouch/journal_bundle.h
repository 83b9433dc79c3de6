/* vouch — a journal proof bundle: one JSON document that proves, offline, that a TEE running known code wrote
 * one entry into its journal. Compact JSON:
 *   {"format": "vouch-journal-bundle/2",
 *    "journal": {"name", "id", "public_key"},
 *    "entry": {… as JournalGet gives it …},
 *    "checkpoint": {"journal_id", "tree_size", "root", "time_ms", "signature"},
 *    "inclusion": {"leaf_index", "tree_size", "path": [hex, …]},
 *    "attestation": {"quote": hex, "nonce": hex, "event_log": [events]},
 *    "collateral": {… dcap-qvl's JSON …},
 *    "exported_ms": informational only}
 * Every byte except exported_ms is checked: boot events (RTMR0–2) are carried as register and digest only
 * (event_type 0, empty event and payload), which is all the replay uses; runtime events (RTMR3) in full;
 * the collateral's pck_crl_issuer_chain, which DCAP verification never reads, is empty; every certificate
 * in a chain must be on the verified path or be the root itself; no member is unknown.
 *
 * Verification steps, in order; the first failure stops it and names its step:
 *   bundle            the document parses, in the form above
 *   quote             DCAP: signatures, chain to the root (Intel's, or --root: then "simulated"), collateral
 *   event_log         RTMR0–3 replay to the quote's; the app's identity (compose hash, …) decoded from RTMR3
 *   measurements      the compose hash, app id and MRTD the verifier expects (skipped, and said, when none given)
 *   journal_event     RTMR3 measured the journal's creation: "vouch-journal" with payload id ‖ public key
 *   key_binding       the journal key and id the verifier expects (when given); id = SHA-256(tag ‖ key ‖ name);
 *                     the quote's report data binds id, key and nonce in vouchd's own report-data domain
 *                     (include/vouch/journal.h), which no client can request
 * Format /1 bundles are refused: their binding (SHA-512 report data) was one any app could request.
 *   checkpoint        signed by that key, for that journal
 *   inclusion         the entry's leaf is at leaf_index = seq in the checkpoint's tree
 *   entry             the entry's fields hash to that leaf */
#ifndef VOUCH_JOURNAL_BUNDLE_H
#define VOUCH_JOURNAL_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/dcap.h"
#include "vouch/journal.h"
#include "vouch/journal_store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VOUCH_JOURNAL_BUNDLE_FORMAT "vouch-journal-bundle/2"
#define VOUCH_JOURNAL_BUNDLE_MAX (16u << 20)

enum {
	VOUCH_JSTEP_BUNDLE,
	VOUCH_JSTEP_QUOTE,
	VOUCH_JSTEP_EVENT_LOG,
	VOUCH_JSTEP_MEASUREMENTS,
	VOUCH_JSTEP_JOURNAL_EVENT,
	VOUCH_JSTEP_KEY_BINDING,
	VOUCH_JSTEP_CHECKPOINT,
	VOUCH_JSTEP_INCLUSION,
	VOUCH_JSTEP_ENTRY,
	VOUCH_JSTEP_COUNT
};

enum { VOUCH_JSTEP_NOT_RUN, VOUCH_JSTEP_PASS, VOUCH_JSTEP_FAIL, VOUCH_JSTEP_SKIPPED };

typedef struct vouch_journal_step {
	const char *name;
	int state;
	char note[240];
} vouch_journal_step;

typedef struct vouch_journal_verify_opts {
	const uint8_t *root_der;            /* NULL: Intel's SGX Root CA */
	size_t root_der_len;
	const uint8_t *expect_compose_hash; /* 32 bytes, or NULL */
	const uint8_t *expect_mr_td;        /* 48 bytes, or NULL */
	int64_t now;                        /* verification time, Unix seconds */
	unsigned flags;                     /* VOUCH_ALLOW_* */
	const uint8_t *expect_app_id;       /* expect_app_id_len bytes (dstack's: 20), or NULL */
	size_t expect_app_id_len;
	const uint8_t *expect_journal_key;  /* 33 bytes (compressed secp256k1), or NULL: checked at key_binding */
	const uint8_t *expect_journal_id;   /* 32 bytes, or NULL: checked at key_binding */
} vouch_journal_verify_opts;

typedef struct vouch_journal_verdict {
	int ok;
	int err;          /* the failed step's error */
	int failed_step;  /* VOUCH_JSTEP_*, or -1 */
	vouch_journal_step steps[VOUCH_JSTEP_COUNT];
	int simulated;
	vouch_journal_info journal;
	vouch_journal_checkpoint checkpoint;
	uint64_t seq;
	char kind[VOUCH_JOURNAL_KIND_MAX + 1];
	uint64_t time_ms;
	char tcb_status[40];
	uint8_t compose_hash[32], mr_td[48];
	int have_compose_hash, have_mr_td;
	uint8_t app_id[32];           /* from the event log, app_id_len bytes (0: none) */
	size_t app_id_len;
	uint8_t rtmr[4][48];          /* the verified quote's, when have_mr_td */
	char *entry_json;  /* the entry as given (malloc'd; for display) */
} vouch_journal_verdict;

/* Verifies a bundle (its text). Fills *out in every case (free with vouch_journal_verdict_free) and returns
 * out->err. */
int vouch_journal_bundle_verify(vouch_journal_verdict *out, const char *text, size_t len,
				const vouch_journal_verify_opts *opts);
void vouch_journal_verdict_free(vouch_journal_verdict *v);
/* {"ok", "error"?, "failed_step"?, "simulated", "journal", "entry", "checkpoint", "tcb_status",
 *  "compose_hash", "mr_td", "steps": [{"name", "result", "note"}]} (malloc'd). */
char *vouch_journal_verdict_json(const vouch_journal_verdict *v);

#ifdef __cplusplus
}
#endif
#endif
