/* DCAP verification on Intel-signed vectors: every vector's expected verdict (tests/vectors/dcap/expected.json)
 * and negative cases derived from them (spec §4.4 N01–N21 and more), each asserting the specific error
 * and the check that reports it. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "internal.h"
#include "test.h"
#include "vouch/dcap.h"
#include "vouch/util.h"

#define TDX_NOW 1752919234
#define SGX_NOW 1752919277

typedef struct vec {
	uint8_t *quote;
	size_t len;
	char *coll_text;
	vouch_collateral_src coll;
} vec;

static void vec_load(vec *v, const char *quote, const char *coll)
{
	size_t n;
	v->quote = test_read_quote(quote, &v->len);
	v->coll_text = (char *)test_read(coll, &n);
	char msg[128];
	if (vouch_collateral_parse_json(&v->coll, v->coll_text, n, msg, sizeof msg) != 0) {
		fprintf(stderr, "collateral %s: %s\n", coll, msg);
		abort();
	}
}

static void vec_free(vec *v)
{
	free(v->quote);
	free(v->coll_text);
	vouch_collateral_src_free(&v->coll);
}

static vouch_verdict *verdict(void)
{
	static vouch_verdict v;
	return &v;
}

/* Verifies and checks the error code and the check that failed (or, for err 0, that it verified). */
static int expect(const uint8_t *q, size_t n, const vouch_collateral_src *src, int64_t now, const vouch_verify_opts *o,
		  int want_err, vouch_check_id want_check, const char *file, int line)
{
	vouch_verdict *v = verdict();
	int err = vouch_verify_with(v, o, src, q, n, now);
	if (err != want_err || v->err != err || v->ok != (err == 0)) {
		test_failf(file, line, "verify = %s (%s), expected %s", vouch_errname(err), v->error, vouch_errname(want_err));
		return 0;
	}
	if (want_err && v->checks[want_check].state != VOUCH_CHECK_FAIL) {
		test_failf(file, line, "check %s is %s, expected fail (%s)", vouch_check_name(want_check),
			   vouch_check_state_name(v->checks[want_check].state), v->error);
		return 0;
	}
	if (want_err && strncmp(v->error, vouch_check_name(want_check), strlen(vouch_check_name(want_check))) != 0) {
		test_failf(file, line, "message \"%s\" does not name %s", v->error, vouch_check_name(want_check));
		return 0;
	}
	return 1;
}
#define EXPECT(q, n, src, now, o, err, check)                                                                       \
	do {                                                                                                       \
		if (!expect(q, n, src, now, o, err, check, __FILE__, __LINE__))                                   \
			return;                                                                                    \
	} while (0)
#define EXPECT_OK(q, n, src, now) EXPECT(q, n, src, now, NULL, 0, 0)

/* ---- the vectors and their recorded verdicts ---- */

