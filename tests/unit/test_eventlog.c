/* Event logs, RTMR replay, dstack's Attest V0 and app identity, on the dstack simulator fixture: a real
 * TDX quote (valid signature, report data zero) with its 33-event log. Its collateral is not shipped, so the
 * quote is verified without collateral here (signature, QE report, PCK chain to Intel's root). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "test.h"
#include "vouch/dstack.h"
#include "vouch/util.h"

#define FIXTURE "dstack-simulator/attestation.bin"
#define FIXTURE_NOW 1780272000 /* 2026-06-01 */

static void attestation_v0_decodes_exactly(void)
{
	size_t n;
	uint8_t *b = test_read(FIXTURE, &n);
	vouch_attestation a;
	CHECK_OK(vouch_attestation_decode(&a, b, n));
	CHECK_INT(n, 9504);
	CHECK_INT(a.platform, 0);
	CHECK_INT(a.quote.len, 5010);
	CHECK_INT(a.n_events, 33);
	CHECK_INT(a.n_runtime_events, 9);
	CHECK(all_zero(a.report_data, 64));
	CHECK(a.config.len > 100 && a.config.p[0] == '{');
	vouch_eventlog log;
	CHECK_OK(vouch_attestation_eventlog(&log, &a));
	CHECK_INT(log.n, 33);
	int per[4] = {0};
	for (size_t i = 0; i < log.n; i++)
		per[log.events[i].imr]++;
	CHECK_INT(per[0], 17);
	CHECK_INT(per[1], 5);
	CHECK_INT(per[2], 2);
	CHECK_INT(per[3], 9);
	CHECK(log.events[24].name_len == 16 && memcmp(log.events[24].name, "system-preparing", 16) == 0);
	vouch_eventlog_free(&log);
	free(b);
}

static void malformed_attestations_are_refused(void)
{
	size_t n;
	uint8_t *b = test_read(FIXTURE, &n);
	vouch_attestation a;
	/* every truncation */
	for (size_t cut = 0; cut < n; cut += (cut < 200 ? 1 : 97)) {
		uint8_t *c = malloc(cut ? cut : 1);
		memcpy(c, b, cut);
		int err = vouch_attestation_decode(&a, c, cut);
		free(c);
		if (err != VOUCH_E_SCALE) {
			test_failf(__FILE__, __LINE__, "cut at %zu: %s", cut, vouch_errname(err));
			free(b);
			return;
		}
	}
	/* one trailing byte */
	uint8_t *longer = malloc(n + 1);
	memcpy(longer, b, n);
	longer[n] = 0;
	CHECK_ERR(vouch_attestation_decode(&a, longer, n + 1), VOUCH_E_SCALE);
	free(longer);
	/* V1 (MessagePack map) and other platforms */
	uint8_t save = b[0];
	b[0] = 0x83;
	CHECK_ERR(vouch_attestation_decode(&a, b, n), VOUCH_E_ATTEST_VERSION);
	b[0] = save;
	b[1] = 3;
	CHECK_ERR(vouch_attestation_decode(&a, b, n), VOUCH_E_ATTEST_VERSION);
	b[1] = 9;
	CHECK_ERR(vouch_attestation_decode(&a, b, n), VOUCH_E_SCALE);
	b[1] = 0;
	/* the quote's compact length (mode 1 = 2 bytes) written in 4-byte mode is not canonical */
	CHECK_INT(b[2] & 3, 1);
	uint8_t *nc = malloc(n + 2);
	uint32_t qlen = (uint32_t)((b[2] | b[3] << 8) >> 2);
	memcpy(nc, b, 2);
	uint32_t enc = qlen << 2 | 2;
	nc[2] = (uint8_t)enc, nc[3] = (uint8_t)(enc >> 8), nc[4] = (uint8_t)(enc >> 16), nc[5] = (uint8_t)(enc >> 24);
	memcpy(nc + 6, b + 4, n - 4);
	CHECK_ERR(vouch_attestation_decode(&a, nc, n + 2), VOUCH_E_SCALE);
	free(nc);
	CHECK_ERR(vouch_attestation_decode(&a, b, 0), VOUCH_E_SCALE);
	free(b);
}

