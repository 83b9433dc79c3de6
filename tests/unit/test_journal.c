/* The journal: its byte formats rebuilt here by hand from the documented layout, checkpoint signatures, the
 * SQLite store, and the audit finding each kind of tampering (done to the database with plain SQL) at its
 * position. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <sqlite3.h>

#include "internal.h"
#include "test.h"
#include "vouch/journal.h"
#include "vouch/journal_store.h"
#include "vouch/keys.h"
#include "vouch/merkle.h"
#include "vouch/util.h"

static const uint8_t KEY[32] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
				7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};

static void pub_of(uint8_t pub[33])
{
	vouch_derived_key k;
	/* any valid secp256k1 key: derive one and use it as the journal key */
	vouch_get_key(&k, KEY, "vouch/journal/test", 18, "journal", 7, VOUCH_ALG_SECP256K1);
	memcpy(pub, k.pub, 33);
}

static void leaf_layout(void)
{
	static const uint8_t payload[] = "{\"text\":\"gm\"}";
	vouch_journal_entry e = {.seq = 0x0102030405060708ull, .time_ms = 1764000000000ull, .has_client_time = 1,
				 .client_time_ms = -2, .kind = "post", .kind_len = 4, .payload_json = 1,
				 .payload = payload, .payload_len = sizeof payload - 1};
	uint8_t *leaf;
	size_t n;
	CHECK_OK(vouch_journal_leaf(&leaf, &n, &e));
	/* "vouch.journal.entry.v1\0" seq time flag client LP(kind) type LP(payload) */
	uint8_t want[200], *p = want;
	memcpy(p, "vouch.journal.entry.v1", 23), p += 23;
	memcpy(p, "\x01\x02\x03\x04\x05\x06\x07\x08", 8), p += 8;
	memcpy(p, "\x00\x00\x01\x9a\xb6\x97\xe8\x00", 8), p += 8; /* 1764000000000 */
	*p++ = 1;
	memcpy(p, "\xff\xff\xff\xff\xff\xff\xff\xfe", 8), p += 8;
	memcpy(p, "\x00\x00\x00\x04post", 8), p += 8;
	*p++ = 1;
	memcpy(p, "\x00\x00\x00\x0d", 4), p += 4;
	memcpy(p, payload, 13), p += 13;
	CHECK_INT(n, (size_t)(p - want));
	CHECK(memcmp(leaf, want, n) == 0);
	uint8_t h[32], h2[32], pre[256];
	pre[0] = 0;
	memcpy(pre + 1, want, n);
	SHA256(pre, n + 1, h2);
	CHECK_OK(vouch_journal_leaf_hash(h, &e));
	CHECK(memcmp(h, h2, 32) == 0);
	/* no client time: flag 0 and eight zero bytes */
	e.has_client_time = 0;
	free(leaf);
	CHECK_OK(vouch_journal_leaf(&leaf, &n, &e));
	CHECK(leaf[39] == 0 && all_zero(leaf + 40, 8));
	free(leaf);
}

static void names_and_kinds(void)
{
	CHECK(vouch_journal_name_valid("default", 7));
	CHECK(vouch_journal_name_valid("agent-1.posts_v2", 16));
	CHECK(!vouch_journal_name_valid("", 0));
	CHECK(!vouch_journal_name_valid("a/b", 3));
	CHECK(!vouch_journal_name_valid("a b", 3));
	char long_name[66];
	memset(long_name, 'a', 65);
	CHECK(vouch_journal_name_valid(long_name, 64));
	CHECK(!vouch_journal_name_valid(long_name, 65));
	CHECK(vouch_journal_kind_valid("tweet reply", 11));
	CHECK(!vouch_journal_kind_valid("a\nb", 3));
	CHECK(!vouch_journal_kind_valid("", 0));
}

static void id_and_binding(void)
{
	uint8_t pub[33], id[32], want[32], bound[64], want_rd[64], b[200];
	pub_of(pub);
	vouch_journal_id(id, pub, "default", 7);
	memcpy(b, "vouch.journal.id.v1", 20);
	memcpy(b + 20, pub, 33);
	memcpy(b + 53, "default", 7);
	SHA256(b, 60, want);
	CHECK(memcmp(id, want, 32) == 0);
	vouch_journal_binding(bound, id, pub, (const uint8_t *)"nonce", 5);
	/* v2: vouchd's own tag, then SHA-384 of the tagged id, key and nonce */
	memcpy(b, "vouch.journal.key.v2", 21);
	memcpy(b + 21, id, 32);
	memcpy(b + 53, pub, 33);
	memcpy(b + 86, "nonce", 5);
	memcpy(want_rd, "\xff" "vouchd-own-rd/1", 16);
	SHA384(b, 91, want_rd + 16);
	CHECK(memcmp(bound, want_rd, 64) == 0);
	CHECK(vouch_report_data_is_own(bound, 64));
	/* a client's short report data is compared zero-padded */
	CHECK(vouch_report_data_is_own(bound, 16));
	CHECK(!vouch_report_data_is_own(bound, 15));
	CHECK(!vouch_report_data_is_own(bound + 1, 63));
}