static void every_vector_gives_its_expected_verdict(void)
{
	size_t n;
	char *text = (char *)test_read("dcap/expected.json", &n);
	json_error_t e;
	json_t *all = json_loadb(text, n, 0, &e);
	CHECK(json_is_array(all));
	size_t i;
	json_t *c;
	int cases = 0;
	json_array_foreach(all, i, c)
	{
		char qpath[256], cpath[256];
		snprintf(qpath, sizeof qpath, "dcap/%s", json_string_value(json_object_get(c, "quote")));
		snprintf(cpath, sizeof cpath, "dcap/%s", json_string_value(json_object_get(c, "collateral")));
		vec v;
		vec_load(&v, qpath, cpath);
		json_t *exp = json_object_get(c, "expected");
		vouch_verdict *vd = verdict();
		int err = vouch_verify_with(vd, NULL, &v.coll, v.quote, v.len, json_integer_value(json_object_get(c, "now")));
		int ok = json_is_true(json_object_get(exp, "ok"));
		if (ok != vd->ok) {
			test_failf(__FILE__, __LINE__, "%s: ok=%d (%s)", qpath, vd->ok, vd->error);
			break;
		}
		if (ok) {
			CHECK_STR(vouch_tcb_status_name(vd->status.status), json_string_value(json_object_get(exp, "status")));
			json_t *ids = json_object_get(exp, "advisory_ids");
			CHECK_INT(vd->status.n_advisories, json_array_size(ids));
			for (size_t k = 0; k < json_array_size(ids); k++)
				CHECK_STR(vd->status.advisory_ids[k], json_string_value(json_array_get(ids, k)));
			json_t *d = json_object_get(c, "expected_detail");
			char ppid[33], fmspc[13];
			vouch_hex_encode(ppid, vd->ppid, 16);
			vouch_hex_encode(fmspc, vd->fmspc, 6);
			CHECK_STR(ppid, json_string_value(json_object_get(d, "ppid")));
			CHECK(strcasecmp(fmspc, json_string_value(json_object_get(d, "fmspc"))) == 0);
			json_t *ps = json_object_get(d, "platform_status"), *qs = json_object_get(d, "qe_status");
			CHECK_STR(vouch_tcb_status_name(vd->platform.status), json_string_value(json_object_get(ps, "status")));
			CHECK_STR(vouch_tcb_status_name(vd->qe.status), json_string_value(json_object_get(qs, "status")));
			CHECK_INT(vd->qe.n_advisories, json_array_size(json_object_get(qs, "advisory_ids")));
			CHECK(!vd->simulated);
			for (int k = 0; k < VOUCH_CHECK_COUNT; k++) /* nothing skipped, nothing failed */
				CHECK(vd->checks[k].state == VOUCH_CHECK_PASS || vd->checks[k].state == VOUCH_CHECK_NA);
		} else {
			CHECK(err != 0);
			CHECK(strstr(vd->error, json_string_value(json_object_get(exp, "error"))) != NULL);
		}
		vec_free(&v);
		cases++;
	}
	CHECK_INT(cases, 4);
	json_decref(all);
	free(text);
}

static void tdx_verdict_carries_the_measurements(void)
{
	vec v;
	vec_load(&v, "dcap/tdx_quote", "dcap/tdx_quote_collateral.json");
	vouch_verdict *vd = verdict();
	CHECK_OK(vouch_verify_with(vd, NULL, &v.coll, v.quote, v.len, TDX_NOW));
	CHECK_INT(vd->quote.version, 4);
	CHECK_HEX(vd->quote.td.mr_td, 4, "91eb2b44");
	CHECK_HEX(vd->quote.td.rtmr[0], 4, "44c0197b");
	CHECK_INT(vd->pcesvn, 11);
	CHECK_HEX(vd->cpusvn, 8, "0303020204010005");
	/* earliest nextUpdate: the PCK CRL, 2025-07-19T10:00:35Z */
	CHECK_INT(vd->collateral_expiry, 1752919235);
	vec_free(&v);
}

/* ---- N01–N21 (spec §4.4) ---- */

static void time_window_edges(void)
{
	vec t, s;
	vec_load(&t, "dcap/tdx_quote", "dcap/tdx_quote_collateral.json");
	vec_load(&s, "dcap/sgx_quote", "dcap/sgx_quote_collateral.json");
	/* N01: at the PCK CRL's nextUpdate the CRL is expired (exclusive) */
	EXPECT(t.quote, t.len, &t.coll, TDX_NOW + 1, NULL, VOUCH_E_CRL_EXPIRED, VOUCH_CHECK_PCK_REVOCATION);
	/* N02: one second after TCB info nextUpdate */
	EXPECT(t.quote, t.len, &t.coll, 1752920164, NULL, VOUCH_E_TCB_INFO_EXPIRED, VOUCH_CHECK_TCB_INFO_VALIDITY);
	/* N03: before the TCB info issueDate */
	EXPECT(t.quote, t.len, &t.coll, 1750327800, NULL, VOUCH_E_TCB_INFO_FUTURE, VOUCH_CHECK_TCB_INFO_VALIDITY);
	/* N04: after TCB info issue, before QE identity issue */
	EXPECT(t.quote, t.len, &t.coll, 1750328400, NULL, VOUCH_E_QE_ID_FUTURE, VOUCH_CHECK_QE_ID_VALIDITY);
	/* N16: QE identity nextUpdate itself is still valid (inclusive) */
	EXPECT_OK(s.quote, s.len, &s.coll, SGX_NOW + 1);
	/* N17: one second later it is expired */
	EXPECT(s.quote, s.len, &s.coll, SGX_NOW + 2, NULL, VOUCH_E_QE_ID_EXPIRED, VOUCH_CHECK_QE_ID_VALIDITY);
	/* the root CA CRL's nextUpdate (2026-04-03T11:21:57Z) fails first when everything is old */
	EXPECT(t.quote, t.len, &t.coll, 1775215317, NULL, VOUCH_E_CRL_EXPIRED, VOUCH_CHECK_ROOT_CRL);
	vec_free(&t);
	vec_free(&s);
}

