/* Quote decoding: SGX v3, TDX v4 and v5. Layouts: Intel SGX ECDSA Quote Library API (v3), Intel TDX DCAP
 * Quoting Library API (v4, v5); the offsets are in the spec, §1. No allocation: every pointer in the result
 * points into the caller's buffer. */
#include "internal.h"
#include "vouch/quote.h"
#include "vouch/util.h"

#define HEADER_LEN 48
#define SGX_REPORT_LEN 384
#define TD10_REPORT_LEN 584
#define TD15_REPORT_LEN 648
#define QE_CERT_TYPE_REPORT 6 /* QE Report Certification Data */

static const uint8_t *take(rd *r, size_t n)
{
	return rd_take(r, n, VOUCH_E_QUOTE_TRUNCATED);
}

static void parse_sgx_report(vouch_sgx_report *o, const uint8_t *b)
{
	o->raw = b;
	o->cpu_svn = b;
	o->misc_select = le32(b + 16);
	o->attributes = b + 48;
	o->mr_enclave = b + 64;
	o->mr_signer = b + 128;
	o->isv_prod_id = le16(b + 256);
	o->isv_svn = le16(b + 258);
	o->report_data = b + 320;
}

static void parse_td_report(vouch_td_report *o, const uint8_t *b, size_t len)
{
	o->raw = b;
	o->len = len;
	o->tee_tcb_svn = b;
	o->mr_seam = b + 16;
	o->mr_signer_seam = b + 64;
	o->seam_attributes = b + 112;
	o->td_attributes = b + 120;
	o->xfam = b + 128;
	o->mr_td = b + 136;
	o->mr_config_id = b + 184;
	o->mr_owner = b + 232;
	o->mr_owner_config = b + 280;
	for (int i = 0; i < 4; i++)
		o->rtmr[i] = b + 328 + 48 * i;
	o->report_data = b + 520;
	if (len == TD15_REPORT_LEN) {
		o->tee_tcb_svn2 = b + 584;
		o->mr_service_td = b + 600;
	}
}

/* A u32 length followed by that many bytes, capped at 1 MiB. */
static const uint8_t *take_sized32(rd *r, uint32_t *len)
{
	*len = rd_u32(r, VOUCH_E_QUOTE_TRUNCATED);
	if (!r->err && *len > VOUCH_QUOTE_MAX_FIELD)
		rd_fail(r, VOUCH_E_QUOTE_FIELD_SIZE);
	return take(r, *len);
}

/* QE report ‖ QE report signature ‖ u16 auth length ‖ auth ‖ u16 cert type ‖ u32 size ‖ cert data:
 * the tail shared by v3 signature data and the v4/v5 type-6 body. */
static void parse_qe_part(rd *r, vouch_quote *q)
{
	const uint8_t *qe = take(r, SGX_REPORT_LEN);
	q->qe_report_sig = take(r, 64);
	q->qe_auth_len = rd_u16(r, VOUCH_E_QUOTE_TRUNCATED);
	q->qe_auth = take(r, q->qe_auth_len);
	q->cert_type = rd_u16(r, VOUCH_E_QUOTE_TRUNCATED);
	q->cert_data = take_sized32(r, &q->cert_len);
	if (qe)
		parse_sgx_report(&q->qe_report, qe);
}

static int parse_body(rd *r, vouch_quote *q)
{
	size_t body_len;
	switch (q->version) {
	case 3:
		if (q->tee_type != VOUCH_TEE_SGX)
			return VOUCH_E_QUOTE_TEE_TYPE;
		q->body_type = VOUCH_BODY_SGX;
		break;
	case 4:
		if (q->tee_type == VOUCH_TEE_SGX)
			q->body_type = VOUCH_BODY_SGX;
		else if (q->tee_type == VOUCH_TEE_TDX)
			q->body_type = VOUCH_BODY_TD10;
		else
			return VOUCH_E_QUOTE_TEE_TYPE;
		break;
	case 5: {
		uint16_t type = rd_u16(r, VOUCH_E_QUOTE_TRUNCATED);
		q->body_size = rd_u32(r, VOUCH_E_QUOTE_TRUNCATED);
		if (r->err)
			return r->err;
		if (type < VOUCH_BODY_SGX || type > VOUCH_BODY_TD15)
			return VOUCH_E_QUOTE_BODY_TYPE;
		q->body_type = (vouch_body_type)type;
		/* Stricter than dcap-qvl (which reads but never checks these): the TEE type must agree with the
		 * body type, and the declared size must be the size of that body. */
		if ((q->tee_type == VOUCH_TEE_SGX) != (type == VOUCH_BODY_SGX) ||
		    (q->tee_type != VOUCH_TEE_SGX && q->tee_type != VOUCH_TEE_TDX))
			return VOUCH_E_QUOTE_BODY_TYPE;
		break;
	}
	default:
		return VOUCH_E_QUOTE_VERSION;
	}
	body_len = q->body_type == VOUCH_BODY_SGX ? SGX_REPORT_LEN
		   : q->body_type == VOUCH_BODY_TD10 ? TD10_REPORT_LEN
						     : TD15_REPORT_LEN;
	if (q->version == 5 && q->body_size != body_len)
		return VOUCH_E_QUOTE_BODY_SIZE;
	q->body_size = (uint32_t)body_len;
	const uint8_t *b = take(r, body_len);
	if (!b)
		return r->err;
	if (q->body_type == VOUCH_BODY_SGX) {
		parse_sgx_report(&q->sgx, b);
		q->report_data = q->sgx.report_data;
	} else {
		parse_td_report(&q->td, b, body_len);
		q->report_data = q->td.report_data;
	}
	return 0;
}

