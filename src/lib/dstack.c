/* dstack evidence: parsing GetQuote/Attest responses, verification (quote + RTMR replay + report data),
 * app identity (spec §13) and dstack-verifier's result shape (spec §17). */
#include <stdio.h>
#include <stdlib.h>


#include "crypto.h"
#include "jsonout.h"
#include "scale.h"
#include "x509.h"
#include "vouch/util.h"

typedef struct owned {
	uint8_t *bin;   /* quote or attestation bytes */
	char *config;
} owned;

void vouch_dstack_evidence_free(vouch_dstack_evidence *e)
{
	if (!e)
		return;
	owned *o = e->owned;
	if (o) {
		free(o->bin);
		free(o->config);
		free(o);
	}
	vouch_eventlog_free(&e->log);
	memset(e, 0, sizeof *e);
}

static int from_attestation(vouch_dstack_evidence *e, const uint8_t *bin, size_t len, char *msg, size_t cap)
{
	int err = vouch_attestation_decode(&e->att, bin, len);
	if (err) {
		msgf(msg, cap, "attestation: %s%s", vouch_strerror(err),
		     err == VOUCH_E_ATTEST_VERSION ? " (only V0 SCALE with a DstackTdx quote is supported)" : "");
		return err;
	}
	if ((err = vouch_attestation_eventlog(&e->log, &e->att))) {
		msgf(msg, cap, "attestation event log: %s", vouch_strerror(err));
		return err;
	}
	e->quote = e->att.quote;
	e->have_report_data = 1;
	memcpy(e->report_data, e->att.report_data, 64);
	e->config = e->att.config;
	e->have_runtime_list = 1;
	return 0;
}

/* A hex string from a JSON object into a fresh buffer. */
static int hex_field(json_t *o, const char *key, uint8_t **out, size_t *len)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		return VOUCH_E_ARG;
	size_t n = json_string_length(v);
	*out = malloc(n / 2 + 1);
	if (!*out)
		return VOUCH_E_NOMEM;
	int err = vouch_hex_decode(*out, n / 2 + 1, len, json_string_value(v), n);
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}

static int from_json(vouch_dstack_evidence *e, owned *o, const uint8_t *buf, size_t len, char *msg, size_t cap)
{
	json_error_t je;
	json_t *root = json_loadb((const char *)buf, len, 0, &je);
	int err = 0;
	size_t n;
	if (!json_is_object(root)) {
		msgf(msg, cap, "not a JSON object%s%s", root ? "" : ": ", root ? "" : je.text);
		json_decref(root);
		return VOUCH_E_JSON;
	}
	if (json_object_get(root, "attestation")) {
		if ((err = hex_field(root, "attestation", &o->bin, &n))) {
			msgf(msg, cap, "\"attestation\" must be hex");
			goto out;
		}
		err = from_attestation(e, o->bin, n, msg, cap);
		goto out;
	}
	if ((err = hex_field(root, "quote", &o->bin, &n))) {
		msgf(msg, cap, "expected \"attestation\" or \"quote\" as hex");
		goto out;
	}
	e->quote = (vouch_bytes){o->bin, n};
	json_t *log = json_object_get(root, "event_log");
	char *text = json_is_string(log) ? strdup(json_string_value(log))
		     : json_is_array(log)  ? json_dumps(log, JSON_COMPACT)
					   : NULL;
	if (!text) {
		msgf(msg, cap, "\"event_log\" must be a JSON string or array");
		err = VOUCH_E_EVENTLOG;
		goto out;
	}
	err = vouch_eventlog_parse_json(&e->log, text, strlen(text), msg, cap);
	free(text);
	if (err)
		goto out;
	if (json_object_get(root, "report_data")) {
		uint8_t *rdata;
		if (hex_field(root, "report_data", &rdata, &n) || n > 64) {
			msgf(msg, cap, "\"report_data\" must be at most 64 bytes of hex");
			err = VOUCH_E_HEX;
			goto out;
		}
		memcpy(e->report_data, rdata, n);
		memset(e->report_data + n, 0, 64 - n);
		e->have_report_data = 1;
		free(rdata);
	}
	json_t *cfg = json_object_get(root, "vm_config");
	if (json_is_string(cfg) && (o->config = strdup(json_string_value(cfg))))
		e->config = (vouch_bytes){(const uint8_t *)o->config, strlen(o->config)};
out:
	json_decref(root);
	return err;
}