static void bit_flips_in_each_signed_region_of_the_quote(void)
{
	vec t;
	vec_load(&t, "dcap/tdx_quote", "dcap/tdx_quote_collateral.json");
	struct {
		size_t off;
		int err;
		vouch_check_id check;
	} flips[] = {
		{568, VOUCH_E_QUOTE_SIGNATURE, VOUCH_CHECK_QUOTE_SIGNATURE},         /* N05: REPORTDATA */
		{168, VOUCH_E_QUOTE_SIGNATURE, VOUCH_CHECK_QUOTE_SIGNATURE},         /* N19: TD DEBUG bit */
		{184, VOUCH_E_QUOTE_SIGNATURE, VOUCH_CHECK_QUOTE_SIGNATURE},         /* MRTD */
		{40, VOUCH_E_QUOTE_SIGNATURE, VOUCH_CHECK_QUOTE_SIGNATURE},          /* header user data */
		{1030, VOUCH_E_QE_REPORT_SIGNATURE, VOUCH_CHECK_QE_REPORT_SIGNATURE}, /* N06: QE report */
		{1154 + 5, VOUCH_E_QE_REPORT_SIGNATURE, VOUCH_CHECK_QE_REPORT_SIGNATURE}, /* QE report signature */
		{636 + 3, VOUCH_E_QUOTE_SIGNATURE, VOUCH_CHECK_QUOTE_SIGNATURE},     /* quote signature r */
		{636 + 64 + 7, VOUCH_E_QE_REPORT_HASH, VOUCH_CHECK_QE_REPORT_BINDING}, /* attestation key */
		{1220 + 1, VOUCH_E_QE_REPORT_HASH, VOUCH_CHECK_QE_REPORT_BINDING},   /* QE auth data */
	};
	for (size_t i = 0; i < ARRAY_LEN(flips); i++) {
		t.quote[flips[i].off] ^= flips[i].off == 168 ? 0x01 : 0x40;
		EXPECT(t.quote, t.len, &t.coll, TDX_NOW, NULL, flips[i].err, flips[i].check);
		t.quote[flips[i].off] ^= flips[i].off == 168 ? 0x01 : 0x40;
	}
	EXPECT_OK(t.quote, t.len, &t.coll, TDX_NOW);
	vec_free(&t);
}

static void header_policy_and_decoding(void)
{
	vec t;
	vec_load(&t, "dcap/tdx_quote", "dcap/tdx_quote_collateral.json");
	t.quote[0] = 3; /* N09 */
	EXPECT(t.quote, t.len, &t.coll, TDX_NOW, NULL, VOUCH_E_QUOTE_TEE_TYPE, VOUCH_CHECK_QUOTE_DECODE);
	t.quote[0] = 4;
	t.quote[2] = 3; /* N10 */
	EXPECT(t.quote, t.len, &t.coll, TDX_NOW, NULL, VOUCH_E_QUOTE_KEY_TYPE, VOUCH_CHECK_QUOTE_HEADER);
	t.quote[2] = 2;
	uint8_t vendor[16];
	memcpy(vendor, t.quote + 12, 16);
	memset(t.quote + 12, 0, 16); /* N11 */
	EXPECT(t.quote, t.len, &t.coll, TDX_NOW, NULL, VOUCH_E_QUOTE_QE_VENDOR, VOUCH_CHECK_QUOTE_HEADER);
	memcpy(t.quote + 12, vendor, 16);
	/* N12 */
	EXPECT(t.quote, 1000, &t.coll, TDX_NOW, NULL, VOUCH_E_QUOTE_TRUNCATED, VOUCH_CHECK_QUOTE_DECODE);
	/* N20, N21: trailing bytes are ignored */
	EXPECT_OK(t.quote, 4936, &t.coll, TDX_NOW);
	uint8_t *longer = malloc(t.len + 100);
	memcpy(longer, t.quote, t.len);
	memset(longer + t.len, 0xff, 100);
	EXPECT_OK(longer, t.len + 100, &t.coll, TDX_NOW);
	free(longer);
	/* an empty quote */
	EXPECT(t.quote, 0, &t.coll, TDX_NOW, NULL, VOUCH_E_QUOTE_TRUNCATED, VOUCH_CHECK_QUOTE_DECODE);
	vec_free(&t);
}

