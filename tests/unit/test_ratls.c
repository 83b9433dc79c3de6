/* RA-TLS certificates: vouchd's GetTlsKey (called in-process through its request dispatch, on a simulated TEE
 * in a scratch state directory) read back with OpenSSL for their contents, and with libvouch's
 * vouch_ratls_evidence + vouch_dstack_verify for their attestation — then broken in every way a certificate
 * can be: another key, no extension, a damaged extension, truncations. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "app.h"
#include "log.h"
#include "test.h"
#include "vouch/dcap.h"
#include "vouch/dstack.h"
#include "vouch/sim.h"

static struct app app;
static char dir[] = "/tmp/vouch-ratls-XXXXXX";

/* One request to dstack.sock's handlers; the JSON answer (NULL unless 200). */
static json_t *call(const char *method, const char *body)
{
	char url[64], *out = NULL;
	unsigned status = 0;
	snprintf(url, sizeof url, "/%s", method);
	http_dispatch(&app, LISTEN_DSTACK, dstack_routes, n_dstack_routes, url, 0, body, strlen(body), NULL, NULL, &out,
		      &status);
	json_t *j = status == 200 && out ? json_loads(out, 0, NULL) : NULL;
	if (status != 200)
		fprintf(stderr, "  %s: HTTP %u %s\n", method, status, out ? out : "");
	free(out);
	return j;
}

static X509 *pem_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return x;
}

/* A TLS key's leaf (and CA) certificate from GetTlsKey with the given request body. */
static X509 *tls_leaf(const char *body, X509 **ca)
{
	json_t *j = call("GetTlsKey", body);
	json_t *chain = json_object_get(j, "certificate_chain");
	X509 *leaf = pem_cert(json_string_value(json_array_get(chain, 0)));
	if (ca)
		*ca = pem_cert(json_string_value(json_array_get(chain, 1)));
	json_decref(j);
	return leaf;
}

static uint8_t *der_of(X509 *x, size_t *len)
{
	uint8_t *der = NULL;
	int n = i2d_X509(x, &der);
	*len = n > 0 ? (size_t)n : 0;
	return n > 0 ? der : NULL;
}

/* Verifies the certificate's attestation under the simulated root, as `vouch verify --ratls` does. */
static int verify_ratls(const uint8_t *der, size_t len, char *msg, size_t cap)
{
	vouch_dstack_evidence ev;
	int e = vouch_ratls_evidence(&ev, der, len, msg, cap);
	if (e)
		return e;
	vouch_sim *sim = NULL;
	vouch_collateral_src src;
	vouch_collateral *coll = NULL;
	vouch_dstack_result r;
	vouch_verdict *v = malloc(sizeof *v);
	if (!v || (e = vouch_sim_load(&sim, dir, msg, cap)) || (e = vouch_sim_collateral(&src, sim, 1)))
		goto out;
	if ((e = vouch_collateral_open(&coll, &src)) == 0) {
		vouch_bytes root = vouch_sim_root(sim);
		vouch_verify_opts opts = {root.p, root.len, 0};
		e = vouch_dstack_verify(&r, v, &ev, &opts, coll, (int64_t)time(NULL));
		if (e)
			snprintf(msg, cap, "%s", r.reason);
		else if (!v->simulated)
			e = -1;
		vouch_collateral_close(coll);
	}
	vouch_collateral_src_free(&src);
out:
	vouch_sim_free(sim);
	free(v);
	vouch_dstack_evidence_free(&ev);
	return e;
}

static int has_ext(X509 *x, const char *oid, int *critical)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	int i = X509_get_ext_by_OBJ(x, o, -1);
	if (i >= 0 && critical)
		*critical = X509_EXTENSION_get_critical(X509_get_ext(x, i));
	ASN1_OBJECT_free(o);
	return i >= 0;
}