static void checkpoint_signatures(void)
{
	uint8_t pub[33];
	vouch_derived_key k;
	vouch_get_key(&k, KEY, "vouch/journal/test", 18, "journal", 7, VOUCH_ALG_SECP256K1);
	pub_of(pub);
	vouch_journal_checkpoint c = {.tree_size = 42, .time_ms = 1764000000123ull};
	vouch_journal_id(c.journal_id, pub, "default", 7);
	memset(c.root, 0xab, 32);
	CHECK_OK(vouch_journal_checkpoint_sign(&c, k.key));
	CHECK(c.signature[64] == 27 || c.signature[64] == 28);
	CHECK_OK(vouch_journal_checkpoint_verify(&c, pub));
	/* the digest is keccak256 of the packed message */
	uint8_t msg[27 + 32 + 8 + 32 + 8], *p = msg, d[32], d2[32];
	memcpy(p, "vouch.journal.checkpoint.v1", 27), p += 27;
	memcpy(p, c.journal_id, 32), p += 32;
	memcpy(p, "\0\0\0\0\0\0\0\x2a", 8), p += 8;
	memcpy(p, c.root, 32), p += 32;
	memcpy(p, "\x00\x00\x01\x9a\xb6\x97\xe8\x7b", 8); /* 1764000000123 */
	vouch_keccak256(d, msg, sizeof msg);
	vouch_journal_checkpoint_digest(d2, &c);
	CHECK(memcmp(d, d2, 32) == 0);
	/* any field changed, the signature no longer holds */
	vouch_journal_checkpoint t = c;
	t.tree_size++;
	CHECK_ERR(vouch_journal_checkpoint_verify(&t, pub), VOUCH_E_JOURNAL_SIGNATURE);
	t = c, t.root[31] ^= 1;
	CHECK_ERR(vouch_journal_checkpoint_verify(&t, pub), VOUCH_E_JOURNAL_SIGNATURE);
	t = c, t.time_ms++;
	CHECK_ERR(vouch_journal_checkpoint_verify(&t, pub), VOUCH_E_JOURNAL_SIGNATURE);
	t = c, t.journal_id[0] ^= 1;
	CHECK_ERR(vouch_journal_checkpoint_verify(&t, pub), VOUCH_E_JOURNAL_SIGNATURE);
	t = c, t.signature[64] -= 27; /* v as 0/1: not the documented form */
	CHECK_ERR(vouch_journal_checkpoint_verify(&t, pub), VOUCH_E_JOURNAL_SIGNATURE);
	t = c, t.signature[10] ^= 1;
	CHECK_ERR(vouch_journal_checkpoint_verify(&t, pub), VOUCH_E_JOURNAL_SIGNATURE);
	uint8_t other[33];
	memcpy(other, pub, 33);
	other[32] ^= 1;
	CHECK_ERR(vouch_journal_checkpoint_verify(&c, other), VOUCH_E_JOURNAL_SIGNATURE);
}

/* A store with 250 entries of journal "default" and checkpoints at 100, 200 and 250. */
static char db_path[64];
static vouch_journal_info info;

static int build_store(void)
{
	char msg[256];
	vouch_journal_store *s;
	vouch_derived_key k;
	vouch_get_key(&k, KEY, "vouch/journal/test", 18, "journal", 7, VOUCH_ALG_SECP256K1);
	snprintf(db_path, sizeof db_path, "/tmp/vouch-journal-test-%d.db", (int)getpid());
	unlink(db_path);
	if (vouch_journal_store_open(&s, db_path, 0, msg, sizeof msg))
		return -1;
	snprintf(info.name, sizeof info.name, "default");
	memcpy(info.public_key, k.pub, 33);
	vouch_journal_id(info.id, k.pub, "default", 7);
	info.created_ms = 1764000000000ull;
	int e = vouch_journal_store_add_journal(s, &info);
	vouch_merkle_mem t;
	vouch_merkle_mem_init(&t);
	for (uint64_t i = 0; !e && i < 250; i++) {
		char payload[64];
		int n = snprintf(payload, sizeof payload, "{\"n\":%llu}", (unsigned long long)i);
		vouch_journal_entry en = {.seq = i, .time_ms = 1764000000000ull + i, .kind = "post", .kind_len = 4,
					  .payload_json = 1, .payload = (const uint8_t *)payload, .payload_len = (size_t)n};
		uint8_t h[32];
		e = vouch_journal_leaf_hash(h, &en) || vouch_journal_store_put_entry(s, "default", &en, h) ||
		    vouch_merkle_mem_append(&t, h);
		if (!e && ((i + 1) % 100 == 0 || i + 1 == 250)) {
			vouch_journal_checkpoint c = {.tree_size = i + 1, .time_ms = 1764000001000ull + i};
			memcpy(c.journal_id, info.id, 32);
			e = vouch_merkle_root(c.root, i + 1, vouch_merkle_mem_get, &t) ||
			    vouch_journal_checkpoint_sign(&c, k.key) || vouch_journal_store_put_checkpoint(s, "default", &c);
		}
	}
	vouch_merkle_mem_free(&t);
	vouch_journal_store_close(s);
	return e;
}

