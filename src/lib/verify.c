/* DCAP quote verification: dcap-qvl 0.5.2's algorithm in its order (spec §2, steps 0–11), then the checks
 * it skips. Each step records its check in the verdict; the first failure stops verification and names
 * itself in verdict->error. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto.h"
#include "json.h"
#include "verify_internal.h"
#include "vouch/util.h"

static const uint8_t INTEL_QE_VENDOR_ID[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
					       0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};
#define PCK_CERT_CHAIN_TYPE 5
#define ATT_KEY_ECDSA_P256 2

void pass(vctx *x, vouch_check_id id, const char *note)
{
	x->v->checks[id].state = VOUCH_CHECK_PASS;
	x->v->checks[id].note = note;
}

void skip(vctx *x, vouch_check_id id, const char *why)
{
	x->v->checks[id].state = VOUCH_CHECK_SKIPPED;
	x->v->checks[id].note = why;
}

void na(vctx *x, vouch_check_id id, const char *why)
{
	x->v->checks[id].state = VOUCH_CHECK_NA;
	x->v->checks[id].note = why;
}

int fail(vctx *x, vouch_check_id id, int err, const char *fmt, ...)
{
	char detail[224];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	x->v->checks[id].state = VOUCH_CHECK_FAIL;
	x->v->err = err;
	msgf(x->v->error, sizeof x->v->error, "%s: %s", vouch_check_name(id), detail);
	return err;
}

/* Verifies a raw r ‖ s signature; cached when the message is collateral. */
static int raw_sig_ok(vctx *x, sigcache *cache, const uint8_t pub[65], span msg, const uint8_t rs[64])
{
	uint8_t der[72];
	size_t n = ecdsa_raw_to_der(der, rs);
	return sig_verify(cache, x->cx.keys, pub, msg, span_of(der, n));
}

/* ---- step 0: trust anchor and root CRL ---- */
static int step_anchor(vctx *x)
{
	const uint8_t *root = x->o->root_der ? x->o->root_der : vouch_intel_root_der;
	size_t len = x->o->root_der ? x->o->root_der_len : vouch_intel_root_der_len;
	uint8_t h[32];
	if (cert_parse(&x->anchor, root, len))
		return fail(x, VOUCH_CHECK_ROOT_ANCHOR, VOUCH_E_ROOT_PARSE, "the trust anchor is not a P-256 certificate");
	sha256(h, root, len);
	x->v->simulated = !ct_eq(h, vouch_intel_root_sha256, 32);
	pass(x, VOUCH_CHECK_ROOT_ANCHOR,
	     x->v->simulated ? "caller-supplied root, not Intel's: simulated" : "Intel SGX Root CA (SHA-256 pinned)");
	x->cx.anchor = &x->anchor;
	x->cx.now = x->now;
	x->cx.msg = x->msg;
	x->cx.cap = sizeof x->msg;
	if (!x->c) {
		skip(x, VOUCH_CHECK_CRL_DECODE, "no collateral");
		skip(x, VOUCH_CHECK_ROOT_CRL, "no collateral");
		return 0;
	}
	collateral_parse(x->c);
	if (x->c->crl_err)
		return fail(x, VOUCH_CHECK_CRL_DECODE, x->c->crl_err, "%s", x->c->crl_msg);
	pass(x, VOUCH_CHECK_CRL_DECODE, NULL);
	x->cx.crls[0] = &x->c->crls[0];
	x->cx.crls[1] = &x->c->crls[1];
	x->cx.cache = &x->c->cache;
	x->cx.what = "root";
	int err = anchor_revocation(&x->cx);
	if (err)
		return fail(x, VOUCH_CHECK_ROOT_CRL, err, "%s", x->msg);
	pass(x, VOUCH_CHECK_ROOT_CRL, NULL);
	return 0;
}

