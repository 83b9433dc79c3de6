/* TLS keys and RA-TLS certificates (spec §8.7): GetTlsKey (a fresh key each call) and Tappd.DeriveKey
 * (deterministic per path), both P-256, certificates signed by the app CA, with the attestation extension
 * bound to the certificate's own public key when asked for. EC_KEY (deprecated in OpenSSL 3, present
 * throughout 3.x) is used to turn a derived scalar into a key pair: EVP has no direct way to do so. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "api.h"
#include "policy.h"
#include "vouch/err.h"
#include "vouch/dstack.h"
#include "vouch/util.h"

#define MAX_ALT_NAMES 64
#define OID_ATTESTATION "1.3.6.1.4.1.62397.1.8"
#define OID_SPECIAL_USAGE "1.3.6.1.4.1.62397.1.4"

/* A P-256 key pair from a 32-byte scalar, or NULL when the scalar is 0 or not below the group order. */
static EVP_PKEY *p256_from_scalar(const uint8_t k[32])
{
	EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *d = BN_secure_new();
	EC_POINT *pub = NULL;
	EVP_PKEY *key = NULL;
	const EC_GROUP *g = ec ? EC_KEY_get0_group(ec) : NULL;
	if (!g || !d || !BN_bin2bn(k, 32, d) || BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0)
		goto out;
	pub = EC_POINT_new(g);
	if (!pub || !EC_POINT_mul(g, pub, d, NULL, NULL, NULL) || !EC_KEY_set_private_key(ec, d) ||
	    !EC_KEY_set_public_key(ec, pub) || !(key = EVP_PKEY_new()) || !EVP_PKEY_set1_EC_KEY(key, ec)) {
		EVP_PKEY_free(key);
		key = NULL;
	}
out:
	EC_POINT_free(pub);
	BN_clear_free(d);
	EC_KEY_free(ec);
	return key;
}

/* extnValue = DER OCTET STRING of the payload (dstack's double wrap) */
static int add_custom_ext(X509 *x, const char *oid, const uint8_t *payload, size_t len)
{
	ASN1_OCTET_STRING *inner = ASN1_OCTET_STRING_new(), *outer = ASN1_OCTET_STRING_new();
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	unsigned char *der = NULL;
	int n = -1, ok = 0;
	X509_EXTENSION *e = NULL;
	if (inner && outer && obj && ASN1_OCTET_STRING_set(inner, payload, (int)len) &&
	    (n = i2d_ASN1_OCTET_STRING(inner, &der)) > 0 && ASN1_OCTET_STRING_set(outer, der, n) &&
	    (e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, outer)))
		ok = X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	OPENSSL_free(der);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(inner);
	ASN1_OCTET_STRING_free(outer);
	return ok;
}

static int add_alt_names(X509 *x, const char *const *names, size_t n)
{
	if (!n)
		return 1;
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	int ok = gens != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		GENERAL_NAME *g = NULL;
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(names[i]); /* IP literals become iPAddress, the rest dNSName */
		if (ip) {
			g = GENERAL_NAME_new();
			if (g)
				GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
			else
				ASN1_OCTET_STRING_free(ip);
		} else {
			ASN1_IA5STRING *dns = ASN1_IA5STRING_new();
			if (dns && ASN1_STRING_set(dns, names[i], -1) && (g = GENERAL_NAME_new()))
				GENERAL_NAME_set0_value(g, GEN_DNS, dns);
			else
				ASN1_IA5STRING_free(dns);
		}
		ok = g && sk_GENERAL_NAME_push(gens, g);
		if (!ok)
			GENERAL_NAME_free(g);
	}
	ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0) == 1;
	GENERAL_NAMES_free(gens);
	return ok;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok;
}

/* The RA-TLS attestation of a key: a V0 attestation whose report data is SHA-512("ratls-cert:" ‖ SPKI). */
static int ratls_attestation(struct app *a, EVP_PKEY *key, uint8_t **att, size_t *att_len, char *err, size_t cap)
{
	unsigned char *spki = NULL;
	int n = i2d_PUBKEY(key, &spki);
	if (n <= 0)
		return -1;
	uint8_t *msg = malloc((size_t)n + 11), rd[64], *quote;
	if (!msg) {
		OPENSSL_free(spki);
		return -1;
	}
	memcpy(msg, "ratls-cert:", 11);
	memcpy(msg + 11, spki, (size_t)n);
	SHA512(msg, (size_t)n + 11, rd);
	free(msg);
	OPENSSL_free(spki);
	size_t len;
	char *log_json;
	vouch_eventlog log;
	if (app_quote(a, rd, &quote, &len, &log_json, &log, err, cap))
		return -1;
	int e = vouch_attestation_encode(att, att_len, quote, len, &log, rd, a->vm_config, strlen(a->vm_config));
	free(quote);
	free(log_json);
	vouch_eventlog_free(&log);
	return e ? -1 : 0;
}

