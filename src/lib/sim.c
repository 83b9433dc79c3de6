/* The simulated platform's PKI and collateral: an Intel-shaped certificate hierarchy generated with OpenSSL,
 * CRLs, and TCB info / QE identity texts signed like Intel's. Layouts follow Intel's PCS v4 documents; the
 * names say "vouch simulated" so that nothing here can pass for Intel's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sim_internal.h"
#include "vouch/util.h"

#define DAY 86400

void vouch_sim_config_default(vouch_sim_config *c, int64_t now)
{
	static const uint8_t fmspc[6] = {0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00};
	static const uint8_t cpusvn[16] = {4, 4, 3, 3, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t tcbsvn[16] = {3, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	memset(c, 0, sizeof *c);
	c->now = now;
	memcpy(c->fmspc, fmspc, 6);
	c->pcesvn = 13;
	memcpy(c->cpusvn, cpusvn, 16);
	memcpy(c->tee_tcb_svn, tcbsvn, 16);
	c->qe_isvsvn = 4;
	c->platform_status = VOUCH_TCB_UP_TO_DATE;
	c->qe_status = VOUCH_TCB_UP_TO_DATE;
}

/* ---- a small DER writer for the SGX extension ---- */

typedef struct dw {
	uint8_t b[2048];
	size_t n;
	int err;
} dw;