/* ---- step 1: decode and header policy ---- */
static int step_quote(vctx *x, const uint8_t *quote, size_t len)
{
	vouch_quote *q = &x->v->quote;
	int err = vouch_quote_parse(q, quote, len);
	if (err)
		return fail(x, VOUCH_CHECK_QUOTE_DECODE, err, "%s", vouch_strerror(err));
	pass(x, VOUCH_CHECK_QUOTE_DECODE,
	     "layout and lengths; beyond dcap-qvl: v5 body size and type, outer certification type 6, exact lengths");
	sha256(x->v->quote_id, q->signed_data, q->signed_len); /* the same for (r, s) and (r, n-s): dcap.h */
	x->v->have_quote_id = 1;
	if (!ct_eq(q->qe_vendor_id, INTEL_QE_VENDOR_ID, 16))
		return fail(x, VOUCH_CHECK_QUOTE_HEADER, VOUCH_E_QUOTE_QE_VENDOR, "Unknown QE vendor ID");
	if (q->tee_type == VOUCH_TEE_SGX && q->version != 3)
		return fail(x, VOUCH_CHECK_QUOTE_HEADER, VOUCH_E_QUOTE_TEE_VERSION, "SGX TEE quote must have version 3");
	if (q->tee_type == VOUCH_TEE_TDX && q->version != 4 && q->version != 5)
		return fail(x, VOUCH_CHECK_QUOTE_HEADER, VOUCH_E_QUOTE_TEE_VERSION,
			    "TDX TEE quote must have version 4 or 5");
	if (q->att_key_type != ATT_KEY_ECDSA_P256)
		return fail(x, VOUCH_CHECK_QUOTE_HEADER, VOUCH_E_QUOTE_KEY_TYPE,
			    "Unsupported DCAP attestation key type %u", q->att_key_type);
	pass(x, VOUCH_CHECK_QUOTE_HEADER, NULL);
	return 0;
}

/* issueDate <= now <= nextUpdate, both inclusive (spec: time rules). */
static int check_window(vctx *x, vouch_check_id id, const char *what, int64_t issue, int64_t next, int e_future,
			int e_expired)
{
	char t[21];
	if (x->now < issue) {
		fmt_time(t, issue);
		return fail(x, id, e_future, "%s issue date is in the future (issueDate %s)", what, t);
	}
	if (x->now > next) {
		fmt_time(t, next);
		return fail(x, id, e_expired, "%s expired (nextUpdate %s)", what, t);
	}
	pass(x, id, NULL);
	return 0;
}

/* An issuer chain of signed collateral (TCB signing certificate + root), revocation included. */
static int check_issuer_chain(vctx *x, vouch_check_id id, const char *what, int load_err, const char *load_msg,
			      const cert_chain *ch)
{
	if (load_err)
		return fail(x, id, load_err, "%s issuer chain: %s", what, load_msg);
	x->cx.what = what;
	x->cx.cache_leaf = 1;
	int err = chain_verify(&x->cx, ch);
	if (!err)
		err = chain_revocation(&x->cx);
	if (err)
		return fail(x, id, err, "%s", x->msg);
	pass(x, id, NULL);
	return 0;
}

/* Steps 2 and 3 share a shape: a signed JSON text — decoded, dated, its issuer chain checked, its signature
 * over the exact bytes verified. */
typedef struct signed_part {
	const char *what;             /* "TCBInfo" / "QE Identity", as dcap-qvl words its errors */
	const char *chain_what;       /* "TCB Info" / "QE Identity" */
	const char *field;            /* "tcb_info" / "qe_identity" */
	vouch_check_id decode, validity, chain, signature;
	int parse_err, e_future, e_expired, e_signature;
	const char *parse_msg;
	int64_t issue, next;
	int chain_err;
	const char *chain_msg;
	const cert_chain *issuers;
	vouch_bytes text;
	const uint8_t *sig;
} signed_part;