/* A copy of a text field with one byte changed or inserted. */
static vouch_bytes edited(vouch_bytes b, size_t off, int insert, uint8_t c, uint8_t **keep)
{
	uint8_t *p = malloc(b.len + 2);
	memcpy(p, b.p, b.len);
	size_t n = b.len;
	if (insert) {
		memmove(p + off + 1, p + off, b.len - off);
		p[off] = c;
		n++;
	} else {
		p[off] ^= c;
	}
	p[n] = 0;
	*keep = p;
	return (vouch_bytes){p, n};
}

static void collateral_signatures_and_texts(void)
{
	vec t;
	vec_load(&t, "dcap/tdx_quote", "dcap/tdx_quote_collateral.json");
	vouch_collateral_src c = t.coll;
	uint8_t *keep;
	c.tcb_info_signature[10] ^= 1; /* N07 */
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_TCB_INFO_SIGNATURE, VOUCH_CHECK_TCB_INFO_SIGNATURE);
	c = t.coll;
	c.tcb_info = edited(t.coll.tcb_info, 1, 1, ' ', &keep); /* N08: one space, still valid JSON */
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_TCB_INFO_SIGNATURE, VOUCH_CHECK_TCB_INFO_SIGNATURE);
	free(keep);
	c = t.coll;
	c.qe_identity_signature[63] ^= 0x80;
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_QE_ID_SIGNATURE, VOUCH_CHECK_QE_ID_SIGNATURE);
	c = t.coll;
	c.qe_identity = edited(t.coll.qe_identity, t.coll.qe_identity.len - 1, 1, '\n', &keep);
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_QE_ID_SIGNATURE, VOUCH_CHECK_QE_ID_SIGNATURE);
	free(keep);
	c = t.coll;
	c.tcb_info = edited(t.coll.tcb_info, 0, 0, '{' ^ '[', &keep); /* not an object any more */
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_TCB_INFO_PARSE, VOUCH_CHECK_TCB_INFO_DECODE);
	free(keep);
	c = t.coll;
	c.qe_identity = edited(t.coll.qe_identity, 3, 0, 'i' ^ 'x', &keep); /* "id" becomes "xd": missing field */
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_QE_ID_PARSE, VOUCH_CHECK_QE_ID_DECODE);
	free(keep);
	/* the last byte of a CRL is inside its signature's s */
	c = t.coll;
	c.pck_crl = edited(t.coll.pck_crl, t.coll.pck_crl.len - 1, 0, 0x01, &keep);
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_CRL_SIGNATURE, VOUCH_CHECK_PCK_REVOCATION);
	free(keep);
	c = t.coll;
	c.root_ca_crl = edited(t.coll.root_ca_crl, t.coll.root_ca_crl.len - 1, 0, 0x01, &keep);
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_CRL_SIGNATURE, VOUCH_CHECK_ROOT_CRL);
	free(keep);
	/* a CRL that does not parse is reported before anything else, even with a garbage quote */
	c = t.coll;
	c.pck_crl = edited(t.coll.pck_crl, 1, 0, 0x01, &keep);
	EXPECT(t.quote, 10, &c, TDX_NOW, NULL, VOUCH_E_CRL_PARSE, VOUCH_CHECK_CRL_DECODE);
	free(keep);
	vec_free(&t);
}