static void dw_raw(dw *w, const void *p, size_t n)
{
	if (w->n + n > sizeof w->b) {
		w->err = 1;
		return;
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void dw_tlv(dw *w, uint8_t tag, const void *p, size_t n)
{
	uint8_t h[4] = {tag};
	size_t hn;
	if (n < 0x80)
		h[1] = (uint8_t)n, hn = 2;
	else if (n < 0x100)
		h[1] = 0x81, h[2] = (uint8_t)n, hn = 3;
	else
		h[1] = 0x82, h[2] = (uint8_t)(n >> 8), h[3] = (uint8_t)n, hn = 4;
	dw_raw(w, h, hn);
	dw_raw(w, p, n);
}

static const uint8_t SGX_OID[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

/* SEQUENCE { OID sgx.arc[.sub], value } */
static void sgx_item(dw *w, int arc, int sub, uint8_t tag, const void *v, size_t n)
{
	dw item = {{0}, 0, 0}, oid = {{0}, 0, 0};
	dw_raw(&oid, SGX_OID, sizeof SGX_OID);
	uint8_t a = (uint8_t)arc, b = (uint8_t)sub;
	dw_raw(&oid, &a, 1);
	if (sub >= 0)
		dw_raw(&oid, &b, 1);
	dw_tlv(&item, 0x06, oid.b, oid.n);
	dw_tlv(&item, tag, v, n);
	dw_tlv(w, 0x30, item.b, item.n);
	w->err |= item.err | oid.err;
}

/* A DER INTEGER's content for a small non-negative value. */
static size_t der_small_int(uint8_t out[3], unsigned v)
{
	if (v < 0x80) {
		out[0] = (uint8_t)v;
		return 1;
	}
	if (v < 0x100) {
		out[0] = 0, out[1] = (uint8_t)v;
		return 2;
	}
	out[0] = (uint8_t)(v >> 8), out[1] = (uint8_t)v;
	if (out[0] & 0x80) {
		out[2] = out[1], out[1] = out[0], out[0] = 0;
		return 3;
	}
	return 2;
}

static int sgx_extension(dw *out, const vouch_sim *s)
{
	const vouch_sim_config *c = &s->cfg;
	dw seq = {{0}, 0, 0}, tcb = {{0}, 0, 0};
	uint8_t v[3];
	sgx_item(&seq, 1, -1, 0x04, s->ppid, 16);
	for (int i = 1; i <= 16; i++)
		sgx_item(&tcb, 2, i, 0x02, v, der_small_int(v, c->cpusvn[i - 1]));
	sgx_item(&tcb, 2, 17, 0x02, v, der_small_int(v, c->pcesvn));
	sgx_item(&tcb, 2, 18, 0x04, c->cpusvn, 16);
	dw inner = {{0}, 0, 0};
	dw oid = {{0}, 0, 0};
	dw_raw(&oid, SGX_OID, sizeof SGX_OID);
	dw_raw(&oid, "\x02", 1);
	dw_tlv(&inner, 0x06, oid.b, oid.n);
	dw_tlv(&inner, 0x30, tcb.b, tcb.n);
	dw_tlv(&seq, 0x30, inner.b, inner.n);
	sgx_item(&seq, 3, -1, 0x04, c->pceid, 2);
	sgx_item(&seq, 4, -1, 0x04, c->fmspc, 6);
	uint8_t type = 1; /* Scalable, as on TDX platforms */
	sgx_item(&seq, 5, -1, 0x0a, &type, 1);
	dw_tlv(out, 0x30, seq.b, seq.n);
	return seq.err | tcb.err | inner.err | oid.err | out->err;
}

/* ---- certificates and CRLs ---- */

static EVP_PKEY *new_key(void)
{
	return EVP_EC_gen("P-256");
}

static X509_NAME *sim_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"vouch simulated platform", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"ZZ", -1, -1, 0);
	return n;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok;
}

static int random_serial(ASN1_INTEGER *out)
{
	uint8_t b[16];
	if (RAND_bytes(b, sizeof b) != 1)
		return 0;
	b[0] = (b[0] & 0x7f) | 0x10; /* positive, 16 bytes */
	BIGNUM *bn = BN_bin2bn(b, sizeof b, NULL);
	int ok = bn && BN_to_ASN1_INTEGER(bn, out) != NULL;
	BN_free(bn);
	return ok;
}

/* A certificate for key, named cn, issued by issuer (NULL: self-signed). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, int64_t now, int ca,
		       int pathlen, const char *usage, const dw *sgx_ext)
{
	X509 *x = X509_new();
	X509_NAME *name = sim_name(cn);
	int ok = x && name && X509_set_version(x, 2) && random_serial(X509_get_serialNumber(x)) &&
		 ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(now - DAY)) &&
		 ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(now + 3650 * (int64_t)DAY)) &&
		 X509_set_subject_name(x, name) &&
		 X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) && X509_set_pubkey(x, key);
	char bc[64];
	if (ca)
		snprintf(bc, sizeof bc, "critical,CA:TRUE,pathlen:%d", pathlen);
	else
		snprintf(bc, sizeof bc, "critical,CA:FALSE");
	ok = ok && add_ext(x, issuer, NID_basic_constraints, bc) && add_ext(x, issuer, NID_key_usage, usage) &&
	     add_ext(x, issuer, NID_subject_key_identifier, "hash") &&
	     add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	if (ok && sgx_ext) {
		ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e = NULL;
		ok = obj && os && ASN1_OCTET_STRING_set(os, sgx_ext->b, (int)sgx_ext->n) &&
		     (e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) && X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(obj);
	}
	ok = ok && X509_sign(x, issuer_key, EVP_sha256()) > 0;
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static X509_CRL *make_crl(X509 *issuer, EVP_PKEY *key, int64_t now, const ASN1_INTEGER *revoke)
{
	X509_CRL *crl = X509_CRL_new();
	/* issued half an hour after the TCB info and QE identity, so that thisUpdate can be tested alone */
	ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)(now - 1800)), *t2 = ASN1_TIME_set(NULL, (time_t)(now + 30 * DAY));
	ASN1_INTEGER *number = ASN1_INTEGER_new();
	int ok = crl && t1 && t2 && number && X509_CRL_set_version(crl, 1) &&
		 X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) && X509_CRL_set1_lastUpdate(crl, t1) &&
		 X509_CRL_set1_nextUpdate(crl, t2) && ASN1_INTEGER_set(number, 1) &&
		 X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) == 1;
	if (ok && revoke) {
		X509_REVOKED *r = X509_REVOKED_new();
		ok = r && X509_REVOKED_set_serialNumber(r, (ASN1_INTEGER *)revoke) && X509_REVOKED_set_revocationDate(r, t1) &&
		     X509_CRL_add0_revoked(crl, r);
	}
	ok = ok && X509_CRL_sort(crl) && X509_CRL_sign(crl, key, EVP_sha256()) > 0;
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	ASN1_INTEGER_free(number);
	if (!ok) {
		X509_CRL_free(crl);
		return NULL;
	}
	return crl;
}

/* OpenSSL's DER (from an i2d_* call that allocated d) as a malloc'd copy. */
static uint8_t *own_der(unsigned char *d, int len, size_t *n)
{
	uint8_t *out = len > 0 ? malloc((size_t)len) : NULL;
	if (out)
		memcpy(out, d, (size_t)len);
	OPENSSL_free(d);
	*n = out ? (size_t)len : 0;
	return out;
}