static int step_signed(vctx *x, const signed_part *p)
{
	int err;
	if (p->parse_err)
		return fail(x, p->decode, p->parse_err, "Failed to decode %s: %s",
			    p->decode == VOUCH_CHECK_TCB_INFO_DECODE ? "TcbInfo" : "QeIdentity", p->parse_msg);
	pass(x, p->decode, NULL);
	if ((err = check_window(x, p->validity, p->what, p->issue, p->next, p->e_future, p->e_expired)))
		return err;
	if ((err = check_issuer_chain(x, p->chain, p->chain_what, p->chain_err, p->chain_msg, p->issuers)))
		return err;
	if (!raw_sig_ok(x, &x->c->cache, p->issuers->certs[0].pub, span_of(p->text.p, p->text.len), p->sig))
		return fail(x, p->signature, p->e_signature, "Signature is invalid for %s in quote_collateral", p->field);
	pass(x, p->signature, NULL);
	return 0;
}

/* ---- step 2: TCB info ---- */
static int step_tcb_info(vctx *x)
{
	struct vouch_collateral *c = x->c;
	signed_part p = {
		.what = "TCBInfo", .chain_what = "TCB Info", .field = "tcb_info",
		.decode = VOUCH_CHECK_TCB_INFO_DECODE, .validity = VOUCH_CHECK_TCB_INFO_VALIDITY,
		.chain = VOUCH_CHECK_TCB_INFO_CHAIN, .signature = VOUCH_CHECK_TCB_INFO_SIGNATURE,
		.parse_err = c->tcb_err, .parse_msg = c->tcb_msg, .e_future = VOUCH_E_TCB_INFO_FUTURE,
		.e_expired = VOUCH_E_TCB_INFO_EXPIRED, .e_signature = VOUCH_E_TCB_INFO_SIGNATURE,
		.issue = c->tcb.issue_date, .next = c->tcb.next_update,
		.chain_err = c->tcb_chain_err, .chain_msg = c->tcb_chain_msg, .issuers = &c->tcb_chain,
		.text = c->src.tcb_info, .sig = c->src.tcb_info_signature,
	};
	return step_signed(x, &p);
}

/* ---- step 3: QE identity ---- */
static int step_qe_identity(vctx *x)
{
	struct vouch_collateral *c = x->c;
	signed_part p = {
		.what = "QE Identity", .chain_what = "QE Identity", .field = "qe_identity",
		.decode = VOUCH_CHECK_QE_ID_DECODE, .validity = VOUCH_CHECK_QE_ID_VALIDITY,
		.chain = VOUCH_CHECK_QE_ID_CHAIN, .signature = VOUCH_CHECK_QE_ID_SIGNATURE,
		.parse_err = c->qe_err, .parse_msg = c->qe_msg, .e_future = VOUCH_E_QE_ID_FUTURE,
		.e_expired = VOUCH_E_QE_ID_EXPIRED, .e_signature = VOUCH_E_QE_ID_SIGNATURE,
		.issue = c->qe.issue_date, .next = c->qe.next_update,
		.chain_err = c->qe_chain_err, .chain_msg = c->qe_chain_msg, .issuers = &c->qe_chain,
		.text = c->src.qe_identity, .sig = c->src.qe_identity_signature,
	};
	int err = step_signed(x, &p);
	if (err)
		return err;
	int tdx = x->v->quote.tee_type == VOUCH_TEE_TDX;
	unsigned ver = c->qe.version;
	int fits = tdx ? jr_str_eq(c->qe.id, "TD_QE") && (ver == 2 || ver == 3) : jr_str_eq(c->qe.id, "QE") && ver == 2;
	if (!fits) {
		char id[32];
		if (jr_unescape(c->qe.id, id, sizeof id, NULL))
			snprintf(id, sizeof id, "?");
		return fail(x, VOUCH_CHECK_QE_ID_TEE_TYPE, VOUCH_E_QE_ID_MISMATCH,
			    "Unsupported QE Identity id/version for the quote TEE type: id %s version %u for %s", id,
			    ver, tdx ? "TDX" : "SGX");
	}
	pass(x, VOUCH_CHECK_QE_ID_TEE_TYPE, NULL);
	return 0;
}