static void crls_are_matched_by_issuer_not_position(void)
{
	vec t, s;
	vec_load(&t, "dcap/tdx_quote", "dcap/tdx_quote_collateral.json");
	vec_load(&s, "dcap/sgx_quote", "dcap/sgx_quote_collateral.json");
	vouch_collateral_src c = t.coll;
	c.root_ca_crl = t.coll.pck_crl; /* N15 */
	c.pck_crl = t.coll.root_ca_crl;
	EXPECT_OK(t.quote, t.len, &c, TDX_NOW);
	c = t.coll;
	c.pck_crl = s.coll.pck_crl; /* N14: the Processor CA's CRL cannot speak for a Platform CA leaf */
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_CRL_UNKNOWN, VOUCH_CHECK_PCK_REVOCATION);
	c = t.coll;
	c.root_ca_crl = t.coll.pck_crl; /* no root CA CRL at all */
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_CRL_UNKNOWN, VOUCH_CHECK_ROOT_CRL);
	vec_free(&t);
	vec_free(&s);
}

static void collateral_for_the_other_tee(void)
{
	vec t, s;
	vec_load(&t, "dcap/tdx_quote", "dcap/tdx_quote_collateral.json");
	vec_load(&s, "dcap/sgx_quote", "dcap/sgx_quote_collateral.json");
	/* N13: SGX quote with the TDX collateral */
	EXPECT(s.quote, s.len, &t.coll, TDX_NOW, NULL, VOUCH_E_QE_ID_MISMATCH, VOUCH_CHECK_QE_ID_TEE_TYPE);
	/* N18: TDX quote with the (validly signed) SGX QE identity */
	vouch_collateral_src c = t.coll;
	c.qe_identity = s.coll.qe_identity;
	c.qe_identity_issuer_chain = s.coll.qe_identity_issuer_chain;
	memcpy(c.qe_identity_signature, s.coll.qe_identity_signature, 64);
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_QE_ID_MISMATCH, VOUCH_CHECK_QE_ID_TEE_TYPE);
	/* TDX quote with SGX TCB info (validly signed): decoded, signed, then refused at the type check —
	 * the FMSPC differs first */
	c = t.coll;
	c.tcb_info = s.coll.tcb_info;
	memcpy(c.tcb_info_signature, s.coll.tcb_info_signature, 64);
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_FMSPC_MISMATCH, VOUCH_CHECK_FMSPC);
	vec_free(&t);
	vec_free(&s);
}

/* PEM of the quote's PCK chain split into its certificates. */
static int split_pem(const vouch_quote *q, char certs[3][2048])
{
	const char *p = (const char *)q->cert_data, *end = p + q->cert_len;
	int n = 0;
	while (n < 3) {
		const char *b = memmem(p, (size_t)(end - p), "-----BEGIN", 10);
		if (!b)
			break;
		const char *e = memmem(b, (size_t)(end - b), "-----END CERTIFICATE-----", 25);
		size_t len = (size_t)(e + 25 - b);
		memcpy(certs[n], b, len);
		certs[n][len] = '\n';
		certs[n][len + 1] = 0;
		n++;
		p = e + 25;
	}
	return n;
}