static int parse_signature_data(rd *r, vouch_quote *q)
{
	uint32_t sig_len;
	const uint8_t *sig = take_sized32(r, &sig_len);
	if (!sig)
		return r->err;
	q->sig_data_len = sig_len;
	rd s = rd_init(sig, sig_len);
	q->signature = take(&s, 64);
	q->attest_key = take(&s, 64);
	if (q->version == 3) {
		parse_qe_part(&s, q);
	} else {
		/* v4/v5: the QE report and its chain sit inside certification data of type 6. */
		q->outer_cert_type = rd_u16(&s, VOUCH_E_QUOTE_TRUNCATED);
		uint32_t outer_len;
		const uint8_t *outer = take_sized32(&s, &outer_len);
		q->outer_cert_size = outer_len;
		if (s.err)
			return s.err;
		/* dcap-qvl never looks at this type; a QE report can only be read from type 6. */
		if (q->outer_cert_type != QE_CERT_TYPE_REPORT)
			return VOUCH_E_QUOTE_CERT_TYPE;
		rd o = rd_init(outer, outer_len);
		parse_qe_part(&o, q);
		if (o.err)
			return o.err;
		/* Decision: the type-6 body must be consumed exactly (dcap-qvl ignores leftovers). Every real quote
		 * we have seen complies; a leftover would be bytes no signature covers. */
		if (rd_left(&o))
			return VOUCH_E_QUOTE_FIELD_SIZE;
	}
	if (s.err)
		return s.err;
	/* The same decision for the signature data itself. Bytes after the signature data are a different
	 * matter: dstack pads its quotes with zeros and every verifier ignores them. */
	if (rd_left(&s))
		return VOUCH_E_QUOTE_FIELD_SIZE;
	return 0;
}

int vouch_quote_parse(vouch_quote *out, const uint8_t *buf, size_t len)
{
	if (!out)
		return VOUCH_E_ARG;
	memset(out, 0, sizeof *out);
	if (!buf && len)
		return VOUCH_E_ARG;
	vouch_quote q;
	memset(&q, 0, sizeof q);
	rd r = rd_init(buf, len);
	const uint8_t *h = take(&r, HEADER_LEN);
	if (!h)
		return r.err;
	q.version = le16(h);
	q.att_key_type = le16(h + 2);
	q.tee_type = le32(h + 4);
	q.qe_svn = le16(h + 8);
	q.pce_svn = le16(h + 10);
	q.qe_vendor_id = h + 12;
	q.user_data = h + 28;
	int err = parse_body(&r, &q);
	if (err)
		return err;
	q.signed_data = buf;
	q.signed_len = (size_t)(r.p - buf);
	err = parse_signature_data(&r, &q);
	if (err)
		return err;
	q.total_len = (size_t)(r.p - buf);
	q.trailing = len - q.total_len;
	*out = q;
	return 0;
}

static int is_hex_or_space(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ' ' ||
	       c == '\t' || c == '\r' || c == '\n';
}

int vouch_quote_unhex(uint8_t *buf, size_t len, size_t *out_len)
{
	if (!out_len || (!buf && len))
		return VOUCH_E_ARG;
	size_t i = 0;
	/* skip leading whitespace and an optional 0x, then require hex everywhere */
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	if (len - i >= 2 && buf[i] == '0' && (buf[i + 1] == 'x' || buf[i + 1] == 'X'))
		i += 2;
	int hex = len > 0;
	for (size_t j = i; j < len && hex; j++)
		hex = is_hex_or_space(buf[j]);
	if (!hex) {
		*out_len = len;
		return 0;
	}
	return vouch_hex_decode(buf, len, out_len, (const char *)buf, len);
}

const char *vouch_body_name(vouch_body_type t)
{
	switch (t) {
	case VOUCH_BODY_SGX:
		return "SgxEnclave";
	case VOUCH_BODY_TD10:
		return "TD10";
	case VOUCH_BODY_TD15:
		return "TD15";
	}
	return "unknown";
}