/* Certificate validity (RFC 5280 §4.1.2.5): UTCTime through 2049, GeneralizedTime after, four-digit years at
 * most: 9999-12-31T23:59:59Z is the last instant a certificate can carry. */
#define CERT_TIME_MAX 253402300799ull
#define CERT_DEFAULT_NOT_BEFORE 157766400ull /* 1975-01-01, dstack's */
#define CN_MAX_CHARS 64                       /* RFC 5280 ub-common-name */

struct cert_req {
	const char *subject;
	const char *alt_names[MAX_ALT_NAMES];
	size_t n_alt;
	int ra_tls, server_auth, client_auth;
	uint64_t not_before, not_after; /* in effect: the request's, or the defaults */
};

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Reads and checks the certificate's fields: whatever passes here makes a valid certificate. */
static int read_cert_req(const req *r, struct cert_req *c, int server_auth_default, char *err, size_t cap)
{
	memset(c, 0, sizeof *c);
	int have_nb, have_na;
	if (req_str(r, "subject", &c->subject, NULL, err, cap) ||
	    req_strs(r, "alt_names", c->alt_names, MAX_ALT_NAMES, &c->n_alt, err, cap) ||
	    req_bool(r, "usage_ra_tls", &c->ra_tls, err, cap) || req_bool(r, "usage_client_auth", &c->client_auth, err, cap) ||
	    req_u64(r, "not_before", &c->not_before, &have_nb, err, cap) ||
	    req_u64(r, "not_after", &c->not_after, &have_na, err, cap))
		return -1;
	json_t *sa = json_object_get(r->body, "usage_server_auth");
	if (sa && !json_is_null(sa)) {
		if (req_bool(r, "usage_server_auth", &c->server_auth, err, cap))
			return -1;
	} else {
		c->server_auth = server_auth_default;
	}
	size_t chars = utf8_chars(c->subject);
	if (chars > CN_MAX_CHARS) {
		snprintf(err, cap, "subject: a certificate's common name is at most %d characters, this one has %zu",
			 CN_MAX_CHARS, chars);
		return -1;
	}
	for (size_t i = 0; i < c->n_alt; i++) {
		const char *n = c->alt_names[i];
		size_t len = strlen(n);
		if (!len || len > 253 || utf8_chars(n) != len) {
			snprintf(err, cap, "alt_names[%zu]: a name is 1 to 253 ASCII characters (an IP address or a DNS name)", i);
			return -1;
		}
	}
	if (!have_nb)
		c->not_before = CERT_DEFAULT_NOT_BEFORE;
	if (!have_na)
		c->not_after = (uint64_t)time(NULL) + 3650ull * 86400;
	const char *which = c->not_before > CERT_TIME_MAX ? "not_before" : c->not_after > CERT_TIME_MAX ? "not_after" : NULL;
	if (which) {
		snprintf(err, cap, "%s: %llu is after 9999-12-31T23:59:59Z (%llu), the last time a certificate can carry",
			 which, (unsigned long long)(which[4] == 'b' ? c->not_before : c->not_after), CERT_TIME_MAX);
		return -1;
	}
	if (have_nb && have_na && c->not_before >= c->not_after) {
		snprintf(err, cap, "not_before must be earlier than not_after"); /* dstack's words (spec §8.7) */
		return -1;
	}
	if (c->not_before >= c->not_after) {
		snprintf(err, cap, "not_before (%llu%s) must be earlier than not_after (%llu%s)",
			 (unsigned long long)c->not_before, have_nb ? "" : ", the default",
			 (unsigned long long)c->not_after, have_na ? "" : ", the default");
		return -1;
	}
	return 0;
}

/* Issues a certificate for key as the request says; responds {key, certificate_chain}. Every failure names its
 * step in err. */
