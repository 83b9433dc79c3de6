/* Journal proof bundles: parsing and the offline verification (see include/vouch/journal_bundle.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "internal.h"
#include "journal_json.h"
#include "jsonout.h"
#include "vouch/dstack.h"
#include "vouch/err.h"
#include "vouch/journal_bundle.h"
#include "vouch/merkle.h"
#include "vouch/util.h"

static const char *STEP_NAMES[VOUCH_JSTEP_COUNT] = {
	"bundle", "quote", "event_log", "measurements", "journal_event", "key_binding", "checkpoint", "inclusion", "entry",
};

static int pass(vouch_journal_verdict *v, int step, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(vouch_journal_verdict *v, int step, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int pass(vouch_journal_verdict *v, int step, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->steps[step].note, sizeof v->steps[step].note, fmt, ap);
	va_end(ap);
	v->steps[step].state = VOUCH_JSTEP_PASS;
	return 0;
}

static int fail(vouch_journal_verdict *v, int step, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->steps[step].note, sizeof v->steps[step].note, fmt, ap);
	va_end(ap);
	v->steps[step].state = VOUCH_JSTEP_FAIL;
	v->failed_step = step;
	v->err = err;
	return err;
}

struct parts {
	json_t *doc;
	vouch_journal_entry entry;
	uint8_t *payload;
	uint8_t leaf_hash[32];
	uint64_t leaf_index, tree_size;
	uint8_t path[VOUCH_MERKLE_MAX_PROOF][32];
	size_t path_len;
	uint8_t nonce[VOUCH_JOURNAL_NONCE_MAX];
	size_t nonce_len;
	vouch_dstack_evidence ev;
	int have_ev;
	vouch_collateral_src coll;
	int have_coll;
	uint8_t report_data[64]; /* the quote's, once verified */
};

/* Boot events carry their register and digest only; runtime events are dstack's. */
static int canonical_log(const json_t *log, char *msg, size_t cap)
{
	size_t i;
	json_t *e;
	json_array_foreach(log, i, e)
	{
		json_t *imr = json_object_get(e, "imr"), *type = json_object_get(e, "event_type");
		if (!json_is_integer(imr) || !json_is_integer(type)) {
			msgf(msg, cap, "event %zu: imr and event_type must be integers", i);
			return -1;
		}
		if (json_object_get(e, "version") || json_object_get(e, "preimage")) {
			msgf(msg, cap, "event %zu: version-2 runtime events are not supported", i);
			return -1;
		}
		int runtime = json_integer_value(type) == VOUCH_RUNTIME_EVENT_TYPE;
		if (json_integer_value(imr) == 3 ? !runtime : runtime) {
			msgf(msg, cap, "event %zu: RTMR3 holds runtime events only, and runtime events go to RTMR3", i);
			return -1;
		}
		if (!runtime && (json_integer_value(type) != 0 || json_object_size(e) != 5 ||
				 strcmp(json_string_value(json_object_get(e, "event")) ?: "-", "") ||
				 strcmp(json_string_value(json_object_get(e, "event_payload")) ?: "-", ""))) {
			msgf(msg, cap, "event %zu: a bundle carries boot events as register and digest only "
				       "(event_type 0, empty event and event_payload)", i);
			return -1;
		}
	}
	return 0;
}