static void certificate_contents(void)
{
	X509 *ca = NULL, *leaf = tls_leaf("{\"subject\":\"agent.example\",\"alt_names\":[\"agent.example\",\"10.0.0.1\"],"
					  "\"usage_ra_tls\":true,\"usage_server_auth\":true,\"usage_client_auth\":true}",
					  &ca);
	CHECK(leaf && ca);
	/* signed by the app CA, whose name it carries */
	EVP_PKEY *ca_key = X509_get0_pubkey(ca);
	CHECK(X509_verify(leaf, ca_key) == 1);
	CHECK(X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(ca)) == 0);
	/* a P-256 key, the subject's CN, both alt names */
	CHECK(EVP_PKEY_get_base_id(X509_get0_pubkey(leaf)) == EVP_PKEY_EC);
	char cn[64] = "";
	X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof cn);
	CHECK_STR(cn, "agent.example");
	CHECK(X509_check_host(leaf, "agent.example", 0, 0, NULL) == 1);
	CHECK(X509_check_ip_asc(leaf, "10.0.0.1", 0) == 1);
	/* a leaf for signatures, server and client auth, as asked (dstack's server takes an absent
	 * usage_server_auth as false; its SDKs send true by default) */
	CHECK(X509_check_ca(leaf) == 0);
	CHECK(X509_get_key_usage(leaf) == KU_DIGITAL_SIGNATURE);
	uint32_t xku = X509_get_extended_key_usage(leaf);
	CHECK((xku & XKU_SSL_SERVER) && (xku & XKU_SSL_CLIENT));
	/* the attestation extension, not critical (TLS stacks that do not know it must still accept the cert) */
	int critical = -1;
	CHECK(has_ext(leaf, "1.3.6.1.4.1.62397.1.8", &critical));
	CHECK_INT(critical, 0);
	/* and its attestation verifies, bound to this key */
	size_t len;
	uint8_t *der = der_of(leaf, &len);
	char msg[400] = "";
	int e = verify_ratls(der, len, msg, sizeof msg);
	if (e)
		fprintf(stderr, "  %s\n", msg);
	CHECK_OK(e);
	OPENSSL_free(der);
	X509_free(leaf);
	X509_free(ca);
}

static void validity_as_asked(void)
{
	X509 *leaf = tls_leaf("{\"subject\":\"v\",\"not_before\":1700000000,\"not_after\":1800000000}", NULL);
	CHECK(leaf);
	CHECK(ASN1_TIME_cmp_time_t(X509_get0_notBefore(leaf), 1700000000) == 0);
	CHECK(ASN1_TIME_cmp_time_t(X509_get0_notAfter(leaf), 1800000000) == 0);
	/* without usage_ra_tls: no attestation, and the verifier says so */
	CHECK(!has_ext(leaf, "1.3.6.1.4.1.62397.1.8", NULL));
	size_t len;
	uint8_t *der = der_of(leaf, &len);
	char msg[400] = "";
	CHECK_ERR(verify_ratls(der, len, msg, sizeof msg), VOUCH_E_CERT_PARSE);
	CHECK(strstr(msg, "no attestation extension"));
	OPENSSL_free(der);
	X509_free(leaf);
}

