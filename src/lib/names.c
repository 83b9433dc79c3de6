/* Names of TCB statuses and verification checks. */
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

