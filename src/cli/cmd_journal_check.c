/* vouch journal verify (a proof bundle, offline) and vouch journal audit (a whole journal, from its database
 * or from vouchd's public listener). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "journal_cli.h"
#include "journal_json.h"
#include "pins.h"
#include "rpc.h"
#include "vouch/err.h"
#include "vouch/journal_bundle.h"
#include "vouch/journal_store.h"
#include "vouch/merkle.h"
#include "vouch/util.h"

static void verify_usage(FILE *f)
{
	fprintf(f,
		"usage: vouch journal verify BUNDLE [options]\n"
		"  checks a proof bundle offline, step by step: the quote (DCAP, with the bundle's collateral),\n"
		"  the event log, the measurements you expect, the journal's creation event, the key binding,\n"
		"  the checkpoint signature, the inclusion proof, the entry; prints the identity it verified\n"
		PIN_USAGE
		"  --expect-journal-key HEX   the journal's public key you know (33 bytes, compressed secp256k1)\n"
		"  --expect-journal-id HEX    the journal's id you know (32 bytes)\n"
		"  --root DER                 trust this root instead of Intel's (the verdict says simulated)\n"
		"  --now TIME                 verification time (default the clock; a bundle whose collateral has\n"
		"                             expired verifies at an earlier time, e.g. its exported_ms)\n"
		"  --allow-debug              accept a debug TD (never for production)\n"
		"  --json                     the verdict as JSON, every step with its result, and \"identity\"\n"
		"exit: 0 verified, 2 not verified (a pin that does not match included), 64 usage, 66 unreadable\n");
}

/* The identity the bundle's verified quote and event log establish. */
static void journal_identity(struct identity *id, const vouch_journal_verdict *v)
{
	memset(id, 0, sizeof *id);
	id->app_id_len = v->app_id_len;
	memcpy(id->app_id, v->app_id, v->app_id_len);
	id->compose_hash_len = v->have_compose_hash ? 32 : 0;
	memcpy(id->compose_hash, v->compose_hash, 32);
	memcpy(id->mr_td, v->mr_td, 48);
	memcpy(id->rtmr, v->rtmr, sizeof id->rtmr);
}