static uint8_t *der_of_cert(X509 *x, size_t *n)
{
	unsigned char *d = NULL;
	int len = i2d_X509(x, &d);
	return own_der(d, len, n);
}

static uint8_t *der_of_crl(X509_CRL *c, size_t *n)
{
	unsigned char *d = NULL;
	int len = i2d_X509_CRL(c, &d);
	return own_der(d, len, n);
}

/* Concatenated PEM of the given certificates (malloc'd). */
static char *pem_chain(X509 *const *certs, int n)
{
	BIO *b = BIO_new(BIO_s_mem());
	for (int i = 0; b && i < n; i++)
		PEM_write_bio_X509(b, certs[i]);
	char *p = NULL, *out = NULL;
	long len = b ? BIO_get_mem_data(b, &p) : 0;
	if (len > 0 && (out = malloc((size_t)len + 1))) {
		memcpy(out, p, (size_t)len);
		out[len] = 0;
	}
	BIO_free(b);
	return out;
}

int sim_sign(const vouch_sim *s, enum sim_key key, const void *msg, size_t n, uint8_t rs[64])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t der[80];
	size_t len = sizeof der;
	int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->keys[key]) == 1 &&
		 EVP_DigestSign(md, der, &len, msg, n) == 1;
	EVP_MD_CTX_free(md);
	const unsigned char *p = der;
	ECDSA_SIG *sig = ok ? d2i_ECDSA_SIG(NULL, &p, (long)len) : NULL;
	ok = sig && BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32) == 32 && BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32) == 32;
	ECDSA_SIG_free(sig);
	return ok ? 0 : VOUCH_E_CRYPTO;
}

int vouch_sim_new(vouch_sim **out, const vouch_sim_config *c)
{
	if (!out || !c)
		return VOUCH_E_ARG;
	*out = NULL;
	vouch_sim *s = calloc(1, sizeof *s);
	if (!s)
		return VOUCH_E_NOMEM;
	s->cfg = *c;
	if (c->advisory_ids)
		snprintf(s->advisories, sizeof s->advisories, "%s", c->advisory_ids);
	s->cfg.advisory_ids = NULL;
	int err = VOUCH_E_CRYPTO;
	X509 *root = NULL, *ca = NULL, *pck = NULL, *tcb = NULL;
	X509_CRL *root_crl = NULL, *pck_crl = NULL;
	for (int i = 0; i < SIM_KEYS; i++)
		if (!(s->keys[i] = new_key()))
			goto out;
	if (RAND_bytes(s->ppid, 16) != 1 || RAND_bytes(s->qe_mrsigner, 32) != 1)
		goto out;
	uint8_t pub[65];
	size_t publen = 0;
	if (EVP_PKEY_get_octet_string_param(s->keys[SIM_KEY_ATT], "encoded-pub-key", pub, sizeof pub, &publen) != 1 ||
	    publen != 65)
		goto out;
	memcpy(s->att_pub, pub + 1, 64);
	dw ext = {{0}, 0, 0};
	if (sgx_extension(&ext, s))
		goto out;
	int64_t now = c->now;
	root = make_cert(s->keys[SIM_KEY_ROOT], "vouch simulated SGX Root CA", NULL, s->keys[SIM_KEY_ROOT], now, 1, 1,
			 "critical,keyCertSign,cRLSign", NULL);
	ca = root ? make_cert(s->keys[SIM_KEY_CA], "vouch simulated SGX PCK Platform CA", root, s->keys[SIM_KEY_ROOT],
			      now, 1, 0, "critical,keyCertSign,cRLSign", NULL)
		  : NULL;
	pck = ca ? make_cert(s->keys[SIM_KEY_PCK], "vouch simulated SGX PCK Certificate", ca, s->keys[SIM_KEY_CA], now,
			     0, 0, "critical,digitalSignature,nonRepudiation", &ext)
		 : NULL;
	tcb = root ? make_cert(s->keys[SIM_KEY_TCB], "vouch simulated SGX TCB Signing", root, s->keys[SIM_KEY_ROOT],
			       now, 0, 0, "critical,digitalSignature,nonRepudiation", NULL)
		   : NULL;
	if (!pck || !tcb)
		goto out;
	root_crl = make_crl(root, s->keys[SIM_KEY_ROOT], now, NULL);
	pck_crl = make_crl(ca, s->keys[SIM_KEY_CA], now, c->revoke_pck ? X509_get0_serialNumber(pck) : NULL);
	X509 *pck_chain[3] = {pck, ca, root}, *tcb_chain[2] = {tcb, root};
	err = VOUCH_E_NOMEM;
	if (!root_crl || !pck_crl || !(s->root_der = der_of_cert(root, &s->root_der_len)) ||
	    !(s->pck_der = der_of_cert(pck, &s->pck_der_len)) || !(s->pck_chain_pem = pem_chain(pck_chain, 3)) ||
	    !(s->ca_chain_pem = pem_chain(pck_chain + 1, 2)) || !(s->tcb_chain_pem = pem_chain(tcb_chain, 2)) ||
	    !(s->root_crl = der_of_crl(root_crl, &s->root_crl_len)) || !(s->pck_crl = der_of_crl(pck_crl, &s->pck_crl_len)))
		goto out;
	err = 0;
out:
	X509_free(root);
	X509_free(ca);
	X509_free(pck);
	X509_free(tcb);
	X509_CRL_free(root_crl);
	X509_CRL_free(pck_crl);
	if (err)
		vouch_sim_free(s);
	else
		*out = s;
	return err;
}