static void pck_chain_shapes(void)
{
	vec t;
	vec_load(&t, "dcap/tdx_quote", "dcap/tdx_quote_collateral.json");
	vouch_quote q;
	CHECK_OK(vouch_quote_parse(&q, t.quote, t.len));
	char certs[3][2048], chain[8192];
	CHECK_INT(split_pem(&q, certs), 3);
	vouch_collateral_src c = t.coll;
	struct {
		int order[3];
		int err;
	} shapes[] = {
		{{0, 1, 2}, 0},                           /* as in the quote, via pck_certificate_chain */
		{{0, 2, 1}, 0},                           /* intermediates in any order */
		{{0, 1, -1}, 0},                          /* the root need not be included */
		{{0, 2, -1}, VOUCH_E_CERT_UNKNOWN_ISSUER}, /* the PCK CA is missing */
		{{0, -1, -1}, VOUCH_E_CERT_UNKNOWN_ISSUER},
		{{1, 2, -1}, VOUCH_E_CERT_CA_AS_LEAF},    /* the PCK CA as the leaf */
		{{2, -1, -1}, VOUCH_E_CERT_CA_AS_LEAF},
	};
	for (size_t i = 0; i < ARRAY_LEN(shapes); i++) {
		chain[0] = 0;
		for (int k = 0; k < 3; k++)
			if (shapes[i].order[k] >= 0)
				strcat(chain, certs[shapes[i].order[k]]);
		c.pck_certificate_chain = (vouch_bytes){(const uint8_t *)chain, strlen(chain)};
		EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, shapes[i].err, VOUCH_CHECK_PCK_CHAIN);
	}
	/* the leaf's signature broken: the last base64 characters encode the end of its signature */
	strcpy(chain, certs[0]);
	char *end = strstr(chain, "-----END");
	end[-3] = end[-3] == 'A' ? 'B' : 'A';
	strcat(chain, certs[1]);
	c.pck_certificate_chain = (vouch_bytes){(const uint8_t *)chain, strlen(chain)};
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_CERT_SIGNATURE, VOUCH_CHECK_PCK_CHAIN);
	/* not PEM at all */
	c.pck_certificate_chain = (vouch_bytes){(const uint8_t *)"hello", 5};
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_PEM, VOUCH_CHECK_PCK_CHAIN);
	vec_free(&t);
}

static void issuer_chains_of_the_collateral(void)
{
	vec t;
	vec_load(&t, "dcap/tdx_quote", "dcap/tdx_quote_collateral.json");
	vouch_collateral_src c = t.coll;
	/* only the root: it is a CA, so it cannot be the signing leaf */
	const char *root_pem = strstr((const char *)t.coll.tcb_info_issuer_chain.p + 10, "-----BEGIN");
	c.tcb_info_issuer_chain = (vouch_bytes){(const uint8_t *)root_pem, strlen(root_pem)};
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_CERT_CA_AS_LEAF, VOUCH_CHECK_TCB_INFO_CHAIN);
	c = t.coll;
	c.qe_identity_issuer_chain = (vouch_bytes){(const uint8_t *)"\n", 1};
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_CHAIN_TOO_SHORT, VOUCH_CHECK_QE_ID_CHAIN);
	/* the TCB signing certificate cannot sign for the PCK CA: the PCK chain as TCB issuer chain */
	vouch_quote q;
	CHECK_OK(vouch_quote_parse(&q, t.quote, t.len));
	c = t.coll;
	c.tcb_info_issuer_chain = (vouch_bytes){q.cert_data, q.cert_len};
	EXPECT(t.quote, t.len, &c, TDX_NOW, NULL, VOUCH_E_TCB_INFO_SIGNATURE, VOUCH_CHECK_TCB_INFO_SIGNATURE);
	vec_free(&t);
}

/* A self-signed P-256 certificate with the given CN (a root that is not Intel's). */
static uint8_t *make_root(const char *cn, size_t *len)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400L * 3650);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 3650);
	X509_set_pubkey(x, k);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_sign(x, k, EVP_sha256());
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	uint8_t *out = malloc((size_t)n);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
	*len = (size_t)n;
	return out;
}