/* ---- step 4: PCK chain and SGX extension ---- */
static int step_pck(vctx *x, cert_chain *own)
{
	const vouch_quote *q = &x->v->quote;
	const cert_chain *ch = own;
	int err;
	if (x->c && x->c->src.pck_certificate_chain.p) {
		if (x->c->pck_chain_err)
			return fail(x, VOUCH_CHECK_PCK_CHAIN, x->c->pck_chain_err, "collateral PCK chain: %s",
				    x->c->pck_chain_msg);
		ch = &x->c->pck_chain;
	} else {
		if (q->cert_type != PCK_CERT_CHAIN_TYPE)
			return fail(x, VOUCH_CHECK_PCK_CHAIN, VOUCH_E_QUOTE_PCK_FORMAT,
				    "Unsupported DCAP PCK cert format: %u (only a type-5 PCK chain is supported)",
				    q->cert_type);
		if ((err = chain_load(own, (const char *)q->cert_data, q->cert_len, x->msg, sizeof x->msg)))
			return fail(x, VOUCH_CHECK_PCK_CHAIN, err, "PCK chain in quote: %s", x->msg);
	}
	x->cx.what = "PCK";
	x->cx.cache_leaf = 0;
	if ((err = chain_verify(&x->cx, ch)))
		return fail(x, VOUCH_CHECK_PCK_CHAIN, err, "%s", x->msg);
	pass(x, VOUCH_CHECK_PCK_CHAIN, NULL);
	if (x->c) {
		if ((err = chain_revocation(&x->cx)))
			return fail(x, VOUCH_CHECK_PCK_REVOCATION, err, "%s", x->msg);
		pass(x, VOUCH_CHECK_PCK_REVOCATION, NULL);
	} else {
		skip(x, VOUCH_CHECK_PCK_REVOCATION, "no collateral: CRLs not checked");
	}
	x->pck_leaf = &ch->certs[0];
	if ((err = sgx_ext_parse(&x->ext, x->pck_leaf->sgx_ext)))
		return fail(x, VOUCH_CHECK_PCK_EXTENSION, err, "PCK certificate: %s",
			    x->pck_leaf->sgx_ext.p ? "malformed Intel SGX extension" : "no Intel SGX extension");
	pass(x, VOUCH_CHECK_PCK_EXTENSION, NULL);
	vouch_verdict *v = x->v;
	v->have_pck = 1;
	memcpy(v->ppid, x->ext.ppid, 16);
	memcpy(v->fmspc, x->ext.fmspc, 6);
	memcpy(v->pceid, x->ext.pceid, 2);
	memcpy(v->cpusvn, x->ext.cpusvn, 16);
	v->pcesvn = x->ext.pcesvn;
	return 0;
}

/* ---- steps 5 and 6: QE report signature and attestation-key binding ---- */
static int step_qe_report(vctx *x)
{
	const vouch_quote *q = &x->v->quote;
	uint8_t digest[32], buf[64 + 32];
	sha256(digest, q->qe_report.raw, 384);
	if (!p256_verify_raw(x->cx.keys, x->pck_leaf->pub, digest, q->qe_report_sig))
		return fail(x, VOUCH_CHECK_QE_REPORT_SIGNATURE, VOUCH_E_QE_REPORT_SIGNATURE,
			    "Signature is invalid for qe_report in quote");
	pass(x, VOUCH_CHECK_QE_REPORT_SIGNATURE, NULL);
	if (q->qe_auth_len != 32)
		return fail(x, VOUCH_CHECK_QE_REPORT_BINDING, VOUCH_E_QUOTE_QE_AUTH,
			    "Invalid QE auth data length %u (expected 32)", q->qe_auth_len);
	memcpy(buf, q->attest_key, 64);
	memcpy(buf + 64, q->qe_auth, 32);
	sha256(digest, buf, sizeof buf);
	if (!ct_eq(digest, q->qe_report.report_data, 32))
		return fail(x, VOUCH_CHECK_QE_REPORT_BINDING, VOUCH_E_QE_REPORT_HASH,
			    "QE report hash mismatch: REPORTDATA does not bind the attestation key");
	pass(x, VOUCH_CHECK_QE_REPORT_BINDING, NULL);
	return 0;
}