static int add_cp(void *ctx, const vouch_journal_checkpoint *c)
{
	return vouch_journal_audit_checkpoint(ctx, c);
}

static int add_entry(void *ctx, const vouch_journal_entry *e, const uint8_t h[32])
{
	return vouch_journal_audit_entry(ctx, e, h);
}

/* Audits the store: 0, or the error with a->bad_seq/bad_to/msg filled. */
static int audit(vouch_journal_audit *a)
{
	char msg[256];
	vouch_journal_store *s;
	int found, e = vouch_journal_store_open(&s, db_path, 1, msg, sizeof msg);
	vouch_journal_info j;
	if (!e)
		e = vouch_journal_store_get_journal(s, "default", &j, &found);
	if (!e && !vouch_journal_audit_init(a, &j)) {
		vouch_journal_store_checkpoints(s, "default", 0, UINT64_MAX, add_cp, a);
		vouch_journal_store_scan(s, "default", 0, UINT64_MAX, add_entry, a);
		vouch_journal_audit_finish(a);
	}
	vouch_journal_store_close(s);
	return e ? e : a->err;
}

static void sql(const char *stmt)
{
	sqlite3 *db;
	sqlite3_open(db_path, &db);
	char *err = NULL;
	if (sqlite3_exec(db, stmt, NULL, NULL, &err) != SQLITE_OK)
		fprintf(stderr, "  SQL %s: %s\n", stmt, err);
	sqlite3_free(err);
	sqlite3_close(db);
}

/* Recomputes the leaf hash column from the (tampered) fields: the tamperer who covers their tracks. */
static void rehash(void)
{
	char msg[256];
	vouch_journal_store *s;
	if (vouch_journal_store_open(&s, db_path, 0, msg, sizeof msg))
		return;
	sqlite3 *db;
	sqlite3_open(db_path, &db);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "SELECT seq, time_ms, kind, payload FROM entry ORDER BY seq", -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		vouch_journal_entry e = {.seq = (uint64_t)sqlite3_column_int64(st, 0),
					 .time_ms = (uint64_t)sqlite3_column_int64(st, 1),
					 .kind = (const char *)sqlite3_column_text(st, 2),
					 .kind_len = (size_t)sqlite3_column_bytes(st, 2), .payload_json = 1,
					 .payload = sqlite3_column_blob(st, 3),
					 .payload_len = (size_t)sqlite3_column_bytes(st, 3)};
		uint8_t h[32];
		vouch_journal_leaf_hash(h, &e);
		char q[200], hex[65];
		vouch_hex_encode(hex, h, 32);
		snprintf(q, sizeof q, "UPDATE entry SET leaf_hash = x'%s' WHERE seq = %llu", hex,
			 (unsigned long long)e.seq);
		sqlite3_exec(db, q, NULL, NULL, NULL);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	vouch_journal_store_close(s);
}

#define TAMPER(setup, code, from, to, words)                                                                       \
	do {                                                                                                       \
		CHECK_OK(build_store());                                                                           \
		setup;                                                                                             \
		vouch_journal_audit a;                                                                             \
		int _e = audit(&a);                                                                                \
		vouch_journal_audit_free(&a);                                                                      \
		if (_e != (code) || a.bad_seq != (from) || a.bad_to != (to) || !strstr(a.msg, words)) {            \
			test_failf(__FILE__, __LINE__, "%s: %s [%llu, %llu) \"%s\"", #setup, vouch_errname(_e),    \
				   (unsigned long long)a.bad_seq, (unsigned long long)a.bad_to, a.msg);            \
			return;                                                                                    \
		}                                                                                                  \
	} while (0)

static void an_untouched_store_audits(void)
{
	CHECK_OK(build_store());
	vouch_journal_audit a;
	CHECK_OK(audit(&a));
	CHECK_INT(a.size, 250);
	CHECK_INT(a.checked_cps, 3);
	vouch_journal_audit_free(&a);
	unlink(db_path);
}