int vouch_dstack_evidence_parse(vouch_dstack_evidence *e, const uint8_t *buf, size_t len, char *msg, size_t cap)
{
	memset(e, 0, sizeof *e);
	owned *o = calloc(1, sizeof *o);
	if (!o)
		return VOUCH_E_NOMEM;
	e->owned = o;
	size_t i = 0;
	while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t'))
		i++;
	int err;
	if (i < len && buf[i] == '{') {
		err = from_json(e, o, buf, len, msg, cap);
	} else {
		o->bin = malloc(len ? len : 1);
		if (!o->bin)
			err = VOUCH_E_NOMEM;
		else {
			memcpy(o->bin, buf, len);
			err = from_attestation(e, o->bin, len, msg, cap);
		}
	}
	if (err)
		vouch_dstack_evidence_free(e);
	return err;
}

int vouch_ratls_evidence(vouch_dstack_evidence *e, const uint8_t *der, size_t len, char *msg, size_t cap)
{
	static const uint8_t OID_ATTESTATION[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xe7, 0x3d, 0x01, 0x08};
	cert c;
	span v, inner;
	memset(e, 0, sizeof *e);
	int err = cert_parse(&c, der, len);
	if (err) {
		msgf(msg, cap, "RA-TLS certificate: %s", vouch_strerror(err));
		return VOUCH_E_CERT_PARSE;
	}
	rd r;
	if (!cert_find_ext(&c, OID_ATTESTATION, sizeof OID_ATTESTATION, &v) ||
	    (r = rd_init(v.p, v.len), der_read(&r, DER_OCTET_STRING, &inner)) || rd_left(&r)) {
		msgf(msg, cap, "RA-TLS certificate: no attestation extension (1.3.6.1.4.1.62397.1.8)");
		return VOUCH_E_CERT_PARSE;
	}
	if ((err = vouch_dstack_evidence_parse(e, inner.p, inner.len, msg, cap)))
		return err;
	uint8_t *buf = malloc(11 + c.spki.len), want[64];
	if (!buf) {
		vouch_dstack_evidence_free(e);
		return VOUCH_E_NOMEM;
	}
	memcpy(buf, "ratls-cert:", 11);
	memcpy(buf + 11, c.spki.p, c.spki.len);
	sha512(want, buf, 11 + c.spki.len);
	free(buf);
	if (!e->have_report_data || !ct_eq(want, e->report_data, 64)) {
		msgf(msg, cap, "RA-TLS certificate: the attestation's report data is not SHA-512(\"ratls-cert:\" ‖ its key)");
		vouch_dstack_evidence_free(e);
		return VOUCH_E_REPORT_DATA;
	}
	return 0;
}

/* os_image_hash from the VM config, or from the vm_config string inside an older whole sys-config. */
static void config_os_image_hash(vouch_app_info *a, vouch_bytes config)
{
	json_t *root = json_loadb((const char *)config.p, config.len, 0, NULL), *inner = NULL;
	json_t *h = json_object_get(root, "os_image_hash");
	if (!h && json_is_string(json_object_get(root, "vm_config"))) {
		inner = json_loads(json_string_value(json_object_get(root, "vm_config")), 0, NULL);
		h = json_object_get(inner, "os_image_hash");
	}
	if (json_is_string(h) &&
	    vouch_hex_decode(a->os_image_hash, 32, &a->os_image_hash_len, json_string_value(h), json_string_length(h)))
		a->os_image_hash_len = 0;
	json_decref(inner);
	json_decref(root);
}

/* An identity event's payload, taken once: a second one before system-ready is refused (only dstack's boot
 * writes these, once each; vouchd refuses them to EmitEvent). */
static int copy_id(uint8_t *dst, size_t *dst_len, int *seen, const vouch_event *e, size_t i, char *msg, size_t cap)
{
	if (*seen) {
		msgf(msg, cap, "runtime event %zu: a second \"%.*s\" before system-ready", i, (int)e->name_len, e->name);
		return VOUCH_E_EVENTLOG;
	}
	*seen = 1;
	*dst_len = e->payload_len < 32 ? e->payload_len : 32;
	memcpy(dst, e->payload, *dst_len);
	return 0;
}

/* Identity (spec §13.1) from the runtime events before the first system-ready: dstack's boot writes them,
 * and everything after system-ready is the app's (EmitEvent), which must not be able to name itself. The
 * event log was checked before: RTMR3 holds runtime events only, so none can hide from this scan. */
