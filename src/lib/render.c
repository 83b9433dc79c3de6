/* Quotes and verdicts as JSON (jansson). Byte fields are lowercase hex; names follow dcap-qvl's JSON. */
#include <stdio.h>
#include <stdlib.h>


#include "internal.h"
#include "jsonout.h"
#include "vouch/dcap.h"
#include "vouch/util.h"

static json_t *tcb_json(const vouch_tcb_result *r)
{
	json_t *ids = json_array();
	for (unsigned i = 0; i < r->n_advisories; i++)
		json_array_append_new(ids, json_string(r->advisory_ids[i]));
	return json_pack("{s:s, s:o}", "status", vouch_tcb_status_name(r->status), "advisory_ids", ids);
}

static json_t *measurements(const vouch_quote *q)
{
	json_t *m = json_object();
	if (q->body_type == VOUCH_BODY_SGX) {
		const vouch_sgx_report *r = &q->sgx;
		json_object_set_new(m, "mr_enclave", json_hex(r->mr_enclave, 32));
		json_object_set_new(m, "mr_signer", json_hex(r->mr_signer, 32));
		json_object_set_new(m, "isv_prod_id", json_integer(r->isv_prod_id));
		json_object_set_new(m, "isv_svn", json_integer(r->isv_svn));
		json_object_set_new(m, "attributes", json_hex(r->attributes, 16));
		json_object_set_new(m, "cpu_svn", json_hex(r->cpu_svn, 16));
		json_object_set_new(m, "misc_select", json_hex(r->raw + 16, 4));
		return m;
	}
	const vouch_td_report *t = &q->td;
	json_object_set_new(m, "mr_td", json_hex(t->mr_td, 48));
	for (int i = 0; i < 4; i++) {
		char k[8];
		snprintf(k, sizeof k, "rtmr%d", i);
		json_object_set_new(m, k, json_hex(t->rtmr[i], 48));
	}
	json_object_set_new(m, "mr_config_id", json_hex(t->mr_config_id, 48));
	json_object_set_new(m, "mr_owner", json_hex(t->mr_owner, 48));
	json_object_set_new(m, "mr_owner_config", json_hex(t->mr_owner_config, 48));
	json_object_set_new(m, "mr_seam", json_hex(t->mr_seam, 48));
	json_object_set_new(m, "mr_signer_seam", json_hex(t->mr_signer_seam, 48));
	json_object_set_new(m, "tee_tcb_svn", json_hex(t->tee_tcb_svn, 16));
	json_object_set_new(m, "seam_attributes", json_hex(t->seam_attributes, 8));
	json_object_set_new(m, "td_attributes", json_hex(t->td_attributes, 8));
	json_object_set_new(m, "xfam", json_hex(t->xfam, 8));
	if (t->mr_service_td) {
		json_object_set_new(m, "tee_tcb_svn2", json_hex(t->tee_tcb_svn2, 16));
		json_object_set_new(m, "mr_service_td", json_hex(t->mr_service_td, 48));
	}
	return m;
}

static json_t *sgx_report_json(const vouch_sgx_report *r)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:i, s:o, s:o}", "cpu_svn", json_hex(r->cpu_svn, 16),
			 "misc_select", json_hex(r->raw + 16, 4), "reserved1", json_hex(r->raw + 20, 28), "attributes",
			 json_hex(r->attributes, 16), "mr_enclave", json_hex(r->mr_enclave, 32), "reserved2",
			 json_hex(r->raw + 96, 32), "mr_signer", json_hex(r->mr_signer, 32), "isv_prod_id", r->isv_prod_id,
			 "isv_svn", r->isv_svn, "reserved4", json_hex(r->raw + 260, 60), "report_data",
			 json_hex(r->report_data, 64));
}

static json_t *td_report_json(const vouch_td_report *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "tee_tcb_svn", json_hex(t->tee_tcb_svn, 16));
	json_object_set_new(o, "mr_seam", json_hex(t->mr_seam, 48));
	json_object_set_new(o, "mr_signer_seam", json_hex(t->mr_signer_seam, 48));
	json_object_set_new(o, "seam_attributes", json_hex(t->seam_attributes, 8));
	json_object_set_new(o, "td_attributes", json_hex(t->td_attributes, 8));
	json_object_set_new(o, "xfam", json_hex(t->xfam, 8));
	json_object_set_new(o, "mr_td", json_hex(t->mr_td, 48));
	json_object_set_new(o, "mr_config_id", json_hex(t->mr_config_id, 48));
	json_object_set_new(o, "mr_owner", json_hex(t->mr_owner, 48));
	json_object_set_new(o, "mr_owner_config", json_hex(t->mr_owner_config, 48));
	for (int i = 0; i < 4; i++) {
		char k[8];
		snprintf(k, sizeof k, "rt_mr%d", i);
		json_object_set_new(o, k, json_hex(t->rtmr[i], 48));
	}
	json_object_set_new(o, "report_data", json_hex(t->report_data, 64));
	if (t->mr_service_td) {
		json_object_set_new(o, "tee_tcb_svn2", json_hex(t->tee_tcb_svn2, 16));
		json_object_set_new(o, "mr_service_td", json_hex(t->mr_service_td, 48));
	}
	return o;
}