static void broken_certificates_are_refused(void)
{
	X509 *a = tls_leaf("{\"subject\":\"a\",\"usage_ra_tls\":true}", NULL), *b = tls_leaf("{\"subject\":\"b\"}", NULL);
	CHECK(a && b);
	char msg[400];
	size_t len;
	vouch_dstack_evidence ev;

	/* another key in the same certificate (its SPKI bytes replaced): the attestation is not bound to it */
	uint8_t *der = der_of(a, &len), *spki_a = NULL, *spki_b = NULL;
	int na = i2d_PUBKEY(X509_get0_pubkey(a), &spki_a), nb = i2d_PUBKEY(X509_get0_pubkey(b), &spki_b);
	CHECK(der && na == 91 && nb == 91);
	uint8_t *swapped = malloc(len), *at_spki = memmem(der, len, spki_a, 91);
	CHECK(swapped && at_spki);
	memcpy(swapped, der, len);
	memcpy(swapped + (at_spki - der), spki_b, 91);
	char msg2[400] = "";
	CHECK_ERR(vouch_ratls_evidence(&ev, swapped, len, msg2, sizeof msg2), VOUCH_E_REPORT_DATA);
	CHECK(strstr(msg2, "not SHA-512"));
	free(swapped);
	OPENSSL_free(spki_a);
	OPENSSL_free(spki_b);

	/* every truncation of a good certificate is an error, never a crash */
	for (size_t cut = 0; cut < len; cut += cut < 64 ? 1 : 37)
		CHECK(vouch_ratls_evidence(&ev, der, cut, msg, sizeof msg) != 0);

	/* the attestation damaged inside the extension: found, but not decodable (the first bytes of the V0
	 * attestation: its variant and platform) */
	static const uint8_t oid[] = {0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xe7, 0x3d, 0x01, 0x08};
	uint8_t *at = memmem(der, len, oid, sizeof oid);
	CHECK(at);
	uint8_t *c = malloc(len);
	memcpy(c, der, len);
	/* extnValue OCTET STRING (04 82 LL LL) holding an OCTET STRING (04 82 LL LL), then the attestation */
	size_t att = (size_t)(at - der) + sizeof oid + 8;
	CHECK(der[att - 4] == 0x04);
	c[att] ^= 0xff;
	int e = vouch_ratls_evidence(&ev, c, len, msg, sizeof msg);
	CHECK(e != 0 && e != VOUCH_E_REPORT_DATA);
	/* the inner OCTET STRING's tag changed: not the layout dstack writes */
	memcpy(c, der, len);
	c[att - 4] = 0x05;
	CHECK_ERR(vouch_ratls_evidence(&ev, c, len, msg, sizeof msg), VOUCH_E_CERT_PARSE);
	free(c);
	OPENSSL_free(der);
	X509_free(a);
	X509_free(b);
}

/* The certificate itself (vouch_ratls_check_cert): dates against now, the signature under the app CA or its
 * own key, no extension twice. */