static int parse(vouch_journal_verdict *v, struct parts *p, const char *text, size_t len)
{
	char msg[240];
	json_error_t je;
	if (len > VOUCH_JOURNAL_BUNDLE_MAX)
		return fail(v, VOUCH_JSTEP_BUNDLE, VOUCH_E_LIMIT, "larger than %u bytes", VOUCH_JOURNAL_BUNDLE_MAX);
	p->doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(p->doc))
		return fail(v, VOUCH_JSTEP_BUNDLE, VOUCH_E_JOURNAL_FORMAT, "not a JSON object: %s", p->doc ? "" : je.text);
	const char *format = json_string_value(json_object_get(p->doc, "format"));
	if (format && !strcmp(format, "vouch-journal-bundle/1"))
		return fail(v, VOUCH_JSTEP_BUNDLE, VOUCH_E_JOURNAL_FORMAT,
			    "\"vouch-journal-bundle/1\" is no longer accepted: its key binding was report data any app "
			    "could request through GetQuote; export the entry again with this version");
	if (!format || strcmp(format, VOUCH_JOURNAL_BUNDLE_FORMAT))
		return fail(v, VOUCH_JSTEP_BUNDLE, VOUCH_E_JOURNAL_FORMAT, "\"format\" is not \"%s\"", VOUCH_JOURNAL_BUNDLE_FORMAT);
	static const char *known[] = {"format", "journal", "entry", "checkpoint", "inclusion", "attestation",
				      "collateral", "exported_ms"};
	const char *key;
	json_t *val;
	json_object_foreach(p->doc, key, val)
	{
		size_t k = 0;
		while (k < ARRAY_LEN(known) && strcmp(key, known[k]))
			k++;
		if (k == ARRAY_LEN(known))
			return fail(v, VOUCH_JSTEP_BUNDLE, VOUCH_E_JOURNAL_FORMAT, "unknown member \"%s\"", key);
	}
	json_t *inc = json_object_get(p->doc, "inclusion"), *att = json_object_get(p->doc, "attestation");
	if (json_object_size(json_object_get(p->doc, "journal")) != 3 || !json_object_get(json_object_get(p->doc, "entry"), "payload"))
		return fail(v, VOUCH_JSTEP_BUNDLE, VOUCH_E_JOURNAL_FORMAT,
			    "journal must be {name, id, public_key} and entry must carry its readable payload");
	if (jj_parse_journal(json_object_get(p->doc, "journal"), &v->journal, msg, sizeof msg) ||
	    jj_parse_entry(json_object_get(p->doc, "entry"), &p->entry, &p->payload, p->leaf_hash, msg, sizeof msg) ||
	    jj_parse_checkpoint(json_object_get(p->doc, "checkpoint"), &v->checkpoint, msg, sizeof msg))
		return fail(v, VOUCH_JSTEP_BUNDLE, VOUCH_E_JOURNAL_FORMAT, "%s", msg);
	json_t *path = json_object_get(inc, "path"), *h;
	size_t i;
	if (!json_is_object(inc) || jj_u64(inc, "leaf_index", &p->leaf_index, msg, sizeof msg) ||
	    jj_u64(inc, "tree_size", &p->tree_size, msg, sizeof msg) || !json_is_array(path) ||
	    json_array_size(path) > VOUCH_MERKLE_MAX_PROOF || json_object_size(inc) != 3)
		return fail(v, VOUCH_JSTEP_BUNDLE, VOUCH_E_JOURNAL_FORMAT, "inclusion: {leaf_index, tree_size, path} expected");
	json_array_foreach(path, i, h)
	{
		json_t *box = json_pack("{s:O}", "h", h);
		int e = jj_hex(box, "h", p->path[i], 32, msg, sizeof msg);
		json_decref(box);
		if (e)
			return fail(v, VOUCH_JSTEP_BUNDLE, VOUCH_E_JOURNAL_FORMAT, "inclusion: path[%zu] is not 32 bytes of hex", i);
	}
	p->path_len = json_array_size(path);
	/* the attestation: quote, nonce, canonical event log */
	json_t *nonce = json_object_get(att, "nonce"), *log = json_object_get(att, "event_log");
	if (!json_is_object(att) || json_object_size(att) != 3 || !json_is_string(json_object_get(att, "quote")) ||
	    !json_is_string(nonce) || !json_is_array(log) ||
	    vouch_hex_decode(p->nonce, sizeof p->nonce, &p->nonce_len, json_string_value(nonce), json_string_length(nonce)))
		return fail(v, VOUCH_JSTEP_BUNDLE, VOUCH_E_JOURNAL_FORMAT,
			    "attestation: {quote, nonce (at most %d bytes), event_log: [...]} expected", VOUCH_JOURNAL_NONCE_MAX);
	if (canonical_log(log, msg, sizeof msg))
		return fail(v, VOUCH_JSTEP_BUNDLE, VOUCH_E_JOURNAL_FORMAT, "attestation: %s", msg);
	char *att_text = json_dumps(att, JSON_COMPACT);
	int e = att_text ? vouch_dstack_evidence_parse(&p->ev, (const uint8_t *)att_text, strlen(att_text), msg, sizeof msg)
			 : VOUCH_E_NOMEM;
	free(att_text);
	if (e)
		return fail(v, VOUCH_JSTEP_BUNDLE, e, "attestation: %s", msg);
	p->have_ev = 1;
	json_t *coll = json_object_get(p->doc, "collateral");
	/* dcap-qvl's verification never reads the PCK CRL's issuer chain (the PCK chain in the quote names that
	 * CA): a bundle leaves it empty, so that no byte of it goes unchecked */
	const char *pck_crl_chain = json_string_value(json_object_get(coll, "pck_crl_issuer_chain"));
	if (json_is_object(coll) && (!pck_crl_chain || *pck_crl_chain || json_object_get(coll, "pck_certificate_chain")))
		return fail(v, VOUCH_JSTEP_BUNDLE, VOUCH_E_JOURNAL_FORMAT,
			    "collateral: a bundle carries an empty pck_crl_issuer_chain and no pck_certificate_chain");
	char *coll_text = json_is_object(coll) ? json_dumps(coll, JSON_COMPACT) : NULL;
	e = coll_text ? vouch_collateral_parse_json(&p->coll, coll_text, strlen(coll_text), msg, sizeof msg) : -1;
	free(coll_text);
	if (e)
		return fail(v, VOUCH_JSTEP_BUNDLE, VOUCH_E_JOURNAL_FORMAT, "collateral: %s",
			    coll ? msg : "missing (a bundle carries what its quote is verified with)");
	p->have_coll = 1;
	v->seq = p->entry.seq;
	v->time_ms = p->entry.time_ms;
	snprintf(v->kind, sizeof v->kind, "%.*s", (int)p->entry.kind_len, p->entry.kind);
	v->entry_json = json_dumps(json_object_get(p->doc, "entry"), JSON_COMPACT | JSON_PRESERVE_ORDER);
	return pass(v, VOUCH_JSTEP_BUNDLE, "entry %llu of journal %s, checkpoint of size %llu",
		    (unsigned long long)p->entry.seq, v->journal.name, (unsigned long long)v->checkpoint.tree_size);
}

