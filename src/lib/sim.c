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

X509_CRL *sim_make_crl(X509 *issuer, EVP_PKEY *key, int64_t now, const ASN1_INTEGER *revoke)
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

uint8_t *sim_der_of_crl(X509_CRL *c, size_t *n)
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

int sim_finish(vouch_sim *s)
{
	uint8_t pub[65];
	size_t publen = 0;
	if (EVP_PKEY_get_octet_string_param(s->keys[SIM_KEY_ATT], "encoded-pub-key", pub, sizeof pub, &publen) != 1 ||
	    publen != 65)
		return VOUCH_E_CRYPTO;
	memcpy(s->att_pub, pub + 1, 64);
	X509 *pck_chain[3] = {s->certs[SIM_CERT_PCK], s->certs[SIM_CERT_CA], s->certs[SIM_CERT_ROOT]};
	X509 *tcb_chain[2] = {s->certs[SIM_CERT_TCB], s->certs[SIM_CERT_ROOT]};
	if (!(s->root_der = der_of_cert(s->certs[SIM_CERT_ROOT], &s->root_der_len)) ||
	    !(s->pck_chain_pem = pem_chain(pck_chain, 3)) || !(s->ca_chain_pem = pem_chain(pck_chain + 1, 2)) ||
	    !(s->tcb_chain_pem = pem_chain(tcb_chain, 2)))
		return VOUCH_E_NOMEM;
	return 0;
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
	for (int i = 0; i < SIM_KEYS; i++)
		if (!(s->keys[i] = new_key()))
			goto out;
	if (RAND_bytes(s->ppid, 16) != 1 || RAND_bytes(s->qe_mrsigner, 32) != 1)
		goto out;
	dw ext = {{0}, 0, 0};
	if (sgx_extension(&ext, s))
		goto out;
	int64_t now = c->now;
	X509 **k = s->certs;
	k[SIM_CERT_ROOT] = make_cert(s->keys[SIM_KEY_ROOT], "vouch simulated SGX Root CA", NULL, s->keys[SIM_KEY_ROOT],
				     now, 1, 1, "critical,keyCertSign,cRLSign", NULL);
	if (!k[SIM_CERT_ROOT])
		goto out;
	k[SIM_CERT_CA] = make_cert(s->keys[SIM_KEY_CA], "vouch simulated SGX PCK Platform CA", k[SIM_CERT_ROOT],
				   s->keys[SIM_KEY_ROOT], now, 1, 0, "critical,keyCertSign,cRLSign", NULL);
	if (!k[SIM_CERT_CA])
		goto out;
	k[SIM_CERT_PCK] = make_cert(s->keys[SIM_KEY_PCK], "vouch simulated SGX PCK Certificate", k[SIM_CERT_CA],
				    s->keys[SIM_KEY_CA], now, 0, 0, "critical,digitalSignature,nonRepudiation", &ext);
	k[SIM_CERT_TCB] = make_cert(s->keys[SIM_KEY_TCB], "vouch simulated SGX TCB Signing", k[SIM_CERT_ROOT],
				    s->keys[SIM_KEY_ROOT], now, 0, 0, "critical,digitalSignature,nonRepudiation", NULL);
	if (!k[SIM_CERT_PCK] || !k[SIM_CERT_TCB])
		goto out;
	err = sim_finish(s);
out:
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
	for (int i = 0; i < SIM_CERTS; i++)
		X509_free(s->certs[i]);
	free(s->root_der);
	free(s->pck_chain_pem);
	free(s->ca_chain_pem);
	free(s->tcb_chain_pem);
	vouch_wipe(s, sizeof *s);
	free(s);
}

vouch_bytes vouch_sim_root(const vouch_sim *s)
{
	return (vouch_bytes){s->root_der, s->root_der_len};
}