static void the_certificate_itself_is_checked(void)
{
	X509 *ca = NULL, *leaf = tls_leaf("{\"subject\":\"c\",\"usage_ra_tls\":true}", &ca),
	     *old = tls_leaf("{\"subject\":\"o\",\"usage_ra_tls\":true,\"not_before\":946684800,\"not_after\":978307200}",
			     NULL);
	CHECK(leaf && ca && old);
	size_t len, ca_len, old_len;
	uint8_t *der = der_of(leaf, &len), *ca_der = der_of(ca, &ca_len), *old_der = der_of(old, &old_len);
	int64_t now = (int64_t)time(NULL);
	char msg[400];
	vouch_ratls_cert rc;
	/* the genuine certificate: verified under the app CA; alone, said unchecked (it is not self-issued) */
	CHECK_OK(vouch_ratls_check_cert(&rc, der, len, ca_der, ca_len, now, msg, sizeof msg));
	CHECK_INT(rc.signature, VOUCH_RATLS_SIG_ISSUER);
	CHECK_OK(vouch_ratls_check_cert(&rc, der, len, NULL, 0, now, msg, sizeof msg));
	CHECK_INT(rc.signature, VOUCH_RATLS_SIG_UNCHECKED);
	/* valid only in 2000-2001: expired now, valid then */
	CHECK_ERR(vouch_ratls_check_cert(&rc, old_der, old_len, ca_der, ca_len, now, msg, sizeof msg), VOUCH_E_CERT_EXPIRED);
	CHECK(strstr(msg, "expired at 2001-01-01T00:00:00Z"));
	CHECK_ERR(vouch_ratls_check_cert(&rc, old_der, old_len, ca_der, ca_len, 900000000, msg, sizeof msg),
		  VOUCH_E_CERT_NOT_YET_VALID);
	/* the signature bytes flipped, one at a time (the last 64 bytes are inside the ECDSA signature) */
	uint8_t *c = malloc(len);
	for (size_t i = len - 64; i < len; i += 7) {
		memcpy(c, der, len);
		c[i] ^= 0x01;
		int e = vouch_ratls_check_cert(&rc, c, len, ca_der, ca_len, now, msg, sizeof msg);
		CHECK(e == VOUCH_E_CERT_SIGNATURE || e == VOUCH_E_DER);
	}
	/* a CA that is not its issuer */
	CHECK_ERR(vouch_ratls_check_cert(&rc, der, len, der, len, now, msg, sizeof msg), VOUCH_E_CERT_UNKNOWN_ISSUER);
	/* the attestation extension twice, re-signed by the app CA: refused (RFC 5280 §4.2), by the evidence reader too */
	X509 *dup = X509_dup(leaf);
	ASN1_OBJECT *o = OBJ_txt2obj("1.3.6.1.4.1.62397.1.8", 1);
	X509_EXTENSION *ext = X509_EXTENSION_dup(X509_get_ext(dup, X509_get_ext_by_OBJ(dup, o, -1)));
	CHECK(ext && X509_add_ext(dup, ext, -1) == 1 && X509_sign(dup, app.ca_key, EVP_sha256()) > 0);
	size_t dup_len;
	uint8_t *dup_der = der_of(dup, &dup_len);
	CHECK_ERR(vouch_ratls_check_cert(&rc, dup_der, dup_len, ca_der, ca_len, now, msg, sizeof msg), VOUCH_E_CERT_PARSE);
	CHECK(strstr(msg, "twice"));
	vouch_dstack_evidence ev;
	CHECK_ERR(vouch_ratls_evidence(&ev, dup_der, dup_len, msg, sizeof msg), VOUCH_E_CERT_PARSE);
	/* self-issued (issuer name = subject name), signed by the app CA key: checked under its own key, which
	 * did not sign it */
	X509 *self = X509_dup(leaf);
	CHECK(X509_set_issuer_name(self, X509_get_subject_name(self)) == 1 && X509_sign(self, app.ca_key, EVP_sha256()) > 0);
	size_t self_len;
	uint8_t *self_der = der_of(self, &self_len);
	CHECK_ERR(vouch_ratls_check_cert(&rc, self_der, self_len, NULL, 0, now, msg, sizeof msg), VOUCH_E_CERT_SIGNATURE);
	CHECK(rc.self_issued);
	OPENSSL_free(self_der);
	OPENSSL_free(dup_der);
	X509_free(self);
	X509_free(dup);
	X509_EXTENSION_free(ext);
	ASN1_OBJECT_free(o);
	free(c);
	OPENSSL_free(der);
	OPENSSL_free(ca_der);
	OPENSSL_free(old_der);
	X509_free(leaf);
	X509_free(old);
	X509_free(ca);
}

static void cleanup(void)
{
	app_free(&app);
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
	if (!mkdtemp(dir))
		return 1;
	log_level = LOG_ERR;
	struct config c = {.state_dir = dir, .tee = "sim", .fs_root = "/nonexistent", .socket_mode = 0660,
			   .limits = {.max_body = 1u << 16, .max_connections = 16, .idle_timeout_s = 10,
				      .max_header_bytes = 32768}};
	char err[256];
	if (app_init(&app, &c, err, sizeof err)) {
		fprintf(stderr, "vouchd state: %s\n", err);
		return 1;
	}
	atexit(cleanup);
	static const struct test tests[] = {
		T(certificate_contents),
		T(validity_as_asked),
		T(broken_certificates_are_refused),
		T(the_certificate_itself_is_checked),
	};
	return test_main(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