void vouch_sim_free(vouch_sim *s)
{
	if (!s)
		return;
	for (int i = 0; i < SIM_KEYS; i++)
		EVP_PKEY_free(s->keys[i]);
	free(s->root_der);
	free(s->pck_der);
	free(s->pck_chain_pem);
	free(s->ca_chain_pem);
	free(s->tcb_chain_pem);
	free(s->root_crl);
	free(s->pck_crl);
	vouch_wipe(s, sizeof *s);
	free(s);
}

vouch_bytes vouch_sim_root(const vouch_sim *s)
{
	return (vouch_bytes){s->root_der, s->root_der_len};
}

/* ---- collateral texts ---- */

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (*buf && *len + (size_t)n < *cap) {
			*len += (size_t)n;
			return;
		}
		size_t c = (*cap ? *cap * 2 : 4096) + (size_t)n;
		char *b = realloc(*buf, c);
		if (!b)
			return;
		*buf = b, *cap = c;
	}
}

static void svns(char **b, size_t *n, size_t *cap, const uint8_t v[16])
{
	for (int i = 0; i < 16; i++)
		append(b, n, cap, "%s{\"svn\":%u}", i ? "," : "", v[i]);
}

static void advisories(char **b, size_t *n, size_t *cap, const char *list)
{
	if (!*list)
		return;
	append(b, n, cap, ",\"advisoryIDs\":[");
	const char *p = list;
	int first = 1;
	while (*p) {
		size_t k = strcspn(p, ",");
		append(b, n, cap, "%s\"%.*s\"", first ? "" : ",", (int)k, p);
		first = 0;
		p += k + (p[k] == ',');
	}
	append(b, n, cap, "]");
}

char *sim_tcb_info_text(const vouch_sim *s, int tdx)
{
	const vouch_sim_config *c = &s->cfg;
	char *b = NULL, issue[21], next[21], fm[13], pce[5];
	size_t n = 0, cap = 0;
	static const uint8_t zero[16];
	vouch_time_format(issue, c->now - 3600);
	vouch_time_format(next, c->now + 30 * DAY);
	for (int i = 0; i < 6; i++)
		snprintf(fm + 2 * i, 3, "%02X", c->fmspc[i]);
	snprintf(pce, sizeof pce, "%02X%02X", c->pceid[0], c->pceid[1]);
	append(&b, &n, &cap,
	       "{\"id\":\"%s\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\",\"fmspc\":\"%s\",\"pceId\":\"%s\","
	       "\"tcbType\":0,\"tcbEvaluationDataNumber\":17",
	       tdx ? "TDX" : "SGX", issue, next, fm, pce);
	if (tdx) {
		static const char zeros48[] = "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
		append(&b, &n, &cap,
		       ",\"tdxModule\":{\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\"}"
		       ",\"tdxModuleIdentities\":[{\"id\":\"TDX_%02X\",\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\","
		       "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":[{\"tcb\":{\"isvsvn\":%u},\"tcbDate\":\"2025-01-01T00:00:00Z\","
		       "\"tcbStatus\":\"UpToDate\"},{\"tcb\":{\"isvsvn\":0},\"tcbDate\":\"2023-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"}]}]",
		       zeros48, c->tee_tcb_svn[1], zeros48, c->tee_tcb_svn[0]);
	}
	/* the platform's own level, then an older one everything passes */
	append(&b, &n, &cap, ",\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\":[");
	svns(&b, &n, &cap, c->cpusvn);
	append(&b, &n, &cap, "],\"pcesvn\":%u", c->pcesvn);
	if (tdx) {
		append(&b, &n, &cap, ",\"tdxtcbcomponents\":[");
		svns(&b, &n, &cap, c->tee_tcb_svn);
		append(&b, &n, &cap, "]");
	}
	append(&b, &n, &cap, "},\"tcbDate\":\"2025-01-01T00:00:00Z\",\"tcbStatus\":\"%s\"",
	       vouch_tcb_status_name(c->platform_status));
	advisories(&b, &n, &cap, s->advisories);
	append(&b, &n, &cap, "},{\"tcb\":{\"sgxtcbcomponents\":[");
	svns(&b, &n, &cap, zero);
	append(&b, &n, &cap, "],\"pcesvn\":0");
	if (tdx) {
		append(&b, &n, &cap, ",\"tdxtcbcomponents\":[");
		svns(&b, &n, &cap, zero);
		append(&b, &n, &cap, "]");
	}
	append(&b, &n, &cap, "},\"tcbDate\":\"2023-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-00000\"]}]}");
	return b;
}

