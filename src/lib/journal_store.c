/* The journal's SQLite store: schema, journals, entries, checkpoints (see include/vouch/journal_store.h). */
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "internal.h"
#include "vouch/err.h"
#include "vouch/journal_store.h"

enum { ST_PUT_ENTRY, ST_PUT_CP, ST_SCAN, ST_CPS, ST_SIZE, ST_LATEST, ST_GET_J, ST_LIST_J, ST_ADD_J, ST_SCAN_MAC, ST_N };

static const char *SQL[ST_N] = {
	[ST_PUT_ENTRY] = "INSERT INTO entry (journal, seq, time_ms, client_time_ms, kind, payload_type, payload, leaf_hash,"
			 " mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_PUT_CP] = "INSERT INTO checkpoint (journal, tree_size, root, time_ms, signature) VALUES (?, ?, ?, ?, ?)",
	[ST_SCAN] = "SELECT seq, time_ms, client_time_ms, kind, payload_type, payload, leaf_hash FROM entry"
		    " WHERE journal = ? AND seq >= ? AND seq < ? ORDER BY seq",
	[ST_CPS] = "SELECT tree_size, root, time_ms, signature FROM checkpoint"
		   " WHERE journal = ? AND tree_size >= ? AND tree_size <= ? ORDER BY tree_size",
	[ST_SIZE] = "SELECT max(seq) FROM entry WHERE journal = ?",
	[ST_LATEST] = "SELECT tree_size, root, time_ms, signature FROM checkpoint WHERE journal = ?"
		      " ORDER BY tree_size DESC LIMIT 1",
	[ST_GET_J] = "SELECT name, id, public_key, created_ms FROM journal WHERE name = ?",
	[ST_LIST_J] = "SELECT name, id, public_key, created_ms FROM journal ORDER BY name",
	[ST_ADD_J] = "INSERT INTO journal (name, id, public_key, created_ms) VALUES (?, ?, ?, ?)",
	[ST_SCAN_MAC] = "SELECT seq, leaf_hash, mac FROM entry WHERE journal = ? AND seq >= ? AND seq < ? ORDER BY seq",
};

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS journal (name TEXT PRIMARY KEY, id BLOB NOT NULL, public_key BLOB NOT NULL,"
	" created_ms INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS entry (journal TEXT NOT NULL, seq INTEGER NOT NULL, time_ms INTEGER NOT NULL,"
	" client_time_ms INTEGER, kind TEXT NOT NULL, payload_type INTEGER NOT NULL, payload BLOB NOT NULL,"
	" leaf_hash BLOB NOT NULL, mac BLOB, PRIMARY KEY (journal, seq)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS checkpoint (journal TEXT NOT NULL, tree_size INTEGER NOT NULL, root BLOB NOT NULL,"
	" time_ms INTEGER NOT NULL, signature BLOB NOT NULL, PRIMARY KEY (journal, tree_size)) WITHOUT ROWID;";

struct vouch_journal_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_N];
};

const char *vouch_journal_store_error(vouch_journal_store *s)
{
	return s && s->db ? sqlite3_errmsg(s->db) : "no database";
}

