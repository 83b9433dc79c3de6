/* The journals' seal (journal_seal.c): one seal text checked against three journals held in memory, as vouchd
 * checks STATE/journal.seal at start. "default" has 5 entries and a checkpoint of all 5, "gateway" 3 entries and
 * a checkpoint of 2, "empty" nothing. Input: the seal's text.
 * Invariants: a seal accepted without --reseal holds, for every journal with entries, a checkpoint signed by
 * that journal's key over a prefix of its entries; what is accepted without --reseal is accepted with it; a
 * refusal says why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app.h"
#include "journal.h"
#include "journal_json.h"
#include "log.h"
#include "vouch/keys.h"
#include "vouch/util.h"

static struct journals js;
static struct journal jr[3];
static struct app app = {.root = {1, 2, 3}}; /* the root the journals' keys come from, and the seal's MAC key */

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_seal: invariant broken: %s\n", what);
		abort();
	}
}

/* A journal as journal.c loads one: its key from a fixed root, entries, the newest checkpoint signed. */
static void make(struct journal *j, const char *name, unsigned entries, unsigned checkpoint)
{
	static const uint8_t root[32] = {1, 2, 3};
	char path[128];
	int n = snprintf(path, sizeof path, "vouch/journal/%s", name);
	vouch_derived_key k;
	check(vouch_get_key(&k, root, path, (size_t)n, "journal", 7, VOUCH_ALG_SECP256K1) == 0, "key derived");
	snprintf(j->info.name, sizeof j->info.name, "%s", name);
	memcpy(j->key, k.key, 32);
	memcpy(j->info.public_key, k.pub, 33);
	vouch_wipe(&k, sizeof k);
	vouch_journal_id(j->info.id, j->info.public_key, name, strlen(name));
	vouch_merkle_mem_init(&j->tree);
	for (unsigned i = 0; i < entries; i++) {
		uint8_t leaf[32], b = (uint8_t)i;
		vouch_merkle_leaf_hash(leaf, &b, 1);
		check(vouch_merkle_mem_append(&j->tree, leaf) == 0, "leaf appended");
	}
	if (checkpoint) {
		vouch_journal_checkpoint *c = &j->latest;
		memcpy(c->journal_id, j->info.id, 32);
		c->tree_size = checkpoint;
		c->time_ms = 1796322917000;
		check(vouch_merkle_root(c->root, checkpoint, vouch_merkle_mem_get, &j->tree) == 0, "root");
		check(vouch_journal_checkpoint_sign(c, j->key) == 0, "checkpoint signed");
		j->have_latest = 1;
	}
	js.j[js.n++] = j;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	log_level = LOG_ERR;
	js.path = "journal.db";
	js.app = &app;
	make(&jr[0], "default", 5, 5);
	make(&jr[1], "gateway", 3, 2);
	make(&jr[2], "empty", 0, 0);
	return 0;
}

/* The journal's sealed checkpoint in text is signed by its key over a prefix of its entries. */
static int sealed_ok(const char *text, size_t len, const struct journal *j)
{
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	const json_t *v = json_object_get(json_object_get(o, "journals"), j->info.name);
	vouch_journal_checkpoint c;
	char msg[256];
	uint8_t root[32];
	int ok = v && jj_parse_checkpoint(v, &c, msg, sizeof msg) == 0 && memcmp(c.journal_id, j->info.id, 32) == 0 &&
		 vouch_journal_checkpoint_verify(&c, j->info.public_key) == 0 && c.tree_size <= j->tree.size &&
		 vouch_merkle_root(root, c.tree_size, vouch_merkle_mem_get, (void *)&j->tree) == 0 &&
		 memcmp(root, c.root, 32) == 0;
	json_decref(o);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024] = "";
	/* "!" then JSON: the seal as vouchd would have MACed it, so that the fuzzer reaches past the MAC */
	char *resigned = NULL;
	if (size && data[0] == '!') {
		json_t *o = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
		uint8_t mac[32];
		char hex[65];
		if (json_is_object(o) && json_is_object(json_object_get(o, "journals")) &&
		    journal_seal_mac(&js, json_object_get(o, "journals"), mac) == 0) {
			vouch_hex_encode(hex, mac, 32);
			json_object_set_new(o, "mac", json_string(hex));
			resigned = json_dumps(o, JSON_COMPACT);
		}
		json_decref(o);
		if (resigned)
			data = (const uint8_t *)resigned, size = strlen(resigned);
	}
	int strict = journal_seal_check_text(&js, "journal.seal", data, size, 1, 0, err, sizeof err);
	if (strict == 0) {
		for (size_t i = 0; i < js.n; i++)
			if (js.j[i]->tree.size)
				check(sealed_ok((const char *)data, size, js.j[i]),
				      "an accepted seal holds a valid checkpoint of every journal with entries");
	} else {
		check(strict == -1 && err[0], "a refused seal says why");
	}
	err[0] = 0;
	int lax = journal_seal_check_text(&js, "journal.seal", data, size, 1, 1, err, sizeof err);
	check(strict != 0 || lax == 0, "--reseal accepts what is accepted without it");
	check(lax == 0 || err[0], "a refused seal says why (--reseal)");
	free(resigned);
	return 0;
}