/* quote, event log, measurements */
static int attestation(vouch_journal_verdict *v, struct parts *p, const vouch_journal_verify_opts *o)
{
	vouch_collateral *coll = NULL;
	vouch_verdict *qv = malloc(sizeof *qv);
	vouch_dstack_result *r = malloc(sizeof *r);
	int e = !qv || !r ? VOUCH_E_NOMEM : vouch_collateral_open(&coll, &p->coll);
	if (e) {
		free(qv);
		free(r);
		return fail(v, VOUCH_JSTEP_QUOTE, e, "collateral: %s", vouch_strerror(e));
	}
	vouch_verify_opts vo = {o->root_der, o->root_der_len, o->flags};
	vouch_dstack_verify(r, qv, &p->ev, &vo, coll, o->now);
	vouch_collateral_close(coll);
	v->simulated = qv->simulated;
	snprintf(v->tcb_status, sizeof v->tcb_status, "%s", vouch_tcb_status_name(qv->status.status));
	if (!r->quote_verified) {
		e = fail(v, VOUCH_JSTEP_QUOTE, qv->err, "%s", qv->error);
	} else {
		pass(v, VOUCH_JSTEP_QUOTE, "%s TDX quote, TCB %s%s", v->simulated ? "simulated" : "Intel-signed", v->tcb_status,
		     v->simulated ? " (the root is not Intel's)" : "");
		memcpy(v->mr_td, qv->quote.td.mr_td, 48);
		for (int i = 0; i < 4; i++)
			memcpy(v->rtmr[i], qv->quote.td.rtmr[i], 48);
		memcpy(p->report_data, qv->quote.td.report_data, 64);
		v->have_mr_td = 1;
		if (r->app.compose_hash_len == 32) {
			memcpy(v->compose_hash, r->app.compose_hash, 32);
			v->have_compose_hash = 1;
		}
		v->app_id_len = r->app.app_id_len;
		memcpy(v->app_id, r->app.app_id, v->app_id_len);
		if (!r->event_log_verified)
			e = fail(v, VOUCH_JSTEP_EVENT_LOG, VOUCH_E_RTMR_MISMATCH, "%s", r->reason);
		else
			pass(v, VOUCH_JSTEP_EVENT_LOG, "RTMR0-3 replayed; compose hash %s", v->have_compose_hash ? "decoded" : "absent");
	}
	free(qv);
	free(r);
	if (e)
		return e;
	/* what the verifier expects of the code */
	char h[97];
	if (o->expect_compose_hash && (!v->have_compose_hash || !ct_eq(o->expect_compose_hash, v->compose_hash, 32))) {
		vouch_hex_encode(h, v->compose_hash, 32);
		return fail(v, VOUCH_JSTEP_MEASUREMENTS, VOUCH_E_JOURNAL_EXPECT, "compose hash is %s, not the one expected",
			    v->have_compose_hash ? h : "absent");
	}
	if (o->expect_app_id && (v->app_id_len != o->expect_app_id_len || !ct_eq(o->expect_app_id, v->app_id, v->app_id_len))) {
		vouch_hex_encode(h, v->app_id, v->app_id_len);
		return fail(v, VOUCH_JSTEP_MEASUREMENTS, VOUCH_E_JOURNAL_EXPECT, "app id is %s, not the one expected",
			    v->app_id_len ? h : "absent");
	}
	if (o->expect_mr_td && !ct_eq(o->expect_mr_td, v->mr_td, 48)) {
		vouch_hex_encode(h, v->mr_td, 48);
		return fail(v, VOUCH_JSTEP_MEASUREMENTS, VOUCH_E_JOURNAL_EXPECT, "MRTD is %s, not the one expected", h);
	}
	if (!o->expect_compose_hash && !o->expect_mr_td && !o->expect_app_id) {
		v->steps[VOUCH_JSTEP_MEASUREMENTS].state = VOUCH_JSTEP_SKIPPED;
		snprintf(v->steps[VOUCH_JSTEP_MEASUREMENTS].note, sizeof v->steps[0].note,
			 "no expected compose hash, app id or MRTD given: any code in this TEE is accepted");
		return 0;
	}
	return pass(v, VOUCH_JSTEP_MEASUREMENTS, "%s%s%s%s", o->expect_compose_hash ? "compose hash " : "",
		    o->expect_app_id ? "app id " : "", o->expect_mr_td ? "MRTD " : "", "as expected");
}