char *vouch_quote_json(const vouch_quote *q)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	char tee[11];
	snprintf(tee, sizeof tee, "0x%08x", q->tee_type);
	json_object_set_new(o, "header",
			    json_pack("{s:i, s:i, s:s, s:i, s:i, s:o, s:o}", "version", q->version,
				      "attestation_key_type", q->att_key_type, "tee_type", tee, "qe_svn", q->qe_svn,
				      "pce_svn", q->pce_svn, "qe_vendor_id", json_hex(q->qe_vendor_id, 16), "user_data",
				      json_hex(q->user_data, 20)));
	json_object_set_new(o, "body_type", json_string(vouch_body_name(q->body_type)));
	json_object_set_new(o, "body_size", json_integer(q->body_size));
	json_object_set_new(o, "report", q->body_type == VOUCH_BODY_SGX ? sgx_report_json(&q->sgx) : td_report_json(&q->td));
	json_object_set_new(o, "signed_len", json_integer((json_int_t)q->signed_len));
	json_t *a = json_object();
	json_object_set_new(a, "signature_data_len", json_integer(q->sig_data_len));
	json_object_set_new(a, "ecdsa_signature", json_hex(q->signature, 64));
	json_object_set_new(a, "ecdsa_attestation_key", json_hex(q->attest_key, 64));
	if (q->version != 3) {
		json_object_set_new(a, "outer_cert_type", json_integer(q->outer_cert_type));
		json_object_set_new(a, "outer_cert_size", json_integer(q->outer_cert_size));
	}
	json_object_set_new(a, "qe_report", sgx_report_json(&q->qe_report));
	json_object_set_new(a, "qe_report_signature", json_hex(q->qe_report_sig, 64));
	json_object_set_new(a, "qe_auth_data", json_hex(q->qe_auth, q->qe_auth_len));
	json_t *cd = json_object();
	json_object_set_new(cd, "cert_type", json_integer(q->cert_type));
	json_object_set_new(cd, "size", json_integer(q->cert_len));
	if (q->cert_type == 5) /* a PEM chain: show it as text, minus the trailing NULs */ {
		size_t n = q->cert_len;
		while (n && q->cert_data[n - 1] == 0)
			n--;
		json_object_set_new(cd, "pem", json_stringn((const char *)q->cert_data, n));
	} else {
		json_object_set_new(cd, "body", json_hex(q->cert_data, q->cert_len));
	}
	json_object_set_new(a, "certification_data", cd);
	json_object_set_new(o, "auth_data", a);
	json_object_set_new(o, "total_len", json_integer((json_int_t)q->total_len));
	json_object_set_new(o, "trailing_bytes", json_integer((json_int_t)q->trailing));
	char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2));
	json_decref(o);
	return s;
}

char *vouch_verdict_json(const vouch_verdict *v)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "ok", json_boolean(v->ok));
	if (!v->ok) {
		json_object_set_new(o, "error", json_string(v->error));
		json_object_set_new(o, "error_code", json_string(vouch_errname(v->err)));
	}
	json_object_set_new(o, "status", json_string(vouch_tcb_status_name(v->status.status)));
	json_t *ids = json_array();
	for (unsigned i = 0; i < v->status.n_advisories; i++)
		json_array_append_new(ids, json_string(v->status.advisory_ids[i]));
	json_object_set_new(o, "advisory_ids", ids);
	json_object_set_new(o, "simulated", json_boolean(v->simulated));
	if (v->no_collateral)
		json_object_set_new(o, "no_collateral", json_true());
	const vouch_quote *q = &v->quote;
	if (q->version) {
		json_object_set_new(o, "tee", json_string(q->tee_type == VOUCH_TEE_TDX ? "tdx" : "sgx"));
		json_object_set_new(o, "version", json_integer(q->version));
		json_object_set_new(o, "body", json_string(vouch_body_name(q->body_type)));
		if (v->have_quote_id)
			json_object_set_new(o, "quote_id", json_hex(v->quote_id, 32));
		json_object_set_new(o, "report_data", json_hex(q->report_data, 64));
		json_object_set_new(o, "measurements", measurements(q));
	}
	json_object_set_new(o, "platform_status", tcb_json(&v->platform));
	json_object_set_new(o, "qe_status", tcb_json(&v->qe));
	if (v->have_pck) {
		json_object_set_new(o, "ppid", json_hex(v->ppid, 16));
		json_object_set_new(o, "fmspc", json_hex(v->fmspc, 6));
		json_object_set_new(o, "pce_id", json_hex(v->pceid, 2));
		json_object_set_new(o, "pcesvn", json_integer(v->pcesvn));
		json_object_set_new(o, "cpusvn", json_hex(v->cpusvn, 16));
	}
	if (v->collateral_expiry) {
		char t[21];
		vouch_time_format(t, v->collateral_expiry);
		json_object_set_new(o, "collateral_expiry", json_string(t));
	}
	json_t *checks = json_array(), *skipped = json_array();
	for (int i = 0; i < VOUCH_CHECK_COUNT; i++) {
		const vouch_check *c = &v->checks[i];
		json_t *e = json_pack("{s:s, s:s}", "name", vouch_check_name((vouch_check_id)i), "result",
				      vouch_check_state_name(c->state));
		if (c->note)
			json_object_set_new(e, "note", json_string(c->note));
		json_array_append_new(checks, e);
		if (c->state == VOUCH_CHECK_SKIPPED)
			json_array_append_new(skipped, json_string(vouch_check_name((vouch_check_id)i)));
	}
	json_object_set_new(o, "checks", checks);
	json_object_set_new(o, "skipped", skipped);
	char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2));
	json_decref(o);
	return s;
}
