/* Names for statuses and checks, and the verdict as JSON. */
#include <stdlib.h>

#include <jansson.h>

#include "internal.h"
#include "vouch/dcap.h"
#include "vouch/util.h"

static const char *const STATUS[] = {
	"UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
	"OutOfDate", "OutOfDateConfigurationNeeded", "Revoked", "Unknown",
};

const char *vouch_tcb_status_name(vouch_tcb_status s)
{
	return (unsigned)s < ARRAY_LEN(STATUS) ? STATUS[s] : "Unknown";
}

int vouch_tcb_status_parse(vouch_tcb_status *out, const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(STATUS); i++)
		if (strlen(STATUS[i]) == len && memcmp(STATUS[i], name, len) == 0) {
			*out = (vouch_tcb_status)i;
			return 0;
		}
	return VOUCH_E_ARG;
}

static const char *const CHECKS[VOUCH_CHECK_COUNT] = {
	[VOUCH_CHECK_ROOT_ANCHOR] = "root.anchor",
	[VOUCH_CHECK_CRL_DECODE] = "crl.decode",
	[VOUCH_CHECK_ROOT_CRL] = "root.crl",
	[VOUCH_CHECK_QUOTE_DECODE] = "quote.decode",
	[VOUCH_CHECK_QUOTE_HEADER] = "quote.header",
	[VOUCH_CHECK_TCB_INFO_DECODE] = "tcb_info.decode",
	[VOUCH_CHECK_TCB_INFO_VALIDITY] = "tcb_info.validity",
	[VOUCH_CHECK_TCB_INFO_CHAIN] = "tcb_info.issuer_chain",
	[VOUCH_CHECK_TCB_INFO_SIGNATURE] = "tcb_info.signature",
	[VOUCH_CHECK_QE_ID_DECODE] = "qe_identity.decode",
	[VOUCH_CHECK_QE_ID_VALIDITY] = "qe_identity.validity",
	[VOUCH_CHECK_QE_ID_CHAIN] = "qe_identity.issuer_chain",
	[VOUCH_CHECK_QE_ID_SIGNATURE] = "qe_identity.signature",
	[VOUCH_CHECK_QE_ID_TEE_TYPE] = "qe_identity.tee_type",
	[VOUCH_CHECK_PCK_CHAIN] = "pck.chain",
	[VOUCH_CHECK_PCK_REVOCATION] = "pck.revocation",
	[VOUCH_CHECK_PCK_EXTENSION] = "pck.sgx_extension",
	[VOUCH_CHECK_QE_REPORT_SIGNATURE] = "qe_report.signature",
	[VOUCH_CHECK_QE_REPORT_BINDING] = "qe_report.key_binding",
	[VOUCH_CHECK_QE_POLICY] = "qe_identity.policy",
	[VOUCH_CHECK_QE_TCB] = "qe_identity.tcb_level",
	[VOUCH_CHECK_QUOTE_SIGNATURE] = "quote.signature",
	[VOUCH_CHECK_FMSPC] = "tcb.fmspc",
	[VOUCH_CHECK_TCB_INFO_TEE_TYPE] = "tcb_info.tee_type",
	[VOUCH_CHECK_TCB_LEVEL] = "tcb.level",
	[VOUCH_CHECK_TDX_MODULE] = "tdx_module.identity",
	[VOUCH_CHECK_TDX_MODULE_TCB] = "tdx_module.tcb_level",
	[VOUCH_CHECK_TCB_STATUS] = "tcb.status",
	[VOUCH_CHECK_DEBUG] = "report.debug",
	[VOUCH_CHECK_SERVICE_TD] = "td.mr_service_td",
	[VOUCH_CHECK_TD_ATTRIBUTES] = "td.attributes",
	[VOUCH_CHECK_CRL_THIS_UPDATE] = "crl.this_update",
	[VOUCH_CHECK_PCE_ID] = "tcb.pce_id",
	[VOUCH_CHECK_QE_REPORT_PADDING] = "qe_report.report_data_padding",
};

const char *vouch_check_name(vouch_check_id id)
{
	return (unsigned)id < VOUCH_CHECK_COUNT ? CHECKS[id] : "?";
}

const char *vouch_check_state_name(vouch_check_state s)
{
	switch (s) {
	case VOUCH_CHECK_PASS:
		return "pass";
	case VOUCH_CHECK_FAIL:
		return "fail";
	case VOUCH_CHECK_SKIPPED:
		return "skipped";
	case VOUCH_CHECK_NA:
		return "n/a";
	case VOUCH_CHECK_NOT_RUN:
		break;
	}
	return "not run";
}

static json_t *hexj(const uint8_t *p, size_t n)
{
	char buf[2 * 64 + 1];
	if (n > 64)
		return json_null();
	vouch_hex_encode(buf, p, n);
	return json_string(buf);
}

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
		json_object_set_new(m, "mr_enclave", hexj(r->mr_enclave, 32));
		json_object_set_new(m, "mr_signer", hexj(r->mr_signer, 32));
		json_object_set_new(m, "isv_prod_id", json_integer(r->isv_prod_id));
		json_object_set_new(m, "isv_svn", json_integer(r->isv_svn));
		json_object_set_new(m, "attributes", hexj(r->attributes, 16));
		json_object_set_new(m, "cpu_svn", hexj(r->cpu_svn, 16));
		json_object_set_new(m, "misc_select", hexj(r->raw + 16, 4));
		return m;
	}
	const vouch_td_report *t = &q->td;
	json_object_set_new(m, "mr_td", hexj(t->mr_td, 48));
	for (int i = 0; i < 4; i++) {
		char k[8];
		snprintf(k, sizeof k, "rtmr%d", i);
		json_object_set_new(m, k, hexj(t->rtmr[i], 48));
	}
	json_object_set_new(m, "mr_config_id", hexj(t->mr_config_id, 48));
	json_object_set_new(m, "mr_owner", hexj(t->mr_owner, 48));
	json_object_set_new(m, "mr_owner_config", hexj(t->mr_owner_config, 48));
	json_object_set_new(m, "mr_seam", hexj(t->mr_seam, 48));
	json_object_set_new(m, "mr_signer_seam", hexj(t->mr_signer_seam, 48));
	json_object_set_new(m, "tee_tcb_svn", hexj(t->tee_tcb_svn, 16));
	json_object_set_new(m, "seam_attributes", hexj(t->seam_attributes, 8));
	json_object_set_new(m, "td_attributes", hexj(t->td_attributes, 8));
	json_object_set_new(m, "xfam", hexj(t->xfam, 8));
	if (t->mr_service_td) {
		json_object_set_new(m, "tee_tcb_svn2", hexj(t->tee_tcb_svn2, 16));
		json_object_set_new(m, "mr_service_td", hexj(t->mr_service_td, 48));
	}
	return m;
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
		json_object_set_new(o, "report_data", hexj(q->report_data, 64));
		json_object_set_new(o, "measurements", measurements(q));
	}
	json_object_set_new(o, "platform_status", tcb_json(&v->platform));
	json_object_set_new(o, "qe_status", tcb_json(&v->qe));
	if (v->have_pck) {
		json_object_set_new(o, "ppid", hexj(v->ppid, 16));
		json_object_set_new(o, "fmspc", hexj(v->fmspc, 6));
		json_object_set_new(o, "pce_id", hexj(v->pceid, 2));
		json_object_set_new(o, "pcesvn", json_integer(v->pcesvn));
		json_object_set_new(o, "cpusvn", hexj(v->cpusvn, 16));
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