static void replay_reproduces_all_four_rtmrs(void)
{
	size_t n;
	uint8_t *b = test_read(FIXTURE, &n);
	vouch_attestation a;
	vouch_eventlog log;
	CHECK_OK(vouch_attestation_decode(&a, b, n));
	CHECK_OK(vouch_attestation_eventlog(&log, &a));
	vouch_quote q;
	CHECK_OK(vouch_quote_parse(&q, a.quote.p, a.quote.len));
	uint8_t rtmr[4][48];
	char msg[128];
	CHECK_OK(vouch_eventlog_replay(rtmr, &log, msg, sizeof msg));
	for (int i = 0; i < 4; i++)
		CHECK(memcmp(rtmr[i], q.td.rtmr[i], 48) == 0);
	CHECK_HEX(rtmr[3], 48, "f28a1490ee924e9396c2ccf2d93ad536b83cbe159a1d45024d1fd7acdcc102145efcfcd0cfa209416446c70226affadf");
	vouch_eventlog_free(&log);
	free(b);
}

/* The fixture's event log as dstack JSON, through our own writer and parser. */
static json_t *fixture_log_json(uint8_t **quote_out, size_t *qlen)
{
	size_t n;
	uint8_t *b = test_read(FIXTURE, &n);
	vouch_attestation a;
	vouch_eventlog log;
	if (vouch_attestation_decode(&a, b, n) || vouch_attestation_eventlog(&log, &a))
		abort();
	char *text = vouch_eventlog_json(&log);
	json_t *arr = json_loads(text, 0, NULL);
	*quote_out = malloc(a.quote.len);
	memcpy(*quote_out, a.quote.p, a.quote.len);
	*qlen = a.quote.len;
	free(text);
	vouch_eventlog_free(&log);
	free(b);
	return arr;
}

static int replay_json(json_t *arr, uint8_t rtmr[4][48], char *msg, size_t cap)
{
	char *text = json_dumps(arr, JSON_COMPACT);
	vouch_eventlog log;
	int err = vouch_eventlog_parse_json(&log, text, strlen(text), msg, cap);
	free(text);
	if (err)
		return err;
	err = vouch_eventlog_replay(rtmr, &log, msg, cap);
	vouch_eventlog_free(&log);
	return err;
}

static void stripped_and_tampered_logs(void)
{
	uint8_t *quote, rtmr[4][48], want3[48];
	size_t qlen;
	char msg[160];
	json_t *arr = fixture_log_json(&quote, &qlen);
	CHECK_INT(json_array_size(arr), 33);
	CHECK_OK(replay_json(arr, rtmr, msg, sizeof msg));
	memcpy(want3, rtmr[3], 48);
	/* real GetQuote strips runtime digests: recomputed, same RTMR3 */
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e) if (json_integer_value(json_object_get(e, "imr")) == 3)
		json_object_set_new(e, "digest", json_string(""));
	CHECK_OK(replay_json(arr, rtmr, msg, sizeof msg));
	CHECK(memcmp(rtmr[3], want3, 48) == 0);
	/* a changed payload with a stripped digest: RTMR3 moves */
	json_t *compose = json_array_get(arr, 26);
	CHECK_STR(json_string_value(json_object_get(compose, "event")), "compose-hash");
	const char *orig = json_string_value(json_object_get(compose, "event_payload"));
	char *changed = strdup(orig);
	changed[0] = changed[0] == 'a' ? 'b' : 'a';
	json_object_set_new(compose, "event_payload", json_string(changed));
	CHECK_OK(replay_json(arr, rtmr, msg, sizeof msg));
	CHECK(memcmp(rtmr[3], want3, 48) != 0);
	/* a changed payload under its old digest: caught by the digest check */
	json_decref(arr);
	free(quote);
	arr = fixture_log_json(&quote, &qlen);
	compose = json_array_get(arr, 26);
	json_object_set_new(compose, "event_payload", json_string(changed));
	CHECK_ERR(replay_json(arr, rtmr, msg, sizeof msg), VOUCH_E_EVENT_DIGEST);
	CHECK(strstr(msg, "event 26 (compose-hash)") != NULL);
	free(changed);
	/* a boot event without its digest cannot be replayed */
	json_decref(arr);
	free(quote);
	arr = fixture_log_json(&quote, &qlen);
	json_object_set_new(json_array_get(arr, 3), "digest", json_string(""));
	CHECK_ERR(replay_json(arr, rtmr, msg, sizeof msg), VOUCH_E_EVENTLOG);
	/* malformed entries */
	json_object_set_new(json_array_get(arr, 3), "digest", json_string("abcd"));
	CHECK_ERR(replay_json(arr, rtmr, msg, sizeof msg), VOUCH_E_EVENTLOG);
	json_object_set_new(json_array_get(arr, 3), "imr", json_integer(4));
	json_object_set_new(json_array_get(arr, 3), "digest", json_string(""));
	CHECK_ERR(replay_json(arr, rtmr, msg, sizeof msg), VOUCH_E_EVENTLOG);
	json_decref(arr);
	free(quote);
	vouch_eventlog log;
	CHECK_ERR(vouch_eventlog_parse_json(&log, "{}", 2, msg, sizeof msg), VOUCH_E_JSON);
	CHECK_ERR(vouch_eventlog_parse_json(&log, "[{\"imr\":0}]", 11, msg, sizeof msg), VOUCH_E_EVENTLOG);
}