char *sim_qe_identity_text(const vouch_sim *s, int tdx)
{
	const vouch_sim_config *c = &s->cfg;
	char *b = NULL, issue[21], next[21], mrsigner[65];
	size_t n = 0, cap = 0;
	vouch_time_format(issue, c->now - 3600);
	vouch_time_format(next, c->now + 30 * DAY);
	vouch_hex_encode(mrsigner, s->qe_mrsigner, 32);
	append(&b, &n, &cap,
	       "{\"id\":\"%s\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\",\"tcbEvaluationDataNumber\":17,"
	       "\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\","
	       "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"%s\",\"isvprodid\":%d,"
	       "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":%u},\"tcbDate\":\"2025-01-01T00:00:00Z\",\"tcbStatus\":\"%s\"},"
	       "{\"tcb\":{\"isvsvn\":0},\"tcbDate\":\"2023-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"}]}",
	       tdx ? "TD_QE" : "QE", issue, next, mrsigner, tdx ? 2 : 1, c->qe_isvsvn, vouch_tcb_status_name(c->qe_status));
	return b;
}

int sim_collateral_with(vouch_collateral_src *out, const vouch_sim *s, int tdx, const char *tcb_info,
			const char *qe_identity)
{
	char *ti = tcb_info ? NULL : sim_tcb_info_text(s, tdx), *qi = qe_identity ? NULL : sim_qe_identity_text(s, tdx);
	const char *t = tcb_info ? tcb_info : ti, *q = qe_identity ? qe_identity : qi;
	vouch_collateral_src c;
	memset(&c, 0, sizeof c);
	int err = t && q ? 0 : VOUCH_E_NOMEM;
	if (!err)
		err = sim_sign(s, SIM_KEY_TCB, t, strlen(t), c.tcb_info_signature);
	if (!err)
		err = sim_sign(s, SIM_KEY_TCB, q, strlen(q), c.qe_identity_signature);
	if (!err) {
		c.tcb_info = (vouch_bytes){(const uint8_t *)t, strlen(t)};
		c.qe_identity = (vouch_bytes){(const uint8_t *)q, strlen(q)};
		c.pck_crl_issuer_chain = (vouch_bytes){(const uint8_t *)s->ca_chain_pem, strlen(s->ca_chain_pem)};
		c.tcb_info_issuer_chain = (vouch_bytes){(const uint8_t *)s->tcb_chain_pem, strlen(s->tcb_chain_pem)};
		c.qe_identity_issuer_chain = c.tcb_info_issuer_chain;
		c.root_ca_crl = (vouch_bytes){s->root_crl, s->root_crl_len};
		c.pck_crl = (vouch_bytes){s->pck_crl, s->pck_crl_len};
		/* an owned copy, through dcap-qvl's JSON like any other collateral */
		char *json = vouch_collateral_to_json(&c), msg[64];
		err = json ? vouch_collateral_parse_json(out, json, strlen(json), msg, sizeof msg) : VOUCH_E_NOMEM;
		free(json);
	}
	free(ti);
	free(qi);
	return err;
}

int vouch_sim_collateral(vouch_collateral_src *out, const vouch_sim *s, int tdx)
{
	return sim_collateral_with(out, s, tdx, NULL, NULL);
}
