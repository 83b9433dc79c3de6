/* TCB evaluation: the QE identity policy and QE TCB level (step 7), the platform's TCB level and the TDX
 * module identity (step 9), and the merged status (step 10), as dcap-qvl evaluates them (spec §2). */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "json.h"
#include "verify_internal.h"
#include "vouch/util.h"

static void result_set(vouch_tcb_result *r, vouch_tcb_status s, span advisories)
{
	r->status = s;
	r->n_advisories = 0;
	advisories_merge(r, advisories);
}

/* Higher severity wins; advisories: the first list in order, then the second's new ones (step 10). */
static void result_merge(vouch_tcb_result *into, const vouch_tcb_result *b)
{
	if (b->status > into->status)
		into->status = b->status;
	for (unsigned i = 0; i < b->n_advisories; i++) {
		unsigned k;
		for (k = 0; k < into->n_advisories; k++)
			if (strcmp(into->advisory_ids[k], b->advisory_ids[i]) == 0)
				break;
		if (k == into->n_advisories && into->n_advisories < VOUCH_MAX_ADVISORIES)
			memcpy(into->advisory_ids[into->n_advisories++], b->advisory_ids[i], VOUCH_ADVISORY_LEN);
	}
}

/* ---- step 7: QE identity policy ---- */
int step_qe_policy(vctx *x)
{
	const qe_identity *qi = &x->c->qe;
	const vouch_sgx_report *r = &x->v->quote.qe_report;
	char a[65], b[65];
	if (memcmp(r->mr_signer, qi->mrsigner, 32) != 0) {
		vouch_hex_encode(a, qi->mrsigner, 32);
		vouch_hex_encode(b, r->mr_signer, 32);
		return fail(x, VOUCH_CHECK_QE_POLICY, VOUCH_E_QE_MRSIGNER, "QE MRSIGNER mismatch: expected %s, got %s", a, b);
	}
	if (r->attributes[0] & 0x02)
		return fail(x, VOUCH_CHECK_QE_POLICY, VOUCH_E_QE_DEBUG, "QE report validation failed: Debug mode is enabled");
	if (r->isv_prod_id != qi->isvprodid)
		return fail(x, VOUCH_CHECK_QE_POLICY, VOUCH_E_QE_ISVPRODID, "QE ISVPRODID mismatch: expected %u, got %u",
			    qi->isvprodid, r->isv_prod_id);
	/* JSON hex read as a little-endian u32 is the same as comparing byte by byte */
	for (int i = 0; i < 4; i++)
		if (((r->raw[16 + i] ^ qi->miscselect[i]) & qi->miscselect_mask[i]) != 0)
			return fail(x, VOUCH_CHECK_QE_POLICY, VOUCH_E_QE_MISCSELECT, "QE MISCSELECT mismatch");
	for (int i = 0; i < 16; i++)
		if (((r->attributes[i] ^ qi->attributes[i]) & qi->attributes_mask[i]) != 0)
			return fail(x, VOUCH_CHECK_QE_POLICY, VOUCH_E_QE_ATTRIBUTES, "QE ATTRIBUTES mismatch at byte %d", i);
	pass(x, VOUCH_CHECK_QE_POLICY, NULL);
	if (qi->n_levels == 0)
		return fail(x, VOUCH_CHECK_QE_TCB, VOUCH_E_QE_TCB_NO_LEVELS, "No TCB levels found in QE Identity");
	for (unsigned i = 0; i < qi->n_levels; i++) /* JSON order, no sort (spec step 7.6) */
		if (r->isv_svn >= qi->levels[i].isvsvn) {
			result_set(&x->v->qe, qi->levels[i].status, qi->levels[i].advisories);
			pass(x, VOUCH_CHECK_QE_TCB, NULL);
			return 0;
		}
	return fail(x, VOUCH_CHECK_QE_TCB, VOUCH_E_QE_ISVSVN,
		    "QE ISVSVN %u is below minimum required %u from QE Identity", r->isv_svn,
		    qi->levels[qi->n_levels - 1].isvsvn);
}