static void runtime_event_digests_v1_and_v2(void)
{
	uint8_t d[48];
	vouch_runtime_event_digest_v1(d, "system-ready", 12, NULL, 0);
	/* the fixture's system-ready digest (event 32) */
	size_t n;
	uint8_t *b = test_read(FIXTURE, &n);
	vouch_attestation a;
	vouch_eventlog log;
	CHECK_OK(vouch_attestation_decode(&a, b, n));
	CHECK_OK(vouch_attestation_eventlog(&log, &a));
	CHECK(memcmp(log.events[32].digest, d, 48) == 0);
	vouch_eventlog_free(&log);
	free(b);
	char pre[256];
	const uint8_t payload[] = {0x5b, 0xb4};
	size_t len = vouch_runtime_event_preimage_v2(pre, sizeof pre, "app-id", 6, payload, 2);
	CHECK_STR(pre, "{\"name\":\"app-id\",\"payload\":\"5bb4\",\"type\":134217729}");
	CHECK_INT(len, strlen(pre));
	len = vouch_runtime_event_preimage_v2(pre, sizeof pre, "a\"b\\c\n\x01", 7, NULL, 0);
	CHECK_STR(pre, "{\"name\":\"a\\\"b\\\\c\\n\\u0001\",\"payload\":\"\",\"type\":134217729}");
	CHECK_INT(vouch_runtime_event_preimage_v2(pre, 10, "app-id", 6, payload, 2), 0);
	/* a V2 event replays only with its canonical preimage */
	char json[600];
	char hexpre[2 * 200 + 1];
	len = vouch_runtime_event_preimage_v2(pre, sizeof pre, "app-id", 6, payload, 2);
	vouch_hex_encode(hexpre, (const uint8_t *)pre, len);
	snprintf(json, sizeof json,
		 "[{\"imr\":3,\"event_type\":134217729,\"digest\":\"\",\"event\":\"app-id\",\"event_payload\":\"5bb4\","
		 "\"version\":2,\"preimage\":\"%s\"}]", hexpre);
	uint8_t rtmr[4][48];
	char msg[128];
	CHECK_OK(vouch_eventlog_parse_json(&log, json, strlen(json), msg, sizeof msg));
	CHECK_OK(vouch_eventlog_replay(rtmr, &log, msg, sizeof msg));
	vouch_eventlog_free(&log);
	hexpre[40] = hexpre[40] == '6' ? '7' : '6';
	snprintf(json, sizeof json,
		 "[{\"imr\":3,\"event_type\":134217729,\"digest\":\"\",\"event\":\"app-id\",\"event_payload\":\"5bb4\","
		 "\"version\":2,\"preimage\":\"%s\"}]", hexpre);
	CHECK_OK(vouch_eventlog_parse_json(&log, json, strlen(json), msg, sizeof msg));
	CHECK_ERR(vouch_eventlog_replay(rtmr, &log, msg, sizeof msg), VOUCH_E_EVENT_DIGEST);
	vouch_eventlog_free(&log);
}