static int app_info(vouch_app_info *a, const vouch_dstack_evidence *ev, const vouch_verdict *v, char *msg, size_t cap)
{
	memset(a, 0, sizeof *a);
	int seen[5] = {0}, err = 0;
	for (size_t i = 0; i < ev->log.n && !err; i++) {
		const vouch_event *e = &ev->log.events[i];
		if (e->imr != 3)
			continue;
#define IS(s) (e->name_len == sizeof s - 1 && memcmp(e->name, s, sizeof s - 1) == 0)
		if (IS("system-ready")) {
			a->system_ready = 1;
			break; /* identity ignores what follows system-ready */
		}
		if (IS("app-id"))
			err = copy_id(a->app_id, &a->app_id_len, &seen[0], e, i, msg, cap);
		else if (IS("compose-hash"))
			err = copy_id(a->compose_hash, &a->compose_hash_len, &seen[1], e, i, msg, cap);
		else if (IS("instance-id"))
			err = copy_id(a->instance_id, &a->instance_id_len, &seen[2], e, i, msg, cap);
		else if (IS("os-image-hash"))
			err = copy_id(a->os_image_hash, &a->os_image_hash_len, &seen[3], e, i, msg, cap);
		else if (IS("key-provider")) {
			if (seen[4]++) {
				msgf(msg, cap, "runtime event %zu: a second \"key-provider\" before system-ready", i);
				err = VOUCH_E_EVENTLOG;
			}
			snprintf(a->key_provider_info, sizeof a->key_provider_info, "%.*s", (int)e->payload_len,
				 (const char *)e->payload);
		} else if (IS("init-script-hash") && a->n_init_scripts < 8 && e->payload_len == 32)
			memcpy(a->init_script_hashes[a->n_init_scripts++], e->payload, 32);
#undef IS
	}
	if (!a->os_image_hash_len && ev->config.len)
		config_os_image_hash(a, ev->config);
	const vouch_td_report *td = &v->quote.td;
	if (!td->mr_td)
		return err;
	vouch_dstack_mr_system(a->mr_system, td, a->key_provider_info);
	vouch_dstack_mr_aggregated(a->mr_aggregated, td);
	if (v->have_pck) {
		sha256(a->device_id, v->ppid, 16);
		a->have_device_id = 1;
	}
	return err;
}

/* dstack's layout of a TD's log: RTMR3 holds runtime events only, and runtime events go to RTMR3. An event
 * of another type in RTMR3 would have its digest taken as given: an app could retype system-ready (keeping
 * its digest, so the replay still matches) and have its own later "compose-hash" read as the identity. */
static int check_rtmr3_layout(const vouch_eventlog *log, char *msg, size_t cap)
{
	for (size_t i = 0; i < log->n; i++) {
		const vouch_event *e = &log->events[i];
		int runtime = e->event_type == VOUCH_RUNTIME_EVENT_TYPE;
		if ((e->imr == 3) != runtime) {
			msgf(msg, cap, "event %zu (imr %u, type 0x%x): RTMR3 holds runtime events only, and runtime events "
				       "go to RTMR3", i, e->imr, e->event_type);
			return VOUCH_E_EVENTLOG;
		}
	}
	return 0;
}

void vouch_dstack_mr_system(uint8_t out[32], const vouch_td_report *td, const char *key_provider_info)
{
	uint8_t buf[48 * 4 + 32], mr_kp[32] = {0};
	if (key_provider_info && *key_provider_info)
		sha256(mr_kp, key_provider_info, strlen(key_provider_info));
	memcpy(buf, td->mr_td, 48);
	for (int i = 0; i < 3; i++)
		memcpy(buf + 48 * (i + 1), td->rtmr[i], 48);
	memcpy(buf + 192, mr_kp, 32);
	sha256(out, buf, sizeof buf);
}

void vouch_dstack_mr_aggregated(uint8_t out[32], const vouch_td_report *td)
{
	uint8_t buf[48 * 8];
	size_t n = 240;
	memcpy(buf, td->mr_td, 48);
	for (int i = 0; i < 4; i++)
		memcpy(buf + 48 * (i + 1), td->rtmr[i], 48);
	if (!all_zero(td->mr_config_id, 48) || !all_zero(td->mr_owner, 48) || !all_zero(td->mr_owner_config, 48)) {
		memcpy(buf + 240, td->mr_config_id, 48);
		memcpy(buf + 288, td->mr_owner, 48);
		memcpy(buf + 336, td->mr_owner_config, 48);
		n = 384;
	}
	sha256(out, buf, n);
}