static int journal_steps(vouch_journal_verdict *v, struct parts *p, const vouch_journal_verify_opts *o)
{
	const vouch_journal_info *j = &v->journal;
	/* RTMR3 measured this journal's creation */
	uint8_t payload[65];
	memcpy(payload, j->id, 32);
	memcpy(payload + 32, j->public_key, 33);
	int seen = 0;
	for (size_t i = 0; i < p->ev.log.n && !seen; i++) {
		const vouch_event *e = &p->ev.log.events[i];
		seen = e->imr == 3 && e->name_len == strlen(VOUCH_JOURNAL_EVENT) &&
		       memcmp(e->name, VOUCH_JOURNAL_EVENT, e->name_len) == 0 && e->payload_len == 65 &&
		       memcmp(e->payload, payload, 65) == 0;
	}
	if (!seen)
		return fail(v, VOUCH_JSTEP_JOURNAL_EVENT, VOUCH_E_JOURNAL_BINDING,
			    "the event log has no \"%s\" event for this journal's id and key", VOUCH_JOURNAL_EVENT);
	pass(v, VOUCH_JSTEP_JOURNAL_EVENT, "RTMR3 measured the creation of journal %s", j->name);
	/* the key: the one the verifier knows (when given), named by the id, bound by the quote */
	if (o->expect_journal_key && !ct_eq(o->expect_journal_key, j->public_key, 33))
		return fail(v, VOUCH_JSTEP_KEY_BINDING, VOUCH_E_JOURNAL_EXPECT, "the journal key is not the one expected");
	if (o->expect_journal_id && !ct_eq(o->expect_journal_id, j->id, 32))
		return fail(v, VOUCH_JSTEP_KEY_BINDING, VOUCH_E_JOURNAL_EXPECT, "the journal id is not the one expected");
	uint8_t id[32], bound[64];
	vouch_journal_id(id, j->public_key, j->name, strlen(j->name));
	if (!ct_eq(id, j->id, 32))
		return fail(v, VOUCH_JSTEP_KEY_BINDING, VOUCH_E_JOURNAL_BINDING, "the journal id is not the hash of its key and name");
	vouch_journal_binding(bound, j->id, j->public_key, p->nonce, p->nonce_len);
	if (!ct_eq(bound, p->report_data, 64))
		return fail(v, VOUCH_JSTEP_KEY_BINDING, VOUCH_E_JOURNAL_BINDING,
			    "the quote's report data does not bind this journal key%s", p->nonce_len ? " and nonce" : "");
	pass(v, VOUCH_JSTEP_KEY_BINDING, "the quote's report data binds the journal key%s", p->nonce_len ? " and nonce" : "");
	/* the checkpoint */
	if (!ct_eq(v->checkpoint.journal_id, j->id, 32))
		return fail(v, VOUCH_JSTEP_CHECKPOINT, VOUCH_E_JOURNAL_SIGNATURE, "the checkpoint is for another journal");
	if (vouch_journal_checkpoint_verify(&v->checkpoint, j->public_key))
		return fail(v, VOUCH_JSTEP_CHECKPOINT, VOUCH_E_JOURNAL_SIGNATURE, "the checkpoint is not signed by the journal key");
	pass(v, VOUCH_JSTEP_CHECKPOINT, "signed by the journal key: %llu entries", (unsigned long long)v->checkpoint.tree_size);
	/* inclusion, then the entry */
	if (p->leaf_index != p->entry.seq || p->tree_size != v->checkpoint.tree_size ||
	    !vouch_merkle_verify_inclusion(p->leaf_hash, p->leaf_index, p->tree_size, (const uint8_t(*)[32])p->path,
					   p->path_len, v->checkpoint.root))
		return fail(v, VOUCH_JSTEP_INCLUSION, VOUCH_E_JOURNAL_INCLUSION,
			    "the path does not lead leaf %llu to the checkpoint's root", (unsigned long long)p->entry.seq);
	pass(v, VOUCH_JSTEP_INCLUSION, "leaf %llu of %llu, %zu hashes", (unsigned long long)p->leaf_index,
	     (unsigned long long)p->tree_size, p->path_len);
	uint8_t h[32];
	if (vouch_journal_leaf_hash(h, &p->entry))
		return fail(v, VOUCH_JSTEP_ENTRY, VOUCH_E_NOMEM, "out of memory");
	if (!ct_eq(h, p->leaf_hash, 32))
		return fail(v, VOUCH_JSTEP_ENTRY, VOUCH_E_JOURNAL_ENTRY, "the entry's fields do not hash to its leaf");
	return pass(v, VOUCH_JSTEP_ENTRY, "\"%s\" entry, %zu-byte payload", v->kind, p->entry.payload_len);
}