/* ---- step 8: the quote signature ---- */
static int step_quote_signature(vctx *x)
{
	const vouch_quote *q = &x->v->quote;
	uint8_t pub[65], digest[32];
	pub[0] = 0x04;
	memcpy(pub + 1, q->attest_key, 64);
	sha256(digest, q->signed_data, q->signed_len);
	if (!p256_verify_raw(x->cx.keys, pub, digest, q->signature))
		return fail(x, VOUCH_CHECK_QUOTE_SIGNATURE, VOUCH_E_QUOTE_SIGNATURE, "ISV enclave report signature is invalid");
	pass(x, VOUCH_CHECK_QUOTE_SIGNATURE, NULL);
	return 0;
}

/* ---- step 11: workload attributes ---- */
static int step_attributes(vctx *x)
{
	const vouch_quote *q = &x->v->quote;
	int allow_debug = x->o->flags & VOUCH_ALLOW_DEBUG;
	if (q->body_type == VOUCH_BODY_SGX) {
		if ((q->sgx.attributes[0] & 0x02) && !allow_debug)
			return fail(x, VOUCH_CHECK_DEBUG, VOUCH_E_DEBUG, "Debug mode is enabled (enclave ATTRIBUTES.DEBUG)");
		pass(x, VOUCH_CHECK_DEBUG, allow_debug ? "debug allowed by option" : NULL);
		na(x, VOUCH_CHECK_SERVICE_TD, "SGX quote");
		na(x, VOUCH_CHECK_TD_ATTRIBUTES, "SGX quote");
		return 0;
	}
	const vouch_td_report *td = &q->td;
	if (q->body_type == VOUCH_BODY_TD15) {
		if (!all_zero(td->mr_service_td, 48) && !(x->o->flags & VOUCH_ALLOW_SERVICE_TD))
			return fail(x, VOUCH_CHECK_SERVICE_TD, VOUCH_E_SERVICE_TD,
				    "Invalid MR service TD: MRSERVICETD is not zero (use the allow-service-TD option to accept)");
		pass(x, VOUCH_CHECK_SERVICE_TD, all_zero(td->mr_service_td, 48) ? NULL : "non-zero, allowed by option");
	} else {
		na(x, VOUCH_CHECK_SERVICE_TD, "TD report 1.0 has no MRSERVICETD");
	}
	const uint8_t *a = td->td_attributes;
	if (a[0] & 0xfe)
		return fail(x, VOUCH_CHECK_TD_ATTRIBUTES, VOUCH_E_TD_RESERVED, "Reserved bits in TD attributes are set (TUD)");
	if ((a[0] & 0x01) && !allow_debug)
		return fail(x, VOUCH_CHECK_DEBUG, VOUCH_E_DEBUG, "Debug mode is enabled (TDATTRIBUTES.DEBUG)");
	pass(x, VOUCH_CHECK_DEBUG, allow_debug ? "debug allowed by option" : NULL);
	/* SEC bits 8–27 and 29 reserved; OTHER bits 32–62 reserved; 28 SEPT_VE_DISABLE, 30 PKS, 31 KL, 63 PERFMON */
	if (a[1] || a[2] || (a[3] & 0x2f) || a[4] || a[5] || a[6] || (a[7] & 0x7f))
		return fail(x, VOUCH_CHECK_TD_ATTRIBUTES, VOUCH_E_TD_RESERVED, "Reserved bits in TD attributes are set");
	if (!(a[3] & 0x10))
		return fail(x, VOUCH_CHECK_TD_ATTRIBUTES, VOUCH_E_SEPT_VE, "SEPT_VE_DISABLE is not enabled");
	pass(x, VOUCH_CHECK_TD_ATTRIBUTES, NULL);
	return 0;
}