/* The log's runtime events must be exactly the attestation's runtime_events list. */
static int check_runtime_list(const vouch_dstack_evidence *ev, char *msg, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < ev->log.n; i++) {
		const vouch_event *e = &ev->log.events[i];
		if (e->imr != 3 || e->event_type != VOUCH_RUNTIME_EVENT_TYPE)
			continue;
		vouch_bytes name, payload;
		if (k >= ev->att.n_runtime_events || attestation_runtime_event(&ev->att, k, &name, &payload) ||
		    name.len != e->name_len || memcmp(name.p, e->name, name.len) != 0 || payload.len != e->payload_len ||
		    (payload.len && memcmp(payload.p, e->payload, payload.len) != 0)) {
			msgf(msg, cap, "runtime event %zu of the event log differs from the attestation's runtime_events", k);
			return VOUCH_E_EVENTLOG;
		}
		k++;
	}
	if (k != ev->att.n_runtime_events) {
		msgf(msg, cap, "the attestation lists %zu runtime events, the event log %zu", ev->att.n_runtime_events, k);
		return VOUCH_E_EVENTLOG;
	}
	return 0;
}

int vouch_dstack_verify(vouch_dstack_result *out, vouch_verdict *v, const vouch_dstack_evidence *ev,
			const vouch_verify_opts *opts, vouch_collateral *coll, int64_t now)
{
	memset(out, 0, sizeof *out);
	int first = vouch_verify(v, opts, coll, ev->quote.p, ev->quote.len, now);
	out->quote_verified = v->ok;
	if (first)
		msgf(out->reason, sizeof out->reason, "quote: %s", v->error);
	if (v->checks[VOUCH_CHECK_QUOTE_DECODE].state != VOUCH_CHECK_PASS)
		return first;
	if (v->quote.tee_type != VOUCH_TEE_TDX) {
		if (!first)
			msgf(out->reason, sizeof out->reason, "event log: an SGX quote has no RTMRs to replay");
		return first ? first : VOUCH_E_EVENTLOG;
	}
	char m[256];
	int err = check_rtmr3_layout(&ev->log, m, sizeof m);
	if (!err)
		err = vouch_eventlog_replay(out->rtmr_replayed, &ev->log, m, sizeof m);
	if (!err) {
		int all = 1;
		for (int i = 0; i < 4; i++)
			all &= out->rtmr_match[i] = ct_eq(out->rtmr_replayed[i], v->quote.td.rtmr[i], 48);
		if (!all) {
			int i = 0;
			while (out->rtmr_match[i])
				i++;
			msgf(m, sizeof m, "RTMR%d replayed from the event log differs from the quote's", i);
			err = VOUCH_E_RTMR_MISMATCH;
		}
	}
	if (!err && ev->have_runtime_list)
		err = check_runtime_list(ev, m, sizeof m);
	out->event_log_verified = !err;
	if (err && !first) {
		msgf(out->reason, sizeof out->reason, "event log: %s", m);
		first = err;
	}
	out->report_data_verified = !ev->have_report_data || ct_eq(ev->report_data, v->quote.report_data, 64);
	if (!out->report_data_verified && !first) {
		msgf(out->reason, sizeof out->reason, "report data: the attestation's differs from the quote's");
		first = VOUCH_E_REPORT_DATA;
	}
	err = app_info(&out->app, ev, v, m, sizeof m);
	if (err && !first) {
		out->event_log_verified = 0;
		msgf(out->reason, sizeof out->reason, "event log: %s", m);
		first = err;
	}
	out->is_valid = !first;
	return first;
}