static void tampering_is_found_where_it_is(void)
{
	/* a payload changed: its own leaf hash says so */
	TAMPER(sql("UPDATE entry SET payload = '{\"n\":999}' WHERE seq = 123"), VOUCH_E_JOURNAL_ENTRY, 123, 124, "changed");
	/* ...and with the leaf hash recomputed: the checkpoint covering it does not reproduce */
	TAMPER((sql("UPDATE entry SET payload = '{\"n\":999}' WHERE seq = 123"), rehash()), VOUCH_E_JOURNAL_TAMPERED, 100,
	       200, "do not reproduce");
	/* removed */
	TAMPER(sql("DELETE FROM entry WHERE seq = 57"), VOUCH_E_JOURNAL_TAMPERED, 57, 58, "missing");
	/* removed from the end (covered by the last checkpoint) */
	TAMPER(sql("DELETE FROM entry WHERE seq >= 240"), VOUCH_E_JOURNAL_TAMPERED, 240, 250, "removed");
	/* inserted in the middle, later entries renumbered, hashes recomputed */
	TAMPER((sql("UPDATE entry SET seq = seq + 1000 WHERE seq >= 150; UPDATE entry SET seq = seq - 999 WHERE seq >= 1150;"
		    "INSERT INTO entry SELECT journal, 150, time_ms, NULL, kind, payload_type, '{\"n\":\"forged\"}', leaf_hash, NULL"
		    " FROM entry WHERE seq = 149"),
		rehash()),
	       VOUCH_E_JOURNAL_TAMPERED, 100, 200, "do not reproduce");
	/* two entries swapped */
	TAMPER((sql("UPDATE entry SET seq = -1 WHERE seq = 10; UPDATE entry SET seq = 10 WHERE seq = 11;"
		    "UPDATE entry SET seq = 11 WHERE seq = -1"),
		rehash()),
	       VOUCH_E_JOURNAL_TAMPERED, 0, 100, "do not reproduce");
	/* a checkpoint altered: its root, its size, its time */
	TAMPER(sql("UPDATE checkpoint SET root = zeroblob(32) WHERE tree_size = 200"), VOUCH_E_JOURNAL_SIGNATURE, 0, 200,
	       "not signed");
	TAMPER(sql("UPDATE checkpoint SET tree_size = 201 WHERE tree_size = 200"), VOUCH_E_JOURNAL_SIGNATURE, 0, 201,
	       "not signed");
	TAMPER(sql("UPDATE checkpoint SET time_ms = time_ms + 1 WHERE tree_size = 100"), VOUCH_E_JOURNAL_SIGNATURE, 0, 100,
	       "not signed");
	unlink(db_path);
}

static void a_fork_is_found(void)
{
	/* a checkpoint signed by the same key for the same size but another tree (e.g. a copy of the state
	 * directory that went on appending) */
	CHECK_OK(build_store());
	vouch_derived_key k;
	vouch_get_key(&k, KEY, "vouch/journal/test", 18, "journal", 7, VOUCH_ALG_SECP256K1);
	vouch_journal_checkpoint other = {.tree_size = 200, .time_ms = 1};
	memcpy(other.journal_id, info.id, 32);
	memset(other.root, 0x5a, 32);
	CHECK_OK(vouch_journal_checkpoint_sign(&other, k.key));
	vouch_journal_audit a;
	char msg[256];
	vouch_journal_store *s;
	CHECK_OK(vouch_journal_store_open(&s, db_path, 1, msg, sizeof msg));
	CHECK_OK(vouch_journal_audit_init(&a, &info));
	CHECK_OK(vouch_journal_store_checkpoints(s, "default", 0, UINT64_MAX, add_cp, &a));
	CHECK_ERR(vouch_journal_audit_checkpoint(&a, &other), VOUCH_E_JOURNAL_CONSISTENCY);
	CHECK(strstr(a.msg, "fork"));
	vouch_journal_audit_free(&a);
	/* one at a size the store has no checkpoint for is checked against the recomputed tree */
	other.tree_size = 150;
	CHECK_OK(vouch_journal_checkpoint_sign(&other, k.key));
	CHECK_OK(vouch_journal_audit_init(&a, &info));
	CHECK_OK(vouch_journal_store_checkpoints(s, "default", 0, UINT64_MAX, add_cp, &a));
	CHECK_OK(vouch_journal_audit_checkpoint(&a, &other));
	vouch_journal_store_scan(s, "default", 0, UINT64_MAX, add_entry, &a);
	CHECK_ERR(a.err, VOUCH_E_JOURNAL_TAMPERED);
	CHECK_INT(a.bad_seq, 100);
	CHECK_INT(a.bad_to, 150);
	vouch_journal_audit_free(&a);
	vouch_journal_store_close(s);
	unlink(db_path);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(leaf_layout),
		T(names_and_kinds),
		T(id_and_binding),
		T(checkpoint_signatures),
		T(an_untouched_store_audits),
		T(tampering_is_found_where_it_is),
		T(a_fork_is_found),
	};
	return test_main(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