void vouch_journal_store_close(vouch_journal_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_N; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

int vouch_journal_store_open(vouch_journal_store **out, const char *path, int readonly, char *msg, size_t cap)
{
	vouch_journal_store *s = calloc(1, sizeof *s);
	*out = NULL;
	if (!s)
		return VOUCH_E_NOMEM;
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		sqlite3_busy_timeout(s->db, 5000);
	if (rc == SQLITE_OK && !readonly)
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL);
	if (rc == SQLITE_OK && !readonly)
		rc = sqlite3_exec(s->db, SCHEMA, NULL, NULL, NULL);
	/* stores made before entries had a MAC gain the column (NULL for the old rows) */
	sqlite3_stmt *probe = NULL;
	if (rc == SQLITE_OK && !readonly && sqlite3_prepare_v2(s->db, "SELECT mac FROM entry LIMIT 0", -1, &probe, NULL))
		rc = sqlite3_exec(s->db, "ALTER TABLE entry ADD COLUMN mac BLOB", NULL, NULL, NULL);
	sqlite3_finalize(probe);
	for (int i = 0; rc == SQLITE_OK && i < ST_N; i++)
		if (!readonly || (i != ST_PUT_ENTRY && i != ST_PUT_CP && i != ST_ADD_J && i != ST_SCAN_MAC))
			rc = sqlite3_prepare_v3(s->db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
	if (rc != SQLITE_OK) {
		msgf(msg, cap, "journal database %s: %s", path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		vouch_journal_store_close(s);
		return VOUCH_E_JOURNAL_STORE;
	}
	*out = s;
	return 0;
}

static int done(sqlite3_stmt *st, int rc)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW || rc == SQLITE_OK ? 0 : VOUCH_E_JOURNAL_STORE;
}

static void blob(vouch_journal_store *s, int st, int col, const void *p, size_t n)
{
	sqlite3_bind_blob(s->st[st], col, p, (int)n, SQLITE_STATIC);
}

static void text(vouch_journal_store *s, int st, int col, const char *p)
{
	sqlite3_bind_text(s->st[st], col, p, -1, SQLITE_STATIC);
}

static int copy_col(sqlite3_stmt *st, int col, uint8_t *out, size_t n)
{
	if (sqlite3_column_bytes(st, col) != (int)n)
		return VOUCH_E_JOURNAL_STORE;
	memcpy(out, sqlite3_column_blob(st, col), n);
	return 0;
}

static int read_journal(sqlite3_stmt *st, vouch_journal_info *j)
{
	const char *name = (const char *)sqlite3_column_text(st, 0);
	if (!name || strlen(name) > VOUCH_JOURNAL_NAME_MAX)
		return VOUCH_E_JOURNAL_STORE;
	snprintf(j->name, sizeof j->name, "%s", name);
	j->created_ms = (uint64_t)sqlite3_column_int64(st, 3);
	return copy_col(st, 1, j->id, 32) || copy_col(st, 2, j->public_key, 33) ? VOUCH_E_JOURNAL_STORE : 0;
}

int vouch_journal_store_get_journal(vouch_journal_store *s, const char *name, vouch_journal_info *out, int *found)
{
	text(s, ST_GET_J, 1, name);
	int rc = sqlite3_step(s->st[ST_GET_J]);
	*found = rc == SQLITE_ROW;
	int e = *found ? read_journal(s->st[ST_GET_J], out) : 0;
	return done(s->st[ST_GET_J], rc) ? VOUCH_E_JOURNAL_STORE : e;
}

int vouch_journal_store_list_journals(vouch_journal_store *s, vouch_journal_info *out, size_t cap, size_t *n)
{
	int rc, e = 0;
	*n = 0;
	while ((rc = sqlite3_step(s->st[ST_LIST_J])) == SQLITE_ROW && !e)
		if (*n < cap)
			e = read_journal(s->st[ST_LIST_J], &out[(*n)++]);
	return done(s->st[ST_LIST_J], rc) ? VOUCH_E_JOURNAL_STORE : e;
}

int vouch_journal_store_add_journal(vouch_journal_store *s, const vouch_journal_info *j)
{
	text(s, ST_ADD_J, 1, j->name);
	blob(s, ST_ADD_J, 2, j->id, 32);
	blob(s, ST_ADD_J, 3, j->public_key, 33);
	sqlite3_bind_int64(s->st[ST_ADD_J], 4, (sqlite3_int64)j->created_ms);
	return done(s->st[ST_ADD_J], sqlite3_step(s->st[ST_ADD_J]));
}

int vouch_journal_store_begin(vouch_journal_store *s)
{
	return sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : VOUCH_E_JOURNAL_STORE;
}

int vouch_journal_store_commit(vouch_journal_store *s)
{
	return sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : VOUCH_E_JOURNAL_STORE;
}

void vouch_journal_store_rollback(vouch_journal_store *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int vouch_journal_store_put_entry(vouch_journal_store *s, const char *journal, const vouch_journal_entry *e,
				  const uint8_t leaf_hash[32])
{
	return vouch_journal_store_put_entry_mac(s, journal, e, leaf_hash, NULL);
}

int vouch_journal_store_put_entry_mac(vouch_journal_store *s, const char *journal, const vouch_journal_entry *e,
				      const uint8_t leaf_hash[32], const uint8_t *mac)
{
	sqlite3_stmt *st = s->st[ST_PUT_ENTRY];
	text(s, ST_PUT_ENTRY, 1, journal);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)e->seq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)e->time_ms);
	if (e->has_client_time)
		sqlite3_bind_int64(st, 4, e->client_time_ms);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_text(st, 5, e->kind, (int)e->kind_len, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, e->payload_json ? 1 : 0);
	blob(s, ST_PUT_ENTRY, 7, e->payload_len ? (const void *)e->payload : "", e->payload_len);
	blob(s, ST_PUT_ENTRY, 8, leaf_hash, 32);
	if (mac)
		blob(s, ST_PUT_ENTRY, 9, mac, VOUCH_JOURNAL_MAC_LEN);
	else
		sqlite3_bind_null(st, 9);
	return done(st, sqlite3_step(st));
}

int vouch_journal_store_scan_macs(vouch_journal_store *s, const char *journal, uint64_t from, uint64_t to,
				  vouch_journal_mac_fn fn, void *ctx)
{
	sqlite3_stmt *st = s->st[ST_SCAN_MAC];
	if (!st)
		return VOUCH_E_ARG; /* a read-only store */
	text(s, ST_SCAN_MAC, 1, journal);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 3, to > INT64_MAX ? INT64_MAX : (sqlite3_int64)to);
	int rc, e = 0;
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint8_t leaf[32], mac[VOUCH_JOURNAL_MAC_LEN];
		int have = sqlite3_column_type(st, 2) != SQLITE_NULL;
		if (copy_col(st, 1, leaf, 32) || (have && copy_col(st, 2, mac, sizeof mac)))
			e = VOUCH_E_JOURNAL_STORE;
		else
			e = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0), leaf, have ? mac : NULL);
	}
	int d = done(st, e ? SQLITE_DONE : rc);
	return e ? e : d;
}

