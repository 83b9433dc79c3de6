/* The journal's formats (see include/vouch/journal.h): entry leaves, ids, key binding, checkpoints. */
#include <stdlib.h>

#include <openssl/sha.h>

#include "internal.h"
#include "vouch/err.h"
#include "vouch/journal.h"
#include "vouch/keys.h"
#include "vouch/merkle.h"

static const char ENTRY_TAG[] = "vouch.journal.entry.v1";           /* followed by its NUL */
static const char ID_TAG[] = "vouch.journal.id.v1";                 /* followed by its NUL */
static const char KEY_TAG[] = "vouch.journal.key.v2";               /* followed by its NUL */
static const char CHECKPOINT_TAG[] = "vouch.journal.checkpoint.v1"; /* without NUL (abi.encodePacked) */

static uint8_t *be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
	return p + 8;
}

static uint8_t *lp(uint8_t *p, const void *data, size_t n)
{
	p[0] = (uint8_t)(n >> 24), p[1] = (uint8_t)(n >> 16), p[2] = (uint8_t)(n >> 8), p[3] = (uint8_t)n;
	if (n)
		memcpy(p + 4, data, n);
	return p + 4 + n;
}

int vouch_journal_leaf(uint8_t **out, size_t *len, const vouch_journal_entry *e)
{
	size_t n = sizeof ENTRY_TAG + 8 + 8 + 1 + 8 + 4 + e->kind_len + 1 + 4 + e->payload_len;
	uint8_t *b = malloc(n), *p = b;
	if (!b)
		return VOUCH_E_NOMEM;
	memcpy(p, ENTRY_TAG, sizeof ENTRY_TAG);
	p += sizeof ENTRY_TAG;
	p = be64(p, e->seq);
	p = be64(p, e->time_ms);
	*p++ = e->has_client_time ? 1 : 0;
	p = be64(p, e->has_client_time ? (uint64_t)e->client_time_ms : 0);
	p = lp(p, e->kind, e->kind_len);
	*p++ = e->payload_json ? 1 : 0;
	p = lp(p, e->payload, e->payload_len);
	*out = b;
	*len = n;
	return 0;
}

int vouch_journal_leaf_hash(uint8_t out[32], const vouch_journal_entry *e)
{
	uint8_t *leaf;
	size_t n;
	int err = vouch_journal_leaf(&leaf, &n, e);
	if (!err) {
		vouch_merkle_leaf_hash(out, leaf, n);
		free(leaf);
	}
	return err;
}

int vouch_journal_name_valid(const char *s, size_t n)
{
	if (n == 0 || n > VOUCH_JOURNAL_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

int vouch_journal_kind_valid(const char *s, size_t n)
{
	if (n == 0 || n > VOUCH_JOURNAL_KIND_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

void vouch_journal_id(uint8_t out[32], const uint8_t pub[33], const char *name, size_t name_len)
{
	uint8_t b[sizeof ID_TAG + 33 + VOUCH_JOURNAL_NAME_MAX];
	if (name_len > VOUCH_JOURNAL_NAME_MAX)
		name_len = VOUCH_JOURNAL_NAME_MAX;
	memcpy(b, ID_TAG, sizeof ID_TAG);
	memcpy(b + sizeof ID_TAG, pub, 33);
	memcpy(b + sizeof ID_TAG + 33, name, name_len);
	SHA256(b, sizeof ID_TAG + 33 + name_len, out);
}

int vouch_report_data_is_own(const uint8_t *data, size_t len)
{
	uint8_t padded[VOUCH_OWN_REPORT_DATA_TAG_LEN] = {0};
	memcpy(padded, data, len < sizeof padded ? len : sizeof padded);
	return memcmp(padded, VOUCH_OWN_REPORT_DATA_TAG, VOUCH_OWN_REPORT_DATA_TAG_LEN) == 0;
}

void vouch_journal_binding(uint8_t out[64], const uint8_t id[32], const uint8_t pub[33], const uint8_t *nonce,
			   size_t nonce_len)
{
	uint8_t b[sizeof KEY_TAG + 32 + 33 + VOUCH_JOURNAL_NONCE_MAX];
	if (nonce_len > VOUCH_JOURNAL_NONCE_MAX)
		nonce_len = VOUCH_JOURNAL_NONCE_MAX;
	memcpy(b, KEY_TAG, sizeof KEY_TAG);
	memcpy(b + sizeof KEY_TAG, id, 32);
	memcpy(b + sizeof KEY_TAG + 32, pub, 33);
	if (nonce_len)
		memcpy(b + sizeof KEY_TAG + 65, nonce, nonce_len);
	memcpy(out, VOUCH_OWN_REPORT_DATA_TAG, VOUCH_OWN_REPORT_DATA_TAG_LEN);
	SHA384(b, sizeof KEY_TAG + 65 + nonce_len, out + VOUCH_OWN_REPORT_DATA_TAG_LEN);
}

void vouch_journal_checkpoint_digest(uint8_t out[32], const vouch_journal_checkpoint *c)
{
	uint8_t b[sizeof CHECKPOINT_TAG - 1 + 32 + 8 + 32 + 8], *p = b;
	memcpy(p, CHECKPOINT_TAG, sizeof CHECKPOINT_TAG - 1);
	p += sizeof CHECKPOINT_TAG - 1;
	memcpy(p, c->journal_id, 32);
	p = be64(p + 32, c->tree_size);
	memcpy(p, c->root, 32);
	be64(p + 32, c->time_ms);
	vouch_keccak256(out, b, sizeof b);
}

int vouch_journal_checkpoint_sign(vouch_journal_checkpoint *c, const uint8_t key[32])
{
	uint8_t d[32];
	vouch_journal_checkpoint_digest(d, c);
	int e = vouch_secp256k1_sign_recoverable(c->signature, key, d);
	if (!e)
		c->signature[64] += 27;
	return e;
}

int vouch_journal_checkpoint_verify(const vouch_journal_checkpoint *c, const uint8_t pub[33])
{
	uint8_t d[32], got[33];
	if (c->signature[64] != 27 && c->signature[64] != 28)
		return VOUCH_E_JOURNAL_SIGNATURE;
	vouch_journal_checkpoint_digest(d, c);
	if (vouch_secp256k1_recover(got, c->signature, d) || !ct_eq(got, pub, 33))
		return VOUCH_E_JOURNAL_SIGNATURE;
	return 0;
}