/* ---- step 9.4: TDX module identity ---- */
static int step_tdx_module(vctx *x)
{
	const tcb_info *t = &x->c->tcb;
	const vouch_td_report *td = &x->v->quote.td;
	if (!t->has_module)
		return fail(x, VOUCH_CHECK_TDX_MODULE, VOUCH_E_TDX_MODULE_MISSING, "TDX TCB Info is missing tdxModule field");
	unsigned isvsvn = td->tee_tcb_svn[0], ver = td->tee_tcb_svn[1];
	const uint8_t *mrsigner = t->module_mrsigner, *attr = t->module_attributes, *mask = t->module_attributes_mask;
	const module_identity *id = NULL;
	if (ver > 0 && t->n_modules > 0) {
		char want[8];
		snprintf(want, sizeof want, "TDX_%02X", ver);
		for (unsigned i = 0; i < t->n_modules && !id; i++) {
			char got[16];
			if (jr_unescape(t->modules[i].id, got, sizeof got, NULL) == 0 && strcasecmp(got, want) == 0)
				id = &t->modules[i];
		}
		if (!id)
			return fail(x, VOUCH_CHECK_TDX_MODULE, VOUCH_E_TDX_MODULE_ID,
				    "No TDX module identity with id %s found in TCB Info", want);
		mrsigner = id->mrsigner, attr = id->attributes, mask = id->attributes_mask;
	}
	if (memcmp(td->mr_signer_seam, mrsigner, 48) != 0)
		return fail(x, VOUCH_CHECK_TDX_MODULE, VOUCH_E_TDX_MODULE_MRSIGNER, "TDX module MRSIGNER mismatch");
	for (int i = 0; i < 8; i++) {
		if ((td->seam_attributes[i] & mask[i]) != (attr[i] & mask[i]))
			return fail(x, VOUCH_CHECK_TDX_MODULE, VOUCH_E_TDX_MODULE_ATTRIBUTES,
				    "TDX module SEAMATTRIBUTES mismatch at byte %d", i);
		if (td->seam_attributes[i] & ~mask[i])
			return fail(x, VOUCH_CHECK_TDX_MODULE, VOUCH_E_TDX_MODULE_ATTRIBUTES,
				    "TDX module SEAMATTRIBUTES has bits set outside mask at byte %d", i);
	}
	pass(x, VOUCH_CHECK_TDX_MODULE, id ? "module identity from tdxModuleIdentities" : "tdxModule");
	if (!id) {
		na(x, VOUCH_CHECK_TDX_MODULE_TCB, "no module identity levels for this module version");
		return 0;
	}
	for (unsigned i = 0; i < id->n_levels; i++)
		if (isvsvn >= id->levels[i].isvsvn) {
			vouch_tcb_result *m = malloc(sizeof *m);
			if (!m)
				return fail(x, VOUCH_CHECK_TDX_MODULE_TCB, VOUCH_E_NOMEM, "out of memory");
			result_set(m, id->levels[i].status, id->levels[i].advisories);
			result_merge(&x->v->platform, m);
			free(m);
			pass(x, VOUCH_CHECK_TDX_MODULE_TCB, NULL);
			return 0;
		}
	return fail(x, VOUCH_CHECK_TDX_MODULE_TCB, VOUCH_E_TDX_MODULE_ISVSVN,
		    "TDX module ISVSVN %u is below minimum required from TDX module TCB levels", isvsvn);
}

/* ---- step 9: platform TCB ---- */
int step_platform_tcb(vctx *x)
{
	const tcb_info *t = &x->c->tcb;
	const vouch_quote *q = &x->v->quote;
	int tdx = q->tee_type == VOUCH_TEE_TDX;
	char a[13], b[13];
	if (memcmp(x->ext.fmspc, t->fmspc, 6) != 0) {
		vouch_hex_encode(a, x->ext.fmspc, 6);
		vouch_hex_encode(b, t->fmspc, 6);
		return fail(x, VOUCH_CHECK_FMSPC, VOUCH_E_FMSPC_MISMATCH, "Fmspc mismatch: PCK %s, TCB info %s", a, b);
	}
	pass(x, VOUCH_CHECK_FMSPC, NULL);
	if (tdx && !tcb_info_is_tdx(t))
		return fail(x, VOUCH_CHECK_TCB_INFO_TEE_TYPE, VOUCH_E_TCB_INFO_MISMATCH,
			    "TDX quote with non-TDX TCB info in the collateral");
	if (!tdx && !(t->version >= 2 && jr_str_eq(t->id, "SGX")))
		return fail(x, VOUCH_CHECK_TCB_INFO_TEE_TYPE, VOUCH_E_TCB_INFO_MISMATCH,
			    "SGX quote with non-SGX TCB info in the collateral");
	pass(x, VOUCH_CHECK_TCB_INFO_TEE_TYPE, NULL);

	const tcb_level *match = NULL;
	for (unsigned i = 0; i < t->n_levels && !match; i++) {
		const tcb_level *l = &t->levels[i];
		if (x->ext.pcesvn < l->pcesvn)
			continue;
		if (l->n_sgx != 16)
			return fail(x, VOUCH_CHECK_TCB_LEVEL, VOUCH_E_SGX_COMPONENTS,
				    "SGX component count mismatch: %u in a TCB level, expected 16", l->n_sgx);
		int ok = 1;
		for (int k = 0; k < 16 && ok; k++)
			ok = x->ext.cpusvn[k] >= l->sgx[k];
		if (!ok)
			continue;
		if (tdx) {
			if (l->n_tdx != 16)
				return fail(x, VOUCH_CHECK_TCB_LEVEL, VOUCH_E_TDX_COMPONENTS,
					    "TDX component count mismatch: %u in a TCB level, expected 16", l->n_tdx);
			for (int k = 0; k < 16 && ok; k++)
				ok = q->td.tee_tcb_svn[k] >= l->tdx[k];
			if (!ok)
				continue;
		}
		match = l;
	}
	if (!match)
		return fail(x, VOUCH_CHECK_TCB_LEVEL, VOUCH_E_NO_TCB_LEVEL, "No matching TCB level found");
	result_set(&x->v->platform, match->status, match->advisories);
	pass(x, VOUCH_CHECK_TCB_LEVEL, NULL);
	if (!tdx) {
		na(x, VOUCH_CHECK_TDX_MODULE, "SGX quote");
		na(x, VOUCH_CHECK_TDX_MODULE_TCB, "SGX quote");
		return 0;
	}
	return step_tdx_module(x);
}


void merge_status(vctx *x)
{
	x->v->status = x->v->platform;
	result_merge(&x->v->status, &x->v->qe);
}