int vouch_journal_bundle_verify(vouch_journal_verdict *v, const char *text, size_t len,
				const vouch_journal_verify_opts *o)
{
	memset(v, 0, sizeof *v);
	v->failed_step = -1;
	for (int i = 0; i < VOUCH_JSTEP_COUNT; i++)
		v->steps[i].name = STEP_NAMES[i];
	struct parts *p = calloc(1, sizeof *p);
	if (!p)
		return v->err = VOUCH_E_NOMEM;
	int e = parse(v, p, text, len);
	if (!e)
		e = attestation(v, p, o);
	if (!e)
		e = journal_steps(v, p, o);
	v->ok = !e;
	if (p->have_ev)
		vouch_dstack_evidence_free(&p->ev);
	if (p->have_coll)
		vouch_collateral_src_free(&p->coll);
	free(p->payload);
	json_decref(p->doc);
	free(p);
	return e;
}

void vouch_journal_verdict_free(vouch_journal_verdict *v)
{
	free(v->entry_json);
	v->entry_json = NULL;
}

char *vouch_journal_verdict_json(const vouch_journal_verdict *v)
{
	static const char *state[] = {"not run", "pass", "fail", "skipped"};
	json_t *o = json_object(), *steps = json_array();
	json_object_set_new(o, "ok", json_boolean(v->ok));
	if (!v->ok) {
		json_object_set_new(o, "error", json_string(v->failed_step >= 0 ? v->steps[v->failed_step].note : ""));
		json_object_set_new(o, "error_code", json_string(vouch_errname(v->err)));
		json_object_set_new(o, "failed_step", v->failed_step >= 0 ? json_string(v->steps[v->failed_step].name) : json_null());
	}
	json_object_set_new(o, "simulated", json_boolean(v->simulated));
	if (v->steps[VOUCH_JSTEP_BUNDLE].state == VOUCH_JSTEP_PASS) {
		json_object_set_new(o, "journal", jj_journal(&v->journal));
		json_object_set_new(o, "entry", v->entry_json ? json_loads(v->entry_json, 0, NULL) : json_null());
		json_object_set_new(o, "checkpoint", jj_checkpoint(&v->checkpoint));
	}
	if (v->steps[VOUCH_JSTEP_QUOTE].state == VOUCH_JSTEP_PASS)
		json_object_set_new(o, "tcb_status", json_string(v->tcb_status));
	json_object_set_new(o, "compose_hash", v->have_compose_hash ? json_hex(v->compose_hash, 32) : json_null());
	json_object_set_new(o, "mr_td", v->have_mr_td ? json_hex(v->mr_td, 48) : json_null());
	for (int i = 0; i < VOUCH_JSTEP_COUNT; i++)
		json_array_append_new(steps, json_pack("{s:s, s:s, s:s}", "name", v->steps[i].name, "result",
						       state[v->steps[i].state], "note", v->steps[i].note));
	json_object_set_new(o, "steps", steps);
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}