static void fixture_verifies_with_the_simulator_identity(void)
{
	size_t n;
	uint8_t *b = test_read(FIXTURE, &n);
	vouch_dstack_evidence ev;
	char msg[128];
	CHECK_OK(vouch_dstack_evidence_parse(&ev, b, n, msg, sizeof msg));
	vouch_verdict *v = malloc(sizeof *v);
	vouch_dstack_result *r = malloc(sizeof *r);
	/* inside the PCK certificate's validity (2026-01-09 .. 2033-01-09) */
	CHECK_OK(vouch_dstack_verify(r, v, &ev, NULL, NULL, FIXTURE_NOW));
	CHECK(r->is_valid && r->quote_verified && r->event_log_verified && r->report_data_verified);
	CHECK(v->no_collateral && !v->simulated);
	/* the simulator's golden values (spec §13.3) */
	CHECK_HEX(r->app.app_id, r->app.app_id_len, "5bb4ff9a3837357f19dc176407a5709c62eb6c56");
	CHECK_HEX(r->app.compose_hash, 32, "c143116fef3940e7f776bfc0919c256232ae5338a6e948c96b711e0b2383483a");
	CHECK_HEX(r->app.instance_id, r->app.instance_id_len, "1691ed1b47506cad7d08834668691d88246f5b1f");
	CHECK_HEX(r->app.mr_aggregated, 32, "85334a62c97d0f8bf82d0245d31b539d17a2d7c258e2a13efc928aaea0e107cb");
	CHECK_INT(r->app.os_image_hash_len, 32);
	CHECK(strncmp(r->app.key_provider_info, "{\"name\":\"kms\"", 13) == 0);
	CHECK(r->app.have_device_id);
	char *json = vouch_dstack_result_json(r, v, &ev);
	json_t *o = json_loads(json, 0, NULL);
	CHECK(json_is_true(json_object_get(o, "is_valid")));
	json_t *d = json_object_get(o, "details");
	CHECK(json_is_false(json_object_get(d, "os_image_hash_verified")));
	CHECK_STR(json_string_value(json_object_get(json_object_get(d, "key_provider"), "name")), "kms");
	CHECK_STR(json_string_value(json_object_get(json_object_get(d, "boot_info"), "composeHash")),
		  "c143116fef3940e7f776bfc0919c256232ae5338a6e948c96b711e0b2383483a");
	CHECK(json_array_size(json_object_get(json_object_get(d, "vouch"), "skipped")) > 2);
	json_decref(o);
	free(json);
	vouch_dstack_evidence_free(&ev);
	free(v);
	free(r);
	free(b);
}

static void json_evidence_forms_and_their_failures(void)
{
	size_t n;
	uint8_t *b = test_read(FIXTURE, &n);
	char *hex = malloc(2 * n + 1), msg[160];
	vouch_hex_encode(hex, b, n);
	vouch_dstack_evidence ev;
	vouch_verdict *v = malloc(sizeof *v);
	vouch_dstack_result *r = malloc(sizeof *r);
	/* {"attestation": hex}: an Attest response */
	json_t *o = json_pack("{s:s}", "attestation", hex);
	char *text = json_dumps(o, 0);
	CHECK_OK(vouch_dstack_evidence_parse(&ev, (uint8_t *)text, strlen(text), msg, sizeof msg));
	CHECK_OK(vouch_dstack_verify(r, v, &ev, NULL, NULL, FIXTURE_NOW));
	vouch_dstack_evidence_free(&ev);
	free(text);
	json_decref(o);
	/* {"quote", "event_log", "report_data"}: a GetQuote response */
	uint8_t *quote;
	size_t qlen;
	json_t *log = fixture_log_json(&quote, &qlen);
	char *qhex = malloc(2 * qlen + 1), *logtext = json_dumps(log, JSON_COMPACT);
	vouch_hex_encode(qhex, quote, qlen);
	o = json_pack("{s:s, s:s, s:s}", "quote", qhex, "event_log", logtext, "report_data", "00");
	text = json_dumps(o, 0);
	CHECK_OK(vouch_dstack_evidence_parse(&ev, (uint8_t *)text, strlen(text), msg, sizeof msg));
	CHECK_OK(vouch_dstack_verify(r, v, &ev, NULL, NULL, FIXTURE_NOW));
	vouch_dstack_evidence_free(&ev);
	free(text);
	/* a report data that is not the quote's */
	json_object_set_new(o, "report_data", json_string("01"));
	text = json_dumps(o, 0);
	CHECK_OK(vouch_dstack_evidence_parse(&ev, (uint8_t *)text, strlen(text), msg, sizeof msg));
	CHECK_ERR(vouch_dstack_verify(r, v, &ev, NULL, NULL, FIXTURE_NOW), VOUCH_E_REPORT_DATA);
	CHECK(!r->is_valid && !r->report_data_verified && r->event_log_verified);
	vouch_dstack_evidence_free(&ev);
	free(text);
	/* an event log missing its last event: RTMR3 differs */
	json_array_remove(log, json_array_size(log) - 1);
	free(logtext);
	logtext = json_dumps(log, JSON_COMPACT);
	json_object_set_new(o, "event_log", json_string(logtext));
	json_object_del(o, "report_data");
	text = json_dumps(o, 0);
	CHECK_OK(vouch_dstack_evidence_parse(&ev, (uint8_t *)text, strlen(text), msg, sizeof msg));
	CHECK_ERR(vouch_dstack_verify(r, v, &ev, NULL, NULL, FIXTURE_NOW), VOUCH_E_RTMR_MISMATCH);
	CHECK(strstr(r->reason, "RTMR3") != NULL);
	vouch_dstack_evidence_free(&ev);
	free(text);
	json_decref(o);
	/* not evidence at all */
	CHECK_ERR(vouch_dstack_evidence_parse(&ev, (const uint8_t *)"{\"x\":1}", 7, msg, sizeof msg), VOUCH_E_ARG);
	CHECK_ERR(vouch_dstack_evidence_parse(&ev, (const uint8_t *)"{", 1, msg, sizeof msg), VOUCH_E_JSON);
	json_decref(log);
	free(logtext);
	free(qhex);
	free(quote);
	free(hex);
	free(v);
	free(r);
	free(b);
}

