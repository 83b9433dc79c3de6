/* vouch — the journal's formats: entries, checkpoints, the key's binding to a quote. Everything a verifier
 * recomputes is defined here, byte for byte; BE64 is a big-endian uint64, LP(x) is BE32(len(x)) ‖ x.
 *
 * Entry leaf (RFC 9162 leaf data; the leaf hash is SHA-256(0x00 ‖ leaf)):
 *   "vouch.journal.entry.v1" 0x00 ‖ BE64(seq) ‖ BE64(time_ms) ‖ u8 has_client_time ‖ BE64(client_time_ms,
 *   two's complement; 0 when absent) ‖ LP(kind) ‖ u8 payload_type (0 bytes, 1 JSON text) ‖ LP(payload)
 * seq counts from 0 and is the leaf index; time_ms is the TEE's clock when vouchd ordered the entry.
 *
 * Journal id: SHA-256("vouch.journal.id.v1" 0x00 ‖ compressed public key (33) ‖ name).
 *
 * Checkpoint: (journal id, tree size, root, time_ms), signed by the journal's secp256k1 key with a
 * recoverable signature r ‖ s ‖ v (v = 27 or 28, as Ethereum's ecrecover takes it) over
 *   digest = keccak256("vouch.journal.checkpoint.v1" ‖ id (32) ‖ BE64(tree size) ‖ root (32) ‖ BE64(time_ms))
 * which is Solidity's keccak256(abi.encodePacked("vouch.journal.checkpoint.v1", bytes32 id, uint64 size,
 * bytes32 root, uint64 time)), so a contract can ecrecover the key.
 *
 * Key binding: a quote whose report data (64 bytes) is in vouchd's own domain (below):
 *   VOUCH_OWN_REPORT_DATA_TAG (16) ‖ SHA-384("vouch.journal.key.v2" 0x00 ‖ id (32) ‖ compressed public key (33)
 *                                           ‖ nonce (0..64 bytes))
 * and whose event log holds the runtime event "vouch-journal" with payload id ‖ public key, emitted when the
 * journal was created and again at each start of vouchd in a new boot (RTMR3 starts from zero at boot).
 * (v1 was SHA-512 of the same with "vouch.journal.key.v1": any app could ask GetQuote for those 64 bytes, so a
 * journal key held outside the TEE could be bound to this TEE's quote. v1 bindings are refused.)
 *
 * vouchd's own report data: 64 bytes whose first 16 are VOUCH_OWN_REPORT_DATA_TAG. vouchd's GetQuote, Attest
 * and Tappd.RawQuote refuse client report data that begins with it, and the report data vouchd computes for
 * clients (hashed TdxQuote, RA-TLS, app-key attestations) falls in it only by finding a 128-bit hash prefix, so
 * only vouchd's own code produces such quotes. */
#ifndef VOUCH_JOURNAL_H
#define VOUCH_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VOUCH_JOURNAL_NAME_MAX 64
#define VOUCH_JOURNAL_KIND_MAX 64
#define VOUCH_JOURNAL_PAYLOAD_MAX (256u << 10)
#define VOUCH_JOURNAL_NONCE_MAX 64
#define VOUCH_JOURNAL_EVENT "vouch-journal"

typedef struct vouch_journal_entry {
	uint64_t seq;
	uint64_t time_ms;
	int has_client_time;
	int64_t client_time_ms;
	const char *kind;
	size_t kind_len;
	int payload_json; /* 1: payload is JSON text; 0: bytes */
	const uint8_t *payload;
	size_t payload_len;
} vouch_journal_entry;

/* The leaf bytes (malloc'd). Returns 0 or VOUCH_E_NOMEM. */
int vouch_journal_leaf(uint8_t **out, size_t *len, const vouch_journal_entry *e);
/* SHA-256(0x00 ‖ leaf). Returns 0 or VOUCH_E_NOMEM. */
int vouch_journal_leaf_hash(uint8_t out[32], const vouch_journal_entry *e);

/* A journal name: 1..64 of [A-Za-z0-9._-]. Kind: 1..64 printable ASCII. 1 when valid. */
int vouch_journal_name_valid(const char *s, size_t n);
int vouch_journal_kind_valid(const char *s, size_t n);

void vouch_journal_id(uint8_t out[32], const uint8_t pub[33], const char *name, size_t name_len);
#define VOUCH_OWN_REPORT_DATA_TAG "\xffvouchd-own-rd/1"
#define VOUCH_OWN_REPORT_DATA_TAG_LEN 16
/* 1 when report data begins with VOUCH_OWN_REPORT_DATA_TAG (len may be under 64: a client's short report
 * data is zero-padded, so it is compared as padded). */
int vouch_report_data_is_own(const uint8_t *rd, size_t len);

/* The v2 binding (above); a nonce over VOUCH_JOURNAL_NONCE_MAX bytes is cut there. */
void vouch_journal_binding(uint8_t out[64], const uint8_t id[32], const uint8_t pub[33], const uint8_t *nonce,
			   size_t nonce_len);

typedef struct vouch_journal_checkpoint {
	uint8_t journal_id[32];
	uint64_t tree_size;
	uint8_t root[32];
	uint64_t time_ms;
	uint8_t signature[65];
} vouch_journal_checkpoint;

void vouch_journal_checkpoint_digest(uint8_t out[32], const vouch_journal_checkpoint *c);
/* Fills c->signature. Returns 0 or VOUCH_E_CRYPTO. */
int vouch_journal_checkpoint_sign(vouch_journal_checkpoint *c, const uint8_t key[32]);
/* 0 when signed by pub (compressed), VOUCH_E_JOURNAL_SIGNATURE otherwise (v other than 27/28 included). */
int vouch_journal_checkpoint_verify(const vouch_journal_checkpoint *c, const uint8_t pub[33]);

#ifdef __cplusplus
}
#endif
#endif