static void trust_anchor_choices(void)
{
	vec t;
	vec_load(&t, "dcap/tdx_quote", "dcap/tdx_quote_collateral.json");
	size_t n;
	uint8_t *other = make_root("Not Intel Root", &n);
	vouch_verify_opts o = {other, n, 0};
	/* another root: no CRL of it in the collateral */
	EXPECT(t.quote, t.len, &t.coll, TDX_NOW, &o, VOUCH_E_CRL_UNKNOWN, VOUCH_CHECK_ROOT_CRL);
	CHECK(verdict()->simulated);
	/* without collateral the PCK chain does not reach it */
	vouch_verdict *v = verdict();
	CHECK_ERR(vouch_verify_with(v, &o, NULL, t.quote, t.len, TDX_NOW), VOUCH_E_CERT_UNKNOWN_ISSUER);
	CHECK(v->checks[VOUCH_CHECK_PCK_CHAIN].state == VOUCH_CHECK_FAIL);
	free(other);
	/* Intel's name, another key: the root CRL's signature does not verify under it */
	other = make_root("Intel SGX Root CA", &n);
	o.root_der = other, o.root_der_len = n;
	vouch_collateral_src c = t.coll;
	EXPECT(t.quote, t.len, &c, TDX_NOW, &o, VOUCH_E_CRL_UNKNOWN, VOUCH_CHECK_ROOT_CRL); /* names differ (O, L…) */
	free(other);
	/* garbage as root */
	o.root_der = (const uint8_t *)"junk", o.root_der_len = 4;
	EXPECT(t.quote, t.len, &t.coll, TDX_NOW, &o, VOUCH_E_ROOT_PARSE, VOUCH_CHECK_ROOT_ANCHOR);
	/* Intel's own root passed explicitly is not "simulated" */
	o.root_der = vouch_intel_root_der, o.root_der_len = vouch_intel_root_der_len;
	EXPECT_OK(t.quote, t.len, &t.coll, TDX_NOW);
	CHECK_OK(vouch_verify_with(v, &o, &t.coll, t.quote, t.len, TDX_NOW));
	CHECK(!v->simulated);
	vec_free(&t);
}

static void without_collateral_the_rest_is_verified_and_the_gap_named(void)
{
	vec t;
	vec_load(&t, "dcap/tdx_quote", "dcap/tdx_quote_collateral.json");
	vouch_verdict *v = verdict();
	CHECK_OK(vouch_verify_with(v, NULL, NULL, t.quote, t.len, TDX_NOW));
	CHECK(v->ok);
	CHECK(v->no_collateral);
	CHECK_INT(v->status.status, VOUCH_TCB_UNKNOWN);
	vouch_check_id done[] = {VOUCH_CHECK_ROOT_ANCHOR, VOUCH_CHECK_PCK_CHAIN, VOUCH_CHECK_QE_REPORT_SIGNATURE,
				 VOUCH_CHECK_QE_REPORT_BINDING, VOUCH_CHECK_QUOTE_SIGNATURE, VOUCH_CHECK_TD_ATTRIBUTES};
	for (size_t i = 0; i < ARRAY_LEN(done); i++)
		CHECK_INT(v->checks[done[i]].state, VOUCH_CHECK_PASS);
	vouch_check_id skipped[] = {VOUCH_CHECK_ROOT_CRL, VOUCH_CHECK_PCK_REVOCATION, VOUCH_CHECK_TCB_INFO_SIGNATURE,
				    VOUCH_CHECK_QE_TCB, VOUCH_CHECK_TCB_LEVEL, VOUCH_CHECK_TCB_STATUS};
	for (size_t i = 0; i < ARRAY_LEN(skipped); i++) {
		CHECK_INT(v->checks[skipped[i]].state, VOUCH_CHECK_SKIPPED);
		CHECK(v->checks[skipped[i]].note != NULL);
	}
	/* still a real verification: a flipped report byte fails */
	t.quote[600] ^= 1;
	CHECK_ERR(vouch_verify_with(v, NULL, NULL, t.quote, t.len, TDX_NOW), VOUCH_E_QUOTE_SIGNATURE);
	/* and the PCK certificate's dates are still checked */
	t.quote[600] ^= 1;
	CHECK_ERR(vouch_verify_with(v, NULL, NULL, t.quote, t.len, 4102444800), VOUCH_E_CERT_EXPIRED);
	vec_free(&t);
}