char *vouch_dstack_result_json(const vouch_dstack_result *r, const vouch_verdict *v, const vouch_dstack_evidence *ev)
{
	const vouch_app_info *a = &r->app;
	json_t *d = json_object();
	json_object_set_new(d, "quote_verified", json_boolean(r->quote_verified));
	json_object_set_new(d, "event_log_verified", json_boolean(r->event_log_verified));
	/* No OS image is at hand to measure against: not verified, and said so under vouch.skipped. */
	json_object_set_new(d, "os_image_hash_verified", json_false());
	json_object_set_new(d, "acpi_tables_verified", json_false());
	json_object_set_new(d, "os_image_is_dev", json_null());
	json_object_set_new(d, "os_image_version", json_null());
	json_object_set_new(d, "tee_variant", json_string("dstack-tdx"));
	json_object_set_new(d, "report_data", v->quote.report_data ? json_hex(v->quote.report_data, 64) : json_null());
	json_object_set_new(d, "tcb_status", json_string(vouch_tcb_status_name(v->status.status)));
	json_t *ids = json_array();
	for (unsigned i = 0; i < v->status.n_advisories; i++)
		json_array_append_new(ids, json_string(v->status.advisory_ids[i]));
	json_object_set_new(d, "advisory_ids", ids);
	json_t *kp = a->key_provider_info[0] ? json_loads(a->key_provider_info, 0, NULL) : NULL;
	json_object_set_new(d, "key_provider",
			    json_is_object(kp) ? json_pack("{s:O?, s:O?}", "name", json_object_get(kp, "name"), "id",
							   json_object_get(kp, "id"))
					       : json_null());
	json_decref(kp);
	json_t *inits = json_array();
	for (unsigned i = 0; i < a->n_init_scripts; i++)
		json_array_append_new(inits, json_hex(a->init_script_hashes[i], 32));
	json_t *app = json_object();
	json_object_set_new(app, "app_id", json_hex(a->app_id, a->app_id_len));
	json_object_set_new(app, "compose_hash", json_hex(a->compose_hash, a->compose_hash_len));
	json_object_set_new(app, "instance_id", json_hex(a->instance_id, a->instance_id_len));
	json_object_set_new(app, "device_id", a->have_device_id ? json_hex(a->device_id, 32) : json_string(""));
	json_object_set_new(app, "mr_system", json_hex(a->mr_system, 32));
	json_object_set_new(app, "mr_aggregated", json_hex(a->mr_aggregated, 32));
	json_object_set_new(app, "os_image_hash", json_hex(a->os_image_hash, a->os_image_hash_len));
	json_object_set_new(app, "key_provider_info", json_string(a->key_provider_info));
	json_object_set_new(app, "init_script_hashes", inits);
	json_object_set_new(d, "app_info", app);
	if (r->is_valid) {
		json_t *b = json_object();
		json_object_set_new(b, "teeVariant", json_string("dstack-tdx"));
		json_object_set(b, "mrAggregated", json_object_get(app, "mr_aggregated"));
		json_object_set(b, "osImageHash", json_object_get(app, "os_image_hash"));
		json_object_set(b, "mrSystem", json_object_get(app, "mr_system"));
		json_object_set(b, "appId", json_object_get(app, "app_id"));
		json_object_set(b, "composeHash", json_object_get(app, "compose_hash"));
		json_object_set(b, "instanceId", json_object_get(app, "instance_id"));
		json_object_set(b, "deviceId", json_object_get(app, "device_id"));
		json_object_set(b, "keyProviderInfo", json_object_get(app, "key_provider_info"));
		json_object_set(b, "tcbStatus", json_object_get(d, "tcb_status"));
		json_object_set(b, "advisoryIds", json_object_get(d, "advisory_ids"));
		json_object_set_new(d, "boot_info", b);
	}
	/* vouch's additions */
	json_t *x = json_object(), *rt = json_array(), *skipped = json_array();
	json_object_set_new(x, "simulated", json_boolean(v->simulated));
	json_object_set_new(x, "no_collateral", json_boolean(v->no_collateral));
	for (int i = 0; i < 4 && v->quote.td.mr_td; i++)
		json_array_append_new(rt, json_pack("{s:i, s:o, s:o, s:b}", "index", i, "replayed",
						    json_hex(r->rtmr_replayed[i], 48), "quote", json_hex(v->quote.td.rtmr[i], 48),
						    "match", r->rtmr_match[i]));
	json_object_set_new(x, "rtmr", rt);
	json_object_set_new(x, "report_data_verified", json_boolean(r->report_data_verified));
	/* identity is read from the events before system-ready; without one, the boot never said it was done */
	json_object_set_new(x, "system_ready", json_boolean(a->system_ready));
	json_object_set_new(x, "event_count", json_integer((json_int_t)ev->log.n));
	json_array_append_new(skipped, json_string("os_image_hash: no OS image to recompute MRTD/RTMR0-2 from"));
	json_array_append_new(skipped, json_string("acpi_tables: no OS image to recompute the ACPI tables from"));
	for (int i = 0; i < VOUCH_CHECK_COUNT; i++)
		if (v->checks[i].state == VOUCH_CHECK_SKIPPED)
			json_array_append_new(skipped, json_string(vouch_check_name((vouch_check_id)i)));
	json_object_set_new(x, "skipped", skipped);
	char *vj = vouch_verdict_json(v);
	json_t *vd = vj ? json_loads(vj, 0, NULL) : NULL;
	free(vj);
	json_object_set_new(x, "quote_verdict", vd ? vd : json_null());
	json_object_set_new(d, "vouch", x);
	json_t *top = json_pack("{s:b, s:o, s:s?}", "is_valid", r->is_valid, "details", d, "reason",
				r->is_valid ? NULL : r->reason);
	char *s = json_dumps(top, JSON_PRESERVE_ORDER | JSON_INDENT(2));
	json_decref(top);
	return s;
}