int cmd_journal_verify(int argc, char **argv)
{
	enum { O_KEY = 256, O_ID };
	static const struct option opts[] = {
		PIN_OPTIONS,
		{"expect-journal-key", required_argument, 0, O_KEY}, {"expect-journal-id", required_argument, 0, O_ID},
		{"root", required_argument, 0, 'r'}, {"now", required_argument, 0, 'n'},
		{"allow-debug", no_argument, 0, 'd'}, {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0}};
	uint8_t jkey[33], jid[32];
	struct pins pins;
	memset(&pins, 0, sizeof pins);
	vouch_journal_verify_opts o = {.now = (int64_t)time(NULL)};
	const char *root = NULL;
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int taken = pin_option(&pins, c, optarg, "journal verify");
		if (taken < 0)
			return EXIT_USAGE;
		if (taken)
			continue;
		switch (c) {
		case O_KEY:
			if (!vouch_hex_decode_exact(jkey, 33, optarg) || (jkey[0] != 2 && jkey[0] != 3)) {
				errorf("journal verify", "--expect-journal-key: 66 hex digits of a compressed key (02/03…) expected");
				return EXIT_USAGE;
			}
			o.expect_journal_key = jkey;
			break;
		case O_ID:
			if (!vouch_hex_decode_exact(jid, 32, optarg)) {
				errorf("journal verify", "--expect-journal-id: 64 hex digits expected");
				return EXIT_USAGE;
			}
			o.expect_journal_id = jid;
			break;
		case 'r': root = optarg; break;
		case 'n':
			if (parse_now(optarg, &o.now)) {
				errorf("journal verify", "--now: \"%s\" is neither Unix seconds nor RFC 3339", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd': o.flags |= VOUCH_ALLOW_DEBUG; break;
		case 'j': json = 1; break;
		case 'h': verify_usage(stdout); return 0;
		default: verify_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		verify_usage(stderr);
		return EXIT_USAGE;
	}
	o.expect_compose_hash = pins.compose_hash;
	o.expect_mr_td = pins.mr_td;
	o.expect_app_id = pins.app_id;
	o.expect_app_id_len = pins.app_id_len;
	size_t len, rlen;
	uint8_t *text = read_file(argv[optind], VOUCH_JOURNAL_BUNDLE_MAX, &len), *root_der = NULL;
	if (!text || (root && !(root_der = read_file(root, 1u << 20, &rlen)))) {
		free(text);
		return EXIT_NOINPUT;
	}
	o.root_der = root_der;
	o.root_der_len = root ? rlen : 0;
	vouch_journal_verdict *v = malloc(sizeof *v);
	if (!v)
		return EXIT_INVALID;
	vouch_journal_bundle_verify(v, (const char *)text, len, &o);
	struct identity id;
	journal_identity(&id, v);
	if (json) {
		char *s = vouch_journal_verdict_json(v);
		if (s && v->have_mr_td)
			s = identity_add_json(s, &id, &pins);
		if (s)
			puts(s);
		free(s);
	} else {
		if (v->simulated)
			printf("SIMULATED: the trust anchor is not Intel's SGX Root CA; this proves nothing about real hardware\n");
		if (v->ok)
			printf("VERIFIED: entry %llu (\"%s\") of journal %s was written by this TEE\n", (unsigned long long)v->seq,
			       v->kind, v->journal.name);
		else
			printf("NOT VERIFIED: step %s: %s\n", v->steps[v->failed_step].name, v->steps[v->failed_step].note);
		static const char *mark[] = {"  ", "ok", "!!", "--"};
		for (int i = 0; i < VOUCH_JSTEP_COUNT; i++)
			printf("  %s %-14s %s\n", mark[v->steps[i].state], v->steps[i].name,
			       v->steps[i].state == VOUCH_JSTEP_NOT_RUN ? "(not run)" : v->steps[i].note);
		if (v->have_mr_td)
			identity_print(&id, &pins, 14);
		if (v->ok && v->entry_json)
			printf("  entry          %s\n", v->entry_json);
	}
	int rc = v->ok ? 0 : EXIT_INVALID;
	vouch_journal_verdict_free(v);
	free(v);
	free(text);
	free(root_der);
	return rc;
}

/* ---- audit ---- */

static void audit_usage(FILE *f)
{
	fprintf(f,
		"usage: vouch journal audit DB|URL [--journal NAME] [--checkpoint FILE]... [--json]\n"
		"  recomputes a journal from its entries — from vouchd's database file (STATE/journal.db) or its\n"
		"  public listener (http://host:port) — and checks every signed checkpoint against it; the first\n"
		"  position at fault is named. --checkpoint adds a checkpoint kept from earlier (the output of\n"
		"  vouch journal checkpoint --json, or a proof bundle): a fork shows as a checkpoint this journal\n"
		"  cannot reproduce. Entries after the last checkpoint are covered by no signature and said so; a\n"
		"  journal with entries and no checkpoint at all is UNVERIFIED (its checkpoints may have been\n"
		"  deleted). Through a URL, the audit stops at the checkpoint the server announces (JournalList).\n"
		"  The audit checks signatures by the journal's key, not that a TEE holds that key: verify an\n"
		"  exported bundle (vouch journal verify) for that.\n"
		"exit: 0 consistent, 2 tampered, forked or unverified, 64 usage, 66 unreadable, 69 unreachable\n");
}

static int feed_cp(void *ctx, const vouch_journal_checkpoint *c)
{
	return vouch_journal_audit_checkpoint(ctx, c);
}

static int feed_entry(void *ctx, const vouch_journal_entry *e, const uint8_t h[32])
{
	return vouch_journal_audit_entry(ctx, e, h);
}

static int audit_db(vouch_journal_audit *a, const char *path, const char *name)
{
	char msg[512];
	vouch_journal_store *s;
	vouch_journal_info j;
	int found;
	if (vouch_journal_store_open(&s, path, 1, msg, sizeof msg)) {
		errorf("journal audit", "%s", msg);
		return EXIT_NOINPUT;
	}
	if (vouch_journal_store_get_journal(s, name, &j, &found) || !found) {
		errorf("journal audit", "%s: no journal named %s", path, name);
		vouch_journal_store_close(s);
		return EXIT_NOINPUT;
	}
	if (!vouch_journal_audit_init(a, &j))
		vouch_journal_store_checkpoints(s, name, 0, UINT64_MAX, feed_cp, a);
	vouch_journal_store_close(s);
	return 0;
}

static int audit_db_entries(vouch_journal_audit *a, const char *path, const char *name)
{
	char msg[512];
	vouch_journal_store *s;
	if (vouch_journal_store_open(&s, path, 1, msg, sizeof msg))
		return EXIT_NOINPUT;
	int e = vouch_journal_store_scan(s, name, 0, UINT64_MAX, feed_entry, a);
	vouch_journal_store_close(s);
	if (e && !a->err) {
		errorf("journal audit", "%s: reading entries failed", path);
		return EXIT_NOINPUT;
	}
	return 0;
}

/* One call to the public listener; takes the body's reference. */
static json_t *url_call(const char *url, const char *method, json_t *body)
{
	json_t *r = rpc_call_url(url, method, body, "journal audit");
	json_decref(body);
	return r;
}

/* From the public listener: the journal, its checkpoints (and the consistency proofs between consecutive
 * ones), its entries page by page. */
static int audit_url_head(vouch_journal_audit *a, const char *url, const char *name, uint64_t *limit)
{
	json_t *l = url_call(url, "JournalList", NULL), *j, *found = NULL;
	size_t i;
	if (!l)
		return EXIT_UNAVAILABLE;
	json_array_foreach(json_object_get(l, "journals"), i, j)
		if (!strcmp(json_string_value(json_object_get(j, "name")) ?: "", name))
			found = j;
	vouch_journal_info info;
	vouch_journal_checkpoint announced;
	char msg[256];
	json_t *head = json_object_get(found, "checkpoint");
	if (!found || jj_parse_journal(found, &info, msg, sizeof msg) ||
	    (json_is_object(head) && jj_parse_checkpoint(head, &announced, msg, sizeof msg))) {
		errorf("journal audit", "%s: %s", url, found ? msg : "no such journal");
		json_decref(l);
		return EXIT_INVALID;
	}
	/* what is audited is what the server's newest signed checkpoint covers, then no more: a server that keeps
	 * serving entries (or checkpoints) past it cannot keep the audit reading */
	*limit = json_is_object(head) ? announced.tree_size : 0;
	json_decref(l);
	if (vouch_journal_audit_init(a, &info))
		return 0;
	uint64_t from = 0, prev = 0;
	for (;;) {
		json_t *r = url_call(url, "JournalCheckpoints", json_pack("{s:s, s:I}", "journal", name, "from", (json_int_t)from)),
		       *c;
		if (!r)
			return EXIT_UNAVAILABLE;
		json_t *arr = json_object_get(r, "checkpoints");
		json_array_foreach(arr, i, c)
		{
			vouch_journal_checkpoint cp;
			if (jj_parse_checkpoint(c, &cp, msg, sizeof msg)) {
				errorf("journal audit", "%s: %s", url, msg);
				json_decref(r);
				return EXIT_INVALID;
			}
			if (cp.tree_size > *limit || cp.tree_size < from) {
				json_decref(r);
				return 0; /* past the announced checkpoint, or not in the order asked for */
			}
			if (vouch_journal_audit_checkpoint(a, &cp))
				break;
			/* the server's own consistency proof from the previous checkpoint, checked */
			if (prev) {
				json_t *p = url_call(url, "JournalConsistency", json_pack("{s:s, s:I, s:I}", "journal", name, "first",
											 (json_int_t)prev, "second", (json_int_t)cp.tree_size));
				vouch_journal_checkpoint c1;
				uint8_t path[VOUCH_MERKLE_MAX_PROOF][32];
				size_t n = json_array_size(json_object_get(p, "path")), k;
				json_t *h;
				int ok = p && n <= VOUCH_MERKLE_MAX_PROOF && !jj_parse_checkpoint(json_object_get(p, "first"), &c1, msg, sizeof msg);
				json_array_foreach(json_object_get(p, "path"), k, h)
				{
					json_t *box = json_pack("{s:O}", "h", h);
					ok = ok && !jj_hex(box, "h", path[k], 32, msg, sizeof msg);
					json_decref(box);
				}
				ok = ok && vouch_merkle_verify_consistency(prev, cp.tree_size, c1.root, cp.root, (const uint8_t(*)[32])path, n);
				json_decref(p);
				if (!ok && !a->err) {
					snprintf(a->msg, sizeof a->msg, "the consistency proof from checkpoint %llu to %llu does not hold",
						 (unsigned long long)prev, (unsigned long long)cp.tree_size);
					a->err = VOUCH_E_JOURNAL_CONSISTENCY, a->bad_seq = prev, a->bad_to = cp.tree_size;
				}
			}
			prev = cp.tree_size;
			from = cp.tree_size + 1;
		}
		size_t got = json_array_size(arr);
		json_decref(r);
		if (got == 0 || a->err)
			return 0;
	}
}

static int audit_url_entries(vouch_journal_audit *a, const char *url, const char *name, uint64_t limit)
{
	uint64_t from = 0;
	char msg[256];
	while (!a->err && from < limit) {
		uint64_t count = limit - from < 1000 ? limit - from : 1000;
		json_t *r = url_call(url, "JournalGet",
				     json_pack("{s:s, s:I, s:I}", "journal", name, "from", (json_int_t)from, "count", (json_int_t)count)),
		       *e;
		if (!r)
			return EXIT_UNAVAILABLE;
		json_t *arr = json_object_get(r, "entries");
		size_t i;
		if (json_array_size(arr) > count) {
			snprintf(a->msg, sizeof a->msg, "the server answered %zu entries from %llu where %llu were asked for",
				 json_array_size(arr), (unsigned long long)from, (unsigned long long)count);
			a->err = VOUCH_E_JOURNAL_FORMAT, a->bad_seq = from, a->bad_to = from + json_array_size(arr);
			json_decref(r);
			return 0;
		}
		json_array_foreach(arr, i, e)
		{
			vouch_journal_entry en;
			uint8_t *buf, leaf[32];
			if (jj_parse_entry(e, &en, &buf, leaf, msg, sizeof msg)) {
				snprintf(a->msg, sizeof a->msg, "entry after %llu: %s", (unsigned long long)from + i, msg);
				a->err = VOUCH_E_JOURNAL_FORMAT, a->bad_seq = from + i, a->bad_to = from + i + 1;
				break;
			}
			vouch_journal_audit_entry(a, &en, leaf);
			free(buf);
		}
		size_t got = json_array_size(arr);
		json_decref(r);
		if (got == 0)
			return 0;
		from += got;
	}
	return 0;
}

/* A checkpoint kept from earlier: `vouch journal checkpoint --json`, a bundle, or a bare checkpoint. */
static int external_checkpoint(vouch_journal_audit *a, const char *file)
{
	size_t n;
	uint8_t *text = read_file(file, VOUCH_JOURNAL_BUNDLE_MAX, &n);
	if (!text)
		return EXIT_NOINPUT;
	json_t *o = json_loadb((const char *)text, n, 0, NULL), *c = json_object_get(o, "checkpoint");
	free(text);
	vouch_journal_checkpoint cp;
	char msg[256];
	if (jj_parse_checkpoint(c ? c : o, &cp, msg, sizeof msg)) {
		errorf("journal audit", "--checkpoint %s: %s", file, msg);
		json_decref(o);
		return EXIT_INVALID;
	}
	json_decref(o);
	vouch_journal_audit_checkpoint(a, &cp);
	return 0;
}

int cmd_journal_audit(int argc, char **argv)
{
	static const struct option opts[] = {{"journal", required_argument, 0, 'J'}, {"checkpoint", required_argument, 0, 'c'},
					     {"json", no_argument, 0, 'j'},          {"help", no_argument, 0, 'h'},
					     {0}};
	const char *name = "default", *extra[64];
	size_t n_extra = 0;
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'J': name = optarg; break;
		case 'c':
			if (n_extra == 64) {
				errorf("journal audit", "at most 64 --checkpoint");
				return EXIT_USAGE;
			}
			extra[n_extra++] = optarg;
			break;
		case 'j': json = 1; break;
		case 'h': audit_usage(stdout); return 0;
		default: audit_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		audit_usage(stderr);
		return EXIT_USAGE;
	}
	const char *src = argv[optind];
	int url = !strncmp(src, "http://", 7) || !strncmp(src, "https://", 8);
	vouch_journal_audit *a = calloc(1, sizeof *a);
	if (!a)
		return EXIT_INVALID;
	uint64_t limit = 0;
	int rc = url ? audit_url_head(a, src, name, &limit) : audit_db(a, src, name);
	for (size_t i = 0; !rc && i < n_extra && !a->err; i++)
		rc = external_checkpoint(a, extra[i]);
	if (!rc && !a->err)
		rc = url ? audit_url_entries(a, src, name, limit) : audit_db_entries(a, src, name);
	if (!rc)
		vouch_journal_audit_finish(a);
	/* entries and not one checkpoint: nothing signed vouches for any of them (deleted checkpoints look so) */
	int unverified = !a->err && a->size > 0 && a->n_cps == 0;
	if (rc) {
		vouch_journal_audit_free(a);
		free(a);
		return rc;
	}
	uint64_t covered = a->n_cps ? a->cps[a->n_cps - 1].tree_size : 0;
	uint8_t root[32];
	char root_hex[65];
	vouch_journal_audit_root(a, root);
	vouch_hex_encode(root_hex, root, 32);
	if (json) {
		json_t *o = json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:s}", "ok", !a->err, "journal", a->journal.name, "entries",
				      (json_int_t)a->size, "checkpoints", (json_int_t)a->n_cps, "checkpoints_reproduced",
				      (json_int_t)a->checked_cps, "uncovered_entries",
				      (json_int_t)(a->size > covered ? a->size - covered : 0), "root", root_hex);
		json_object_set_new(o, "key_bound_to_tee", json_false()); /* an audit does not check a quote */
		if (unverified) {
			json_object_set_new(o, "ok", json_false());
			json_object_set_new(o, "error", json_string("entries without any signed checkpoint"));
			json_object_set_new(o, "error_code", json_string("unverified"));
		}
		if (a->err) {
			json_object_set_new(o, "error", json_string(a->msg));
			json_object_set_new(o, "error_code", json_string(vouch_errname(a->err)));
			json_object_set_new(o, "first_bad_seq", json_integer((json_int_t)a->bad_seq));
			json_object_set_new(o, "bad_range_end", json_integer((json_int_t)a->bad_to));
		}
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
		json_decref(o);
	} else if (a->err) {
		printf("TAMPERED: journal %s: %s\n  first position at fault: entry %llu (range %llu..%llu)\n", a->journal.name,
		       a->msg, (unsigned long long)a->bad_seq, (unsigned long long)a->bad_seq,
		       (unsigned long long)(a->bad_to ? a->bad_to - 1 : 0));
	} else if (unverified) {
		printf("UNVERIFIED: journal %s: %llu entries and no signed checkpoint: nothing signed vouches for any of "
		       "them (a store whose checkpoints were deleted looks like this)\n",
		       a->journal.name, (unsigned long long)a->size);
	} else {
		printf("CONSISTENT: journal %s: %llu entries recomputed, %llu of %zu signed checkpoints reproduced\n",
		       a->journal.name, (unsigned long long)a->size, (unsigned long long)a->checked_cps, a->n_cps);
		printf("  root %s\n", root_hex);
		if (a->size > covered)
			printf("  WARNING: %llu entries after the last checkpoint (size %llu) are covered by no signature: "
			       "nothing tells them from entries written by someone else\n",
			       (unsigned long long)(a->size - covered), (unsigned long long)covered);
	}
	if (!json) {
		char key[67];
		vouch_hex_encode(key, a->journal.public_key, 33);
		printf("  signatures are by the journal key %s; the audit does not check that a TEE holds it (vouch "
		       "journal verify on an exported bundle does)\n", key);
	}
	rc = a->err || unverified ? EXIT_INVALID : 0;
	vouch_journal_audit_free(a);
	free(a);
	return rc;
}