static void a_kept_handle_gives_the_same_verdicts(void)
{
	vec t;
	vec_load(&t, "dcap/tdx_quote", "dcap/tdx_quote_collateral.json");
	vouch_collateral *h;
	CHECK_OK(vouch_collateral_open(&h, &t.coll));
	vouch_verdict *v = verdict();
	uint64_t before = vouch_p256_verify_count();
	CHECK_OK(vouch_verify(v, NULL, h, t.quote, t.len, TDX_NOW));
	CHECK_INT(vouch_p256_verify_count() - before, 9); /* cold: each distinct signature once */
	before = vouch_p256_verify_count();
	CHECK_OK(vouch_verify(v, NULL, h, t.quote, t.len, TDX_NOW));
	CHECK_INT(vouch_p256_verify_count() - before, 3); /* warm: PCK leaf, QE report, quote */
	/* dates are re-checked on every call, with the same errors as cold */
	CHECK_ERR(vouch_verify(v, NULL, h, t.quote, t.len, TDX_NOW + 1), VOUCH_E_CRL_EXPIRED);
	CHECK_ERR(vouch_verify(v, NULL, h, t.quote, t.len, 1750327800), VOUCH_E_TCB_INFO_FUTURE);
	/* and a tampered quote still fails */
	t.quote[570] ^= 1;
	CHECK_ERR(vouch_verify(v, NULL, h, t.quote, t.len, TDX_NOW), VOUCH_E_QUOTE_SIGNATURE);
	t.quote[570] ^= 1;
	CHECK_OK(vouch_verify(v, NULL, h, t.quote, t.len, TDX_NOW));
	vouch_collateral_close(h);
	vec_free(&t);
}

static void collateral_json_errors_are_precise(void)
{
	vouch_collateral_src c;
	char msg[128];
	CHECK_ERR(vouch_collateral_parse_json(&c, "[]", 2, msg, sizeof msg), VOUCH_E_JSON);
	CHECK_ERR(vouch_collateral_parse_json(&c, "{", 1, msg, sizeof msg), VOUCH_E_JSON);
	CHECK_ERR(vouch_collateral_parse_json(&c, "{}", 2, msg, sizeof msg), VOUCH_E_COLLATERAL);
	CHECK(strstr(msg, "pck_crl_issuer_chain") != NULL);
	size_t n;
	char *text = (char *)test_read("dcap/tdx_quote_collateral.json", &n);
	char *bad = malloc(n + 1);
	memcpy(bad, text, n + 1);
	char *sig = strstr(bad, "\"tcb_info_signature\": \"") ? strstr(bad, "\"tcb_info_signature\": \"")
							       : strstr(bad, "\"tcb_info_signature\":\"");
	CHECK(sig != NULL);
	char *hex = strchr(sig + 21, '"') + 1;
	hex[0] = 'z';
	CHECK_ERR(vouch_collateral_parse_json(&c, bad, n, msg, sizeof msg), VOUCH_E_HEX);
	CHECK(strstr(msg, "tcb_info_signature") != NULL);
	/* round trip through dcap-qvl's JSON */
	CHECK_OK(vouch_collateral_parse_json(&c, text, n, msg, sizeof msg));
	char *again = vouch_collateral_to_json(&c);
	vouch_collateral_src c2;
	CHECK_OK(vouch_collateral_parse_json(&c2, again, strlen(again), msg, sizeof msg));
	CHECK(c2.tcb_info.len == c.tcb_info.len && memcmp(c2.tcb_info.p, c.tcb_info.p, c.tcb_info.len) == 0);
	CHECK(c2.pck_crl.len == c.pck_crl.len && memcmp(c2.pck_crl.p, c.pck_crl.p, c.pck_crl.len) == 0);
	CHECK(memcmp(c2.qe_identity_signature, c.qe_identity_signature, 64) == 0);
	int64_t exp;
	CHECK_OK(vouch_collateral_expiry(&exp, &c2));
	CHECK_INT(exp, 1752919235);
	vouch_collateral_src_free(&c2);
	vouch_collateral_src_free(&c);
	free(again);
	free(bad);
	free(text);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(every_vector_gives_its_expected_verdict),
		T(tdx_verdict_carries_the_measurements),
		T(time_window_edges),
		T(bit_flips_in_each_signed_region_of_the_quote),
		T(header_policy_and_decoding),
		T(collateral_signatures_and_texts),
		T(crls_are_matched_by_issuer_not_position),
		T(collateral_for_the_other_tee),
		T(pck_chain_shapes),
		T(issuer_chains_of_the_collateral),
		T(trust_anchor_choices),
		T(without_collateral_the_rest_is_verified_and_the_gap_named),
		T(a_kept_handle_gives_the_same_verdicts),
		T(collateral_json_errors_are_precise),
	};
	return test_main(argc, argv, tests, ARRAY_LEN(tests));
}