/* The attack of issue 9: an app retypes system-ready (its digest kept, so the replay still matches) so that
 * identity decoding skips it and reads the app's own later "compose-hash". RTMR3 must hold runtime events
 * only; a runtime event in another register is refused too. */
static void rtmr3_holds_runtime_events_only(void)
{
	uint8_t *quote;
	size_t qlen;
	char msg[200];
	vouch_verdict *v = malloc(sizeof *v);
	vouch_dstack_result *r = malloc(sizeof *r);
	for (int variant = 0; variant < 3; variant++) {
		json_t *log = fixture_log_json(&quote, &qlen);
		json_t *ready = json_array_get(log, 32);
		CHECK_STR(json_string_value(json_object_get(ready, "event")), "system-ready");
		if (variant == 0) /* system-ready retyped, digest kept */
			json_object_set_new(ready, "event_type", json_integer(1));
		else if (variant == 1) /* a boot event moved into RTMR3's type */
			json_object_set_new(json_array_get(log, 3), "event_type", json_integer(VOUCH_RUNTIME_EVENT_TYPE));
		char *qhex = malloc(2 * qlen + 1), *logtext = json_dumps(log, JSON_COMPACT);
		vouch_hex_encode(qhex, quote, qlen);
		json_t *o = json_pack("{s:s, s:s}", "quote", qhex, "event_log", logtext);
		char *text = json_dumps(o, 0);
		vouch_dstack_evidence ev;
		CHECK_OK(vouch_dstack_evidence_parse(&ev, (uint8_t *)text, strlen(text), msg, sizeof msg));
		int e = vouch_dstack_verify(r, v, &ev, NULL, NULL, FIXTURE_NOW);
		if (variant == 2) { /* the control: untouched, valid, and system-ready is seen */
			CHECK_OK(e);
			CHECK(r->app.system_ready);
		} else {
			CHECK_ERR(e, VOUCH_E_EVENTLOG);
			CHECK(!r->is_valid && !r->event_log_verified);
			CHECK(strstr(r->reason, "RTMR3 holds runtime events only") != NULL);
		}
		vouch_dstack_evidence_free(&ev);
		free(text);
		json_decref(o);
		free(logtext);
		free(qhex);
		free(quote);
		json_decref(log);
	}
	free(v);
	free(r);
}

/* The generator behind the retyping attack: every event of the fixture's log given every other type that
 * matters (boot types 0, 1, 3, 0x80000001, dstack's runtime type). Each variant either fails to verify or
 * decodes exactly the fixture's identity; the counts are printed. */
