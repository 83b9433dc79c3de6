/* The journal's JSON forms (vouchd's answers, `vouch journal` output, proof bundles), both directions.
 *   journal     {"name", "id", "public_key"}
 *   entry       {"seq", "time_ms", ["client_time_ms"], "kind", "payload_type": "json"|"bytes",
 *                "payload": <the JSON value> | "<hex>", "payload_hex", "leaf_hash"}
 *   checkpoint  {"journal_id", "tree_size", "root", "time_ms", "signature"}
 * Byte strings are lowercase hex. The entry's payload_hex is what is hashed; payload is for reading. */
#ifndef VOUCH_JOURNAL_JSON_H
#define VOUCH_JOURNAL_JSON_H

#include <jansson.h>

#include "vouch/journal.h"
#include "vouch/journal_store.h"

json_t *jj_journal(const vouch_journal_info *j);
json_t *jj_entry(const vouch_journal_entry *e, const uint8_t leaf_hash[32]);
json_t *jj_checkpoint(const vouch_journal_checkpoint *c);

/* Parsers: 0, or VOUCH_E_JOURNAL_FORMAT with a message naming the field. */
int jj_parse_journal(const json_t *o, vouch_journal_info *j, char *msg, size_t cap);
int jj_parse_checkpoint(const json_t *o, vouch_journal_checkpoint *c, char *msg, size_t cap);
/* The entry's kind points into o; its payload into *buf (malloc'd, free it), decoded from payload_hex;
 * leaf_hash as stated. A JSON payload must be valid JSON and, when "payload" is present, equal to it. */
int jj_parse_entry(const json_t *o, vouch_journal_entry *e, uint8_t **buf, uint8_t leaf_hash[32], char *msg,
		   size_t cap);
/* A fixed-size hex field. */
int jj_hex(const json_t *o, const char *name, uint8_t *out, size_t n, char *msg, size_t cap);
int jj_u64(const json_t *o, const char *name, uint64_t *out, char *msg, size_t cap);

#endif