/* ---- beyond dcap-qvl ---- */
static int step_extra(vctx *x)
{
	const vouch_quote *q = &x->v->quote;
	char t[21];
	if (x->c) {
		static const char *const names[2] = {"root CA CRL", "PCK CRL"};
		for (int i = 0; i < 2; i++)
			if (x->now < x->c->crls[i].this_update) {
				fmt_time(t, x->c->crls[i].this_update);
				return fail(x, VOUCH_CHECK_CRL_THIS_UPDATE, VOUCH_E_CRL_NOT_YET_VALID,
					    "%s not yet valid (thisUpdate %s)", names[i], t);
			}
		pass(x, VOUCH_CHECK_CRL_THIS_UPDATE, NULL);
		uint8_t pceid[2];
		size_t n;
		span s = x->c->tcb.pce_id;
		if (s.len != 4 || vouch_hex_decode(pceid, 2, &n, (const char *)s.p, s.len) || n != 2)
			return fail(x, VOUCH_CHECK_PCE_ID, VOUCH_E_PCEID_MISMATCH, "TCB info pceId is not 2 bytes of hex");
		if (memcmp(pceid, x->ext.pceid, 2) != 0)
			return fail(x, VOUCH_CHECK_PCE_ID, VOUCH_E_PCEID_MISMATCH, "PCE ID mismatch: PCK %02x%02x, TCB info %.4s",
				    x->ext.pceid[0], x->ext.pceid[1], (const char *)s.p);
		pass(x, VOUCH_CHECK_PCE_ID, NULL);
	} else {
		skip(x, VOUCH_CHECK_CRL_THIS_UPDATE, "no collateral");
		skip(x, VOUCH_CHECK_PCE_ID, "no collateral");
	}
	if (!all_zero(q->qe_report.report_data + 32, 32))
		return fail(x, VOUCH_CHECK_QE_REPORT_PADDING, VOUCH_E_QE_REPORT_DATA,
			    "QE REPORTDATA[32..64] is not zero (Intel QVL requires it)");
	pass(x, VOUCH_CHECK_QE_REPORT_PADDING, NULL);
	return 0;
}

static void skip_collateral_steps(vctx *x)
{
	static const vouch_check_id ids[] = {
		VOUCH_CHECK_TCB_INFO_DECODE, VOUCH_CHECK_TCB_INFO_VALIDITY, VOUCH_CHECK_TCB_INFO_CHAIN,
		VOUCH_CHECK_TCB_INFO_SIGNATURE, VOUCH_CHECK_QE_ID_DECODE, VOUCH_CHECK_QE_ID_VALIDITY,
		VOUCH_CHECK_QE_ID_CHAIN, VOUCH_CHECK_QE_ID_SIGNATURE, VOUCH_CHECK_QE_ID_TEE_TYPE};
	for (size_t i = 0; i < ARRAY_LEN(ids); i++)
		skip(x, ids[i], "no collateral");
}

static int run(vctx *x, const uint8_t *quote, size_t len)
{
	int err;
	cert_chain *pck = NULL;
	if ((err = step_anchor(x)) || (err = step_quote(x, quote, len)))
		return err;
	if (x->c) {
		if ((err = step_tcb_info(x)) || (err = step_qe_identity(x)))
			return err;
	} else {
		skip_collateral_steps(x);
	}
	pck = x->c ? &x->c->quote_chain : malloc(sizeof *pck);
	if (!pck)
		return fail(x, VOUCH_CHECK_PCK_CHAIN, VOUCH_E_NOMEM, "out of memory");
	if ((err = step_pck(x, pck)) || (err = step_qe_report(x)))
		goto out;
	if (x->c) {
		if ((err = step_qe_policy(x)))
			goto out;
	} else {
		skip(x, VOUCH_CHECK_QE_POLICY, "no collateral: QE identity not available");
		skip(x, VOUCH_CHECK_QE_TCB, "no collateral: QE identity not available");
	}
	if ((err = step_quote_signature(x)))
		goto out;
	if (x->c) {
		if ((err = step_platform_tcb(x)))
			goto out;
		merge_status(x); /* step 10 */
		if (x->v->status.status == VOUCH_TCB_REVOKED) {
			err = fail(x, VOUCH_CHECK_TCB_STATUS, VOUCH_E_TCB_REVOKED, "TCB status is invalid: Revoked");
			goto out;
		}
		pass(x, VOUCH_CHECK_TCB_STATUS, NULL);
	} else {
		static const vouch_check_id ids[] = {VOUCH_CHECK_FMSPC, VOUCH_CHECK_TCB_INFO_TEE_TYPE,
						     VOUCH_CHECK_TCB_LEVEL, VOUCH_CHECK_TDX_MODULE,
						     VOUCH_CHECK_TDX_MODULE_TCB};
		for (size_t i = 0; i < ARRAY_LEN(ids); i++)
			skip(x, ids[i], "no collateral: TCB info not available");
		skip(x, VOUCH_CHECK_TCB_STATUS, "no collateral: TCB status unknown");
	}
	if ((err = step_attributes(x)) || (err = step_extra(x)))
		goto out;
out:
	if (!x->c)
		free(pck);
	return err;
}