int vouch_journal_store_put_checkpoint(vouch_journal_store *s, const char *journal, const vouch_journal_checkpoint *c)
{
	sqlite3_stmt *st = s->st[ST_PUT_CP];
	text(s, ST_PUT_CP, 1, journal);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)c->tree_size);
	blob(s, ST_PUT_CP, 3, c->root, 32);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)c->time_ms);
	blob(s, ST_PUT_CP, 5, c->signature, 65);
	return done(st, sqlite3_step(st));
}

int vouch_journal_store_scan(vouch_journal_store *s, const char *journal, uint64_t from, uint64_t to,
			     vouch_journal_entry_fn fn, void *ctx)
{
	sqlite3_stmt *st = s->st[ST_SCAN];
	text(s, ST_SCAN, 1, journal);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 3, to > INT64_MAX ? INT64_MAX : (sqlite3_int64)to);
	int rc, e = 0;
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		vouch_journal_entry en = {0};
		uint8_t leaf[32];
		en.seq = (uint64_t)sqlite3_column_int64(st, 0);
		en.time_ms = (uint64_t)sqlite3_column_int64(st, 1);
		en.has_client_time = sqlite3_column_type(st, 2) != SQLITE_NULL;
		en.client_time_ms = sqlite3_column_int64(st, 2);
		en.kind = (const char *)sqlite3_column_text(st, 3);
		en.kind_len = (size_t)sqlite3_column_bytes(st, 3);
		en.payload_json = sqlite3_column_int(st, 4) != 0;
		en.payload = sqlite3_column_blob(st, 5);
		en.payload_len = (size_t)sqlite3_column_bytes(st, 5);
		if (!en.kind || copy_col(st, 6, leaf, 32))
			e = VOUCH_E_JOURNAL_STORE;
		else
			e = fn(ctx, &en, leaf);
	}
	int d = done(st, e ? SQLITE_DONE : rc);
	return e ? e : d;
}

static int read_checkpoint(sqlite3_stmt *st, vouch_journal_checkpoint *c)
{
	c->tree_size = (uint64_t)sqlite3_column_int64(st, 0);
	c->time_ms = (uint64_t)sqlite3_column_int64(st, 2);
	return copy_col(st, 1, c->root, 32) || copy_col(st, 3, c->signature, 65) ? VOUCH_E_JOURNAL_STORE : 0;
}

int vouch_journal_store_checkpoints(vouch_journal_store *s, const char *journal, uint64_t from, uint64_t to,
				    vouch_journal_checkpoint_fn fn, void *ctx)
{
	sqlite3_stmt *st = s->st[ST_CPS];
	vouch_journal_info j;
	int found, e = vouch_journal_store_get_journal(s, journal, &j, &found);
	if (e || !found)
		return e ? e : VOUCH_E_JOURNAL_STORE;
	text(s, ST_CPS, 1, journal);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 3, to > INT64_MAX ? INT64_MAX : (sqlite3_int64)to);
	int rc;
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		vouch_journal_checkpoint c;
		memcpy(c.journal_id, j.id, 32);
		e = read_checkpoint(st, &c);
		if (!e)
			e = fn(ctx, &c);
	}
	int d = done(st, e ? SQLITE_DONE : rc);
	return e ? e : d;
}

int vouch_journal_store_size(vouch_journal_store *s, const char *journal, uint64_t *size)
{
	sqlite3_stmt *st = s->st[ST_SIZE];
	text(s, ST_SIZE, 1, journal);
	int rc = sqlite3_step(st);
	*size = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ? (uint64_t)sqlite3_column_int64(st, 0) + 1 : 0;
	return done(st, rc);
}

int vouch_journal_store_latest_checkpoint(vouch_journal_store *s, const char *journal, vouch_journal_checkpoint *c,
					  int *have)
{
	vouch_journal_info j;
	int found, e = vouch_journal_store_get_journal(s, journal, &j, &found);
	if (e || !found)
		return e ? e : VOUCH_E_JOURNAL_STORE;
	sqlite3_stmt *st = s->st[ST_LATEST];
	text(s, ST_LATEST, 1, journal);
	int rc = sqlite3_step(st);
	*have = rc == SQLITE_ROW;
	if (*have) {
		memcpy(c->journal_id, j.id, 32);
		e = read_checkpoint(st, c);
	}
	return done(st, rc) ? VOUCH_E_JOURNAL_STORE : e;
}