static void every_retyped_event_fails_or_keeps_the_identity(void)
{
	static const uint32_t types[] = {0, 1, 3, 0x80000001u, VOUCH_RUNTIME_EVENT_TYPE};
	uint8_t *quote;
	size_t qlen;
	char msg[200];
	vouch_verdict *v = malloc(sizeof *v);
	vouch_dstack_result *r = malloc(sizeof *r), *base = malloc(sizeof *base);
	json_t *log = fixture_log_json(&quote, &qlen);
	char *qhex = malloc(2 * qlen + 1);
	vouch_hex_encode(qhex, quote, qlen);
	unsigned accepted = 0, rejected = 0, changed_identity = 0;
	size_t n = json_array_size(log);
	for (size_t k = 0; k <= n; k++) {
		size_t i = k == 0 ? n : k - 1; /* first i == n: the untouched log, the baseline */
		for (size_t t = 0; t < ARRAY_LEN(types); t++) {
			json_t *copy = json_deep_copy(log);
			if (i < json_array_size(log)) {
				json_t *e = json_array_get(copy, i);
				if ((uint32_t)json_integer_value(json_object_get(e, "event_type")) == types[t]) {
					json_decref(copy);
					continue;
				}
				json_object_set_new(e, "event_type", json_integer(types[t]));
			} else if (t) {
				json_decref(copy);
				continue;
			}
			char *logtext = json_dumps(copy, JSON_COMPACT);
			json_t *o = json_pack("{s:s, s:s}", "quote", qhex, "event_log", logtext);
			char *text = json_dumps(o, 0);
			vouch_dstack_evidence ev;
			CHECK_OK(vouch_dstack_evidence_parse(&ev, (uint8_t *)text, strlen(text), msg, sizeof msg));
			int e = vouch_dstack_verify(i < json_array_size(log) ? r : base, v, &ev, NULL, NULL, FIXTURE_NOW);
			if (i == json_array_size(log)) {
				CHECK_OK(e);
			} else if (e) {
				rejected++;
			} else {
				accepted++;
				const vouch_app_info *x = &r->app, *y = &base->app;
				changed_identity += x->app_id_len != y->app_id_len || memcmp(x->app_id, y->app_id, 32) ||
						    memcmp(x->compose_hash, y->compose_hash, 32) || memcmp(x->instance_id, y->instance_id, 32) ||
						    strcmp(x->key_provider_info, y->key_provider_info) ||
						    memcmp(x->mr_aggregated, y->mr_aggregated, 32) || x->system_ready != y->system_ready;
			}
			vouch_dstack_evidence_free(&ev);
			free(text);
			json_decref(o);
			free(logtext);
			json_decref(copy);
		}
	}
	printf("     retyped events: %u rejected, %u accepted (boot events given another boot type), %u with another "
	       "identity\n", rejected, accepted, changed_identity);
	CHECK(rejected > 0);
	CHECK_INT(changed_identity, 0);
	json_decref(log);
	free(qhex);
	free(quote);
	free(v);
	free(r);
	free(base);
}

static void attestation_encoding_round_trips_byte_for_byte(void)
{
	size_t n;
	uint8_t *b = test_read(FIXTURE, &n);
	vouch_attestation a;
	vouch_eventlog log;
	CHECK_OK(vouch_attestation_decode(&a, b, n));
	CHECK_OK(vouch_attestation_eventlog(&log, &a));
	uint8_t *enc;
	size_t len;
	CHECK_OK(vouch_attestation_encode(&enc, &len, a.quote.p, a.quote.len, &log, a.report_data,
					  (const char *)a.config.p, a.config.len));
	CHECK_INT(len, n);
	CHECK(memcmp(enc, b, n) == 0);
	free(enc);
	vouch_eventlog_free(&log);
	free(b);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(attestation_v0_decodes_exactly),
		T(malformed_attestations_are_refused),
		T(replay_reproduces_all_four_rtmrs),
		T(stripped_and_tampered_logs),
		T(runtime_event_digests_v1_and_v2),
		T(fixture_verifies_with_the_simulator_identity),
		T(json_evidence_forms_and_their_failures),
		T(rtmr3_holds_runtime_events_only),
		T(every_retyped_event_fails_or_keeps_the_identity),
		T(attestation_encoding_round_trips_byte_for_byte),
	};
	return test_main(argc, argv, tests, ARRAY_LEN(tests));
}