static int issue(struct app *a, EVP_PKEY *key, const struct cert_req *c, json_t **out, char *err, size_t cap)
{
	if (!a->ca_key) {
		snprintf(err, cap, "this app's CA key is held by its KMS: vouchd cannot issue TLS certificates locally");
		return -1;
	}
	BIO *cab = BIO_new_mem_buf(a->ca_cert_pem, -1);
	X509 *ca = cab ? PEM_read_bio_X509(cab, NULL, NULL, NULL) : NULL, *x = X509_new();
	BIO_free(cab);
	X509_NAME *name = X509_NAME_new();
	uint8_t serial[16], *att = NULL;
	size_t att_len = 0;
	BIGNUM *bn = NULL;
	BIO *kb = NULL, *cb = NULL;
	const char *step = NULL;
	char eku[64] = "";
	if (c->server_auth)
		strcat(eku, "serverAuth");
	if (c->client_auth)
		strcat(eku, *eku ? ",clientAuth" : "clientAuth");
	if (!ca || !x || !name || RAND_bytes(serial, sizeof serial) != 1)
		step = "the app's CA certificate does not parse, or out of memory";
	serial[0] &= 0x7f;
	if (!step && (!(bn = BN_bin2bn(serial, sizeof serial, NULL)) || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
		      !X509_set_version(x, 2)))
		step = "serial number";
	if (!step && (!ASN1_TIME_set(X509_getm_notBefore(x), (time_t)c->not_before) ||
		      !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)c->not_after)))
		step = "validity";
	if (!step && ((*c->subject && !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
								   (const unsigned char *)c->subject, -1, -1, 0)) ||
		      !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, X509_get_subject_name(ca))))
		step = "subject";
	if (!step && (!X509_set_pubkey(x, key) || !add_ext(x, ca, NID_key_usage, "critical,digitalSignature") ||
		      (*eku && !add_ext(x, ca, NID_ext_key_usage, eku)) ||
		      !add_custom_ext(x, OID_SPECIAL_USAGE, (const uint8_t *)"app:custom", 10)))
		step = "extensions";
	if (!step && !add_alt_names(x, c->alt_names, c->n_alt))
		step = "alt_names";
	if (!step && c->ra_tls) {
		err[0] = 0;
		if (ratls_attestation(a, key, &att, &att_len, err, cap) || !add_custom_ext(x, OID_ATTESTATION, att, att_len))
			step = err[0] ? "" : "the attestation extension";
	}
	if (!step && X509_sign(x, a->ca_key, EVP_sha256()) <= 0)
		step = "signature";
	char *kp = NULL, *cp = NULL;
	long kn = 0, cn = 0;
	if (!step && (!(kb = BIO_new(BIO_s_secmem())) || !(cb = BIO_new(BIO_s_mem())) ||
		      !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) || !PEM_write_bio_X509(cb, x) ||
		      (kn = BIO_get_mem_data(kb, &kp)) <= 0 || (cn = BIO_get_mem_data(cb, &cp)) <= 0 ||
		      !(*out = json_pack("{s:s%, s:[s%, s]}", "key", kp, (size_t)kn, "certificate_chain", cp, (size_t)cn,
					 a->ca_cert_pem))))
		step = "encoding (out of memory)";
	BIO_free(kb);
	BIO_free(cb);
	free(att);
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(x);
	X509_free(ca);
	if (step && *step) /* "": ratls_attestation's own message is in err */
		snprintf(err, cap, "cannot issue the certificate: %s", step);
	return step ? -1 : 0;
}

int api_get_tls_key(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	struct cert_req c;
	if (read_cert_req(r, &c, 0, err, cap))
		return -1;
	/* a fresh key every call: HKDF of a random seed (§8.7) */
	uint8_t seed[32], k[32];
	EVP_PKEY *key = NULL;
	for (int tries = 0; !key && tries < 8; tries++)
		if (RAND_priv_bytes(seed, 32) == 1 && vouch_hkdf_sha256(k, 32, "RATLS", 5, seed, 32, "", 0) == 0)
			key = p256_from_scalar(k);
	vouch_wipe(seed, sizeof seed);
	vouch_wipe(k, sizeof k);
	if (!key) {
		snprintf(err, cap, "cannot generate a TLS key");
		return -1;
	}
	int rc = issue(a, key, &c, out, err, cap);
	EVP_PKEY_free(key);
	return rc;
}

int api_derive_key(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	const char *path;
	size_t path_len;
	int random_seed;
	struct cert_req c;
	if (req_str(r, "path", &path, &path_len, err, cap) || req_bool(r, "random_seed", &random_seed, err, cap) ||
	    read_cert_req(r, &c, 0, err, cap))
		return -1;
	if (policy_key_use(a, r, path, path_len, err, cap))
		return -1;
	if (policy_sign_only(a, path, path_len)) {
		snprintf(err, cap, "key path \"%.*s\" is sign-only: its private key never leaves vouchd",
			 (int)(path_len > 200 ? 200 : path_len), path);
		return -1;
	}
	/* deterministic per app and path: HKDF(salt "RATLS", k256_key, path), unless random_seed */
	uint8_t k[32], seed[32];
	int e = random_seed ? (RAND_priv_bytes(seed, 32) == 1 ? vouch_hkdf_sha256(k, 32, "RATLS", 5, seed, 32, "", 0) : -1)
			    : vouch_hkdf_sha256(k, 32, "RATLS", 5, a->root, 32, path, path_len);
	EVP_PKEY *key = e ? NULL : p256_from_scalar(k);
	vouch_wipe(k, sizeof k);
	vouch_wipe(seed, sizeof seed);
	if (!key) {
		snprintf(err, cap, "cannot derive a P-256 key for this path");
		return -1;
	}
	int rc = issue(a, key, &c, out, err, cap);
	EVP_PKEY_free(key);
	return rc;
}