int vouch_verify(vouch_verdict *out, const vouch_verify_opts *opts, vouch_collateral *coll, const uint8_t *quote,
		 size_t quote_len, int64_t now)
{
	static const vouch_verify_opts defaults = {NULL, 0, 0};
	if (!out)
		return VOUCH_E_ARG;
	memset(out, 0, sizeof *out);
	out->status.status = out->platform.status = out->qe.status = VOUCH_TCB_UNKNOWN;
	vctx x;
	memset(&x, 0, sizeof x);
	x.v = out;
	x.o = opts ? opts : &defaults;
	x.c = coll;
	x.now = now;
	keycache local; /* without a handle, keys live for this call */
	local.n = local.next = 0;
	x.cx.keys = coll ? &coll->keys : &local;
	out->no_collateral = coll == NULL;
	if (!quote && quote_len)
		return fail(&x, VOUCH_CHECK_QUOTE_DECODE, VOUCH_E_ARG, "no quote");
	int err = run(&x, quote, quote_len);
	keycache_clear(&local);
	if (coll && coll->parsed && !coll->tcb_err && !coll->qe_err && !coll->crl_err) {
		int64_t t = coll->tcb.next_update;
		t = coll->qe.next_update < t ? coll->qe.next_update : t;
		for (int i = 0; i < 2; i++)
			t = coll->crls[i].next_update < t ? coll->crls[i].next_update : t;
		out->collateral_expiry = t;
	}
	if (err && err != VOUCH_E_TCB_REVOKED) {
		out->status.status = VOUCH_TCB_UNKNOWN;
		out->status.n_advisories = 0;
	}
	out->ok = err == 0;
	return err;
}

/* One handle's memory per thread, emptied for every call: a cold verification parses and verifies all of
 * the collateral again; only the 55 KB allocation is reused (its malloc and free cost ~5 µs). */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
	vouch_collateral_close(p);
}

static void scratch_init(void)
{
	if (pthread_key_create(&scratch_key, scratch_free))
		abort();
}

int vouch_verify_with(vouch_verdict *out, const vouch_verify_opts *opts, const vouch_collateral_src *src,
		      const uint8_t *quote, size_t quote_len, int64_t now)
{
	vouch_collateral *c = NULL;
	if (src) {
		pthread_once(&scratch_once, scratch_init);
		c = pthread_getspecific(scratch_key);
		if (c) {
			collateral_reset(c, src);
		} else {
			int err = vouch_collateral_open(&c, src);
			if (!err && pthread_setspecific(scratch_key, c)) {
				vouch_collateral_close(c);
				err = VOUCH_E_NOMEM;
			}
			if (err) {
				if (out) {
					memset(out, 0, sizeof *out);
					out->err = err;
					msgf(out->error, sizeof out->error, "%s", vouch_strerror(err));
				}
				return err;
			}
		}
	}
	return vouch_verify(out, opts, c, quote, quote_len, now);
}
