/* Signed answers (receipt.h): documents built here as vouch-gateway and vllm-proxy serve them — keys from
 * dstack's derivation, EIP-191 digests computed independently of the library, a simulated TDX quote over the
 * report data — then every step made to fail on its own, malformed documents, and every truncation. The
 * quote's own verification (DCAP, event log) is the caller's step and is tested end to end by
 * compat.gateway_openai; here the quote is parsed for its report data only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "test.h"
#include "vouch/dstack.h"
#include "vouch/keys.h"
#include "vouch/quote.h"
#include "vouch/receipt.h"
#include "vouch/sim.h"
#include "vouch/util.h"

static const char REQ[] = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
static const char RESP[] = "{\"id\":\"chatcmpl-1\",\"choices\":[{\"message\":{\"content\":\"tok0 tok1\"}}]}";

struct docs {
	char sig[1024], report[32768];
	uint8_t nonce[32], fp[32], report_data[64];
	char text[130];
};

static vouch_sim *sim;

static void hex(char *out, const uint8_t *p, size_t n)
{
	vouch_hex_encode(out, p, n);
}

/* Builds the documents for one answer. algo "ecdsa" or "ed25519"; version 1 or 2 (v2 binds fp). */
static int make(struct docs *d, const char *algo, int version)
{
	uint8_t root[32] = {7}, sig[65];
	vouch_derived_key k;
	int ecdsa = !strcmp(algo, "ecdsa");
	if (vouch_get_key(&k, root, ecdsa ? "gateway/ecdsa" : "gateway/ed25519", ecdsa ? 13 : 15, "", 0,
			  ecdsa ? VOUCH_ALG_SECP256K1 : VOUCH_ALG_ED25519))
		return -1;
	vouch_receipt_text(d->text, (const uint8_t *)REQ, sizeof REQ - 1, (const uint8_t *)RESP, sizeof RESP - 1);
	uint8_t keybytes[32] = {0};
	size_t key_len;
	char sig_hex[2 + 130 + 1] = "", addr[67];
	if (ecdsa) {
		/* EIP-191 written out here, not taken from the library */
		char m[200];
		int n = snprintf(m, sizeof m, "%cEthereum Signed Message:\n%zu%s", 0x19, strlen(d->text), d->text);
		uint8_t digest[32];
		vouch_keccak256(digest, m, (size_t)n);
		if (vouch_secp256k1_sign_recoverable(sig, k.key, digest))
			return -1;
		sig[64] += 27;
		strcpy(sig_hex, "0x");
		hex(sig_hex + 2, sig, 65);
		vouch_eth_address(keybytes, k.pub, 33);
		vouch_eth_address_text(addr, keybytes);
		key_len = 20;
	} else {
		if (vouch_key_sign(sig, &k, VOUCH_ALG_ED25519, (const uint8_t *)d->text, strlen(d->text)))
			return -1;
		hex(sig_hex, sig, 64);
		memcpy(keybytes, k.pub, 32);
		hex(addr, k.pub, 32);
		key_len = 32;
	}
	snprintf(d->sig, sizeof d->sig, "{\"text\":\"%s\",\"signature\":\"%s\",\"signing_address\":\"%s\",\"signing_algo\":\"%s\"}",
		 d->text, sig_hex, addr, algo);
	for (int i = 0; i < 32; i++)
		d->nonce[i] = (uint8_t)(0xa0 + i), d->fp[i] = (uint8_t)(0x50 + i);
	memset(d->report_data, 0, 64);
	if (version == 2) {
		uint8_t b[64];
		memcpy(b, keybytes, key_len);
		memcpy(b + key_len, d->fp, 32);
		sha256(d->report_data, b, key_len + 32);
	} else {
		memcpy(d->report_data, keybytes, key_len);
	}
	memcpy(d->report_data + 32, d->nonce, 32);
	vouch_sim_td td;
	vouch_sim_td_default(&td);
	memcpy(td.report_data, d->report_data, 64);
	static uint8_t q[8192];
	static char qhex[16385];
	size_t qlen;
	if (vouch_sim_tdx_quote(q, sizeof q, &qlen, sim, &td))
		return -1;
	hex(qhex, q, qlen);
	char nonce_hex[65], fp_hex[65];
	hex(nonce_hex, d->nonce, 32);
	hex(fp_hex, d->fp, 32);
	snprintf(d->report, sizeof d->report,
		 "{\"signing_address\":\"%s\",\"signing_algo\":\"%s\",\"request_nonce\":\"%s\",\"intel_quote\":\"%s\","
		 "\"event_log\":[],\"info\":{\"app_id\":\"x\"},\"nvidia_payload\":\"\",\"version\":%d%s%s%s}",
		 addr, algo, nonce_hex, qhex, version, version == 2 ? ",\"tls_cert_fingerprint\":\"" : "",
		 version == 2 ? fp_hex : "", version == 2 ? "\"" : "");
	vouch_wipe(&k, sizeof k);
	return 0;
}

/* documents with edited request/response */
static int docs_check(vouch_receipt_check *c, const struct docs *d, const char *req, const char *resp)
{
	return vouch_receipt_check_documents(c, (const uint8_t *)req, strlen(req), (const uint8_t *)resp, strlen(resp),
					     d->sig, strlen(d->sig), d->report, strlen(d->report));
}

static int check(vouch_receipt_check *c, const struct docs *d)
{
	return docs_check(c, d, REQ, RESP);
}

/* Replaces the first occurrence of from in s by to (s has room). */
static int edit(char *s, size_t cap, const char *from, const char *to)
{
	char *p = strstr(s, from);
	size_t a = strlen(from), b = strlen(to), n = strlen(s);
	if (!p || n - a + b + 1 > cap)
		return -1;
	memmove(p + b, p + a, n - (size_t)(p - s) - a + 1);
	memcpy(p, to, b);
	return 0;
}

static void setup(void)
{
	if (sim)
		return;
	vouch_sim_config cfg;
	vouch_sim_config_default(&cfg, 1764000000);
	if (vouch_sim_new(&sim, &cfg))
		abort();
}

/* the report data of the evidence the check hands back, as a caller gets it from the parsed quote */
static int evidence_report_data(const vouch_receipt_check *c, uint8_t out[64])
{
	vouch_dstack_evidence ev;
	char msg[128];
	if (!c->evidence || vouch_dstack_evidence_parse(&ev, (const uint8_t *)c->evidence, c->evidence_len, msg, sizeof msg))
		return -1;
	vouch_quote q;
	int e = vouch_quote_parse(&q, ev.quote.p, ev.quote.len);
	if (!e)
		memcpy(out, q.td.report_data, 64);
	vouch_dstack_evidence_free(&ev);
	return e;
}

static void ecdsa_v1_receipt_verifies(void)
{
	setup();
	static struct docs d;
	CHECK_OK(make(&d, "ecdsa", 1));
	vouch_receipt_check c;
	CHECK_OK(check(&c, &d));
	CHECK(c.ecdsa && c.key_len == 20 && c.version == 1 && c.failed == -1);
	uint8_t rdata[64];
	CHECK_OK(evidence_report_data(&c, rdata));
	CHECK(!memcmp(rdata, d.report_data, 64));
	vouch_receipt_check_quote(&c, 1, "verified by the caller");
	CHECK_OK(vouch_receipt_check_binding(&c, rdata, d.nonce, NULL));
	CHECK(strstr(c.detail[VOUCH_RECEIPT_BINDING], "your nonce") != NULL);
	for (int s = 0; s < VOUCH_RECEIPT_STEPS; s++)
		CHECK_INT(c.state[s], 1);
	vouch_receipt_check_free(&c);
	/* without the verifier's nonce it passes, saying whose nonce it took */
	CHECK_OK(check(&c, &d));
	CHECK_OK(vouch_receipt_check_binding(&c, rdata, NULL, NULL));
	CHECK(strstr(c.detail[VOUCH_RECEIPT_BINDING], "not a replay") != NULL);
	vouch_receipt_check_free(&c);
	/* the address in another case is the same address */
	for (char *p = strstr(d.report, "\"0x") + 3; *p != '"'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	CHECK_OK(check(&c, &d));
	vouch_receipt_check_free(&c);
}

static void ed25519_receipt_verifies(void)
{
	setup();
	static struct docs d;
	CHECK_OK(make(&d, "ed25519", 1));
	vouch_receipt_check c;
	CHECK_OK(check(&c, &d));
	CHECK(!c.ecdsa && c.key_len == 32);
	uint8_t rdata[64];
	CHECK_OK(evidence_report_data(&c, rdata));
	CHECK_OK(vouch_receipt_check_binding(&c, rdata, d.nonce, NULL));
	vouch_receipt_check_free(&c);
	/* the signature over another text does not verify */
	char *s = strstr(d.sig, "\"signature\":\"") + 13;
	s[10] = s[10] == '0' ? '1' : '0';
	CHECK_ERR(check(&c, &d), VOUCH_E_RECEIPT);
	CHECK_INT(c.failed, VOUCH_RECEIPT_SIGNATURE);
	vouch_receipt_check_free(&c);
}

static void v2_binds_the_tls_key(void)
{
	setup();
	static struct docs d;
	CHECK_OK(make(&d, "ecdsa", 2));
	vouch_receipt_check c;
	uint8_t rdata[64], other[32];
	CHECK_OK(check(&c, &d));
	CHECK(c.version == 2 && c.have_tls_fingerprint);
	CHECK_OK(evidence_report_data(&c, rdata));
	CHECK_OK(vouch_receipt_check_binding(&c, rdata, d.nonce, d.fp));
	CHECK(strstr(c.detail[VOUCH_RECEIPT_BINDING], "you connected to") != NULL);
	vouch_receipt_check_free(&c);
	/* the report's own fingerprint, said so */
	CHECK_OK(check(&c, &d));
	CHECK_OK(vouch_receipt_check_binding(&c, rdata, d.nonce, NULL));
	CHECK(strstr(c.detail[VOUCH_RECEIPT_BINDING], "the report names") != NULL);
	vouch_receipt_check_free(&c);
	/* a session with another certificate: refused */
	memcpy(other, d.fp, 32);
	other[0] ^= 1;
	CHECK_OK(check(&c, &d));
	CHECK_ERR(vouch_receipt_check_binding(&c, rdata, d.nonce, other), VOUCH_E_RECEIPT);
	CHECK_INT(c.failed, VOUCH_RECEIPT_BINDING);
	vouch_receipt_check_free(&c);
	/* no fingerprint anywhere: v2 cannot be checked */
	CHECK_OK(edit(d.report, sizeof d.report, ",\"tls_cert_fingerprint\"", ",\"tls_cert_fp_gone\""));
	CHECK_OK(check(&c, &d));
	CHECK_ERR(vouch_receipt_check_binding(&c, rdata, d.nonce, NULL), VOUCH_E_RECEIPT);
	CHECK(strstr(c.detail[VOUCH_RECEIPT_BINDING], "fingerprint") != NULL);
	vouch_receipt_check_free(&c);
}

static void changed_bytes_fail_the_text_step(void)
{
	setup();
	static struct docs d;
	CHECK_OK(make(&d, "ecdsa", 1));
	char req[sizeof REQ], resp[sizeof RESP];
	vouch_receipt_check c;
	for (size_t i = 0; i < sizeof REQ - 1; i += 7) {
		memcpy(req, REQ, sizeof REQ);
		req[i] ^= 0x20;
		CHECK_ERR(docs_check(&c, &d, req, RESP), VOUCH_E_RECEIPT);
		CHECK_INT(c.failed, VOUCH_RECEIPT_TEXT);
		CHECK_INT(c.state[VOUCH_RECEIPT_SIGNATURE], 0);
		vouch_receipt_check_free(&c);
	}
	for (size_t i = 0; i < sizeof RESP - 1; i += 5) {
		memcpy(resp, RESP, sizeof RESP);
		resp[i] ^= 0x01;
		CHECK_ERR(docs_check(&c, &d, REQ, resp), VOUCH_E_RECEIPT);
		CHECK_INT(c.failed, VOUCH_RECEIPT_TEXT);
		vouch_receipt_check_free(&c);
	}
	/* one byte more or less */
	memcpy(resp, RESP, sizeof RESP);
	resp[sizeof RESP - 2] = 0;
	CHECK_ERR(docs_check(&c, &d, REQ, resp), VOUCH_E_RECEIPT);
	CHECK_INT(c.failed, VOUCH_RECEIPT_TEXT);
	vouch_receipt_check_free(&c);
}

/* One edit to the signature (sig != 0) or report document; the step that must fail. */
static void expect_fail(const char *algo, int sig, const char *from, const char *to, int want_step, const char *detail)
{
	static struct docs d;
	if (make(&d, algo, 1)) {
		test_failf(__FILE__, __LINE__, "make");
		return;
	}
	if (edit(sig ? d.sig : d.report, sig ? sizeof d.sig : sizeof d.report, from, to)) {
		test_failf(__FILE__, __LINE__, "%s not found", from);
		return;
	}
	vouch_receipt_check c;
	int e = check(&c, &d);
	if (e != VOUCH_E_RECEIPT || c.failed != want_step || !strstr(c.detail[want_step], detail))
		test_failf(__FILE__, __LINE__, "%s -> %s: %s, step %s: %s (wanted %s: %s)", from, to, vouch_errname(e),
			   vouch_receipt_step_name(c.failed), c.failed >= 0 ? c.detail[c.failed] : "",
			   vouch_receipt_step_name(want_step), detail);
	vouch_receipt_check_free(&c);
}

static void each_document_fault_is_named(void)
{
	setup();
	static struct docs d;
	CHECK_OK(make(&d, "ecdsa", 1));
	/* edits found by their context: the signature's first byte, its v (the last), the address */
	char *sig = strstr(d.sig, "\"signature\":\"0x") + 15, r0[32], r1[32], v0[16], v29[16];
	snprintf(r0, sizeof r0, "\"signature\":\"0x%.2s", sig);
	snprintf(r1, sizeof r1, "\"signature\":\"0x%c%c", sig[0], sig[1] == '0' ? '1' : '0');
	snprintf(v0, sizeof v0, "%.8s\"", sig + 122);
	snprintf(v29, sizeof v29, "%.6s1d\"", sig + 122);
	char *addr = strstr(d.sig, "\"signing_address\":\"0x") + 21, a0[9], a1[9];
	memcpy(a0, addr, 8), a0[8] = 0, memcpy(a1, addr, 8), a1[8] = 0, a1[7] = a1[7] == 'a' ? 'b' : 'a';
	/* signature document */
	expect_fail("ecdsa", 1, "\"text\":\"", "\"text\":\"0", VOUCH_RECEIPT_TEXT, "is not sha256");
	expect_fail("ecdsa", 1, "\"text\":\"", "\"txt\":\"", VOUCH_RECEIPT_TEXT, "is not sha256");
	expect_fail("ecdsa", 1, "{", "[", VOUCH_RECEIPT_TEXT, "not a JSON object");
	expect_fail("ecdsa", 1, "\"signing_algo\":\"ecdsa\"", "\"signing_algo\":1", VOUCH_RECEIPT_TEXT, "not a JSON object");
	expect_fail("ecdsa", 1, "\"signing_algo\":\"ecdsa\"", "\"signing_algo\":\"ecdsa\",\"text\":\"x\"", VOUCH_RECEIPT_TEXT,
		    "not a JSON object");
	expect_fail("ecdsa", 1, "\"signing_algo\":\"ecdsa\"", "\"signing_algo\":\"ecd\\u0000sa\"", VOUCH_RECEIPT_TEXT,
		    "not a JSON object");
	expect_fail("ecdsa", 1, "}", "}x", VOUCH_RECEIPT_TEXT, "not a JSON object");
	expect_fail("ecdsa", 1, "\"signing_algo\":\"ecdsa\"", "\"signing_algo\":\"rsa\"", VOUCH_RECEIPT_SIGNATURE,
		    "neither ecdsa nor ed25519");
	expect_fail("ecdsa", 1, r0, r1, VOUCH_RECEIPT_SIGNATURE, "does not recover");
	expect_fail("ecdsa", 1, v0, v29, VOUCH_RECEIPT_SIGNATURE, "not 27 or 28");
	expect_fail("ecdsa", 1, "\"signature\":\"0x", "\"signature\":\"0x00", VOUCH_RECEIPT_SIGNATURE, "65 bytes");
	expect_fail("ecdsa", 1, a0, a1, VOUCH_RECEIPT_SIGNATURE, "does not recover");
	expect_fail("ed25519", 1, "\"signing_address\":\"", "\"signing_address\":\"00", VOUCH_RECEIPT_SIGNATURE, "a key 32");
	/* report document */
	expect_fail("ecdsa", 0, a0, a1, VOUCH_RECEIPT_REPORT, "another key");
	expect_fail("ecdsa", 0, "\"signing_algo\":\"ecdsa\"", "\"signing_algo\":\"ed25519\"", VOUCH_RECEIPT_REPORT, "another key");
	expect_fail("ecdsa", 0, "\"intel_quote\"", "\"quote\"", VOUCH_RECEIPT_REPORT, "no intel_quote");
	expect_fail("ecdsa", 0, "\"event_log\"", "\"events\"", VOUCH_RECEIPT_REPORT, "no event_log");
	expect_fail("ecdsa", 0, "\"request_nonce\":\"", "\"request_nonce\":\"0", VOUCH_RECEIPT_REPORT, "request_nonce");
	expect_fail("ecdsa", 0, "\"version\":1", "\"version\":3", VOUCH_RECEIPT_REPORT, "only 1 and 2");
	expect_fail("ecdsa", 0, "\"version\":1", "\"version\":\"1\"", VOUCH_RECEIPT_REPORT, "not a JSON object");
	expect_fail("ecdsa", 0, "\"version\":1", "\"version\":1,\"event_log\":[]", VOUCH_RECEIPT_REPORT, "not a JSON object");
	expect_fail("ecdsa", 0, "\"nvidia_payload\":\"\"", "\"nvidia_payload\":\"\",\"tls_cert_fingerprint\":\"ab\"",
		    VOUCH_RECEIPT_REPORT, "tls_cert_fingerprint");
	expect_fail("ecdsa", 0, "{", "{{", VOUCH_RECEIPT_REPORT, "not a JSON object");
	expect_fail("ecdsa", 0, "\"intel_quote\":\"", "\"intel_quote\":\"\\\"", VOUCH_RECEIPT_REPORT, "not hex");
}

static void escapes_are_decoded(void)
{
	setup();
	static struct docs d;
	CHECK_OK(make(&d, "ecdsa", 1));
	/* "0x" written as "\u0030x", "ecdsa" as "ec\u0064sa": the same document */
	CHECK_OK(edit(d.sig, sizeof d.sig, "\"signature\":\"0x", "\"signature\":\"\\u0030x"));
	CHECK_OK(edit(d.sig, sizeof d.sig, "\"signing_algo\":\"ecdsa\"", "\"signing_algo\":\"ec\\u0064sa\""));
	vouch_receipt_check c;
	CHECK_OK(check(&c, &d));
	vouch_receipt_check_free(&c);
}

static void binding_faults_are_named(void)
{
	setup();
	static struct docs d;
	CHECK_OK(make(&d, "ecdsa", 1));
	vouch_receipt_check c;
	uint8_t rdata[64], mine[32];
	/* a TLS fingerprint with a version 1 report: v1 binds no TLS key, so the check cannot pass */
	CHECK_OK(check(&c, &d));
	CHECK_ERR(vouch_receipt_check_binding(&c, d.report_data, d.nonce, d.fp), VOUCH_E_RECEIPT);
	CHECK(strstr(c.detail[VOUCH_RECEIPT_BINDING], "version=2") != NULL);
	vouch_receipt_check_free(&c);
	/* a report replayed: the verifier sent another nonce */
	CHECK_OK(check(&c, &d));
	memcpy(rdata, d.report_data, 64);
	memcpy(mine, d.nonce, 32);
	mine[31] ^= 1;
	CHECK_ERR(vouch_receipt_check_binding(&c, rdata, mine, NULL), VOUCH_E_RECEIPT);
	CHECK(strstr(c.detail[VOUCH_RECEIPT_BINDING], "replayed") != NULL);
	vouch_receipt_check_free(&c);
	/* a quote over another nonce than the report states */
	CHECK_OK(check(&c, &d));
	rdata[40] ^= 1;
	CHECK_ERR(vouch_receipt_check_binding(&c, rdata, NULL, NULL), VOUCH_E_RECEIPT);
	CHECK(strstr(c.detail[VOUCH_RECEIPT_BINDING], "request_nonce") != NULL);
	vouch_receipt_check_free(&c);
	/* a quote binding another key, including in the padding */
	for (int i = 0; i < 32; i += 19) {
		CHECK_OK(check(&c, &d));
		memcpy(rdata, d.report_data, 64);
		rdata[i] ^= 0x80;
		CHECK_ERR(vouch_receipt_check_binding(&c, rdata, d.nonce, NULL), VOUCH_E_RECEIPT);
		CHECK(strstr(c.detail[VOUCH_RECEIPT_BINDING], "does not bind the signing key") != NULL);
		vouch_receipt_check_free(&c);
	}
}

static void every_truncation_is_refused(void)
{
	setup();
	static struct docs d;
	CHECK_OK(make(&d, "ed25519", 1));
	vouch_receipt_check c;
	size_t sl = strlen(d.sig), rl = strlen(d.report);
	for (size_t n = 0; n < sl; n++) {
		CHECK_ERR(vouch_receipt_check_documents(&c, (const uint8_t *)REQ, sizeof REQ - 1, (const uint8_t *)RESP,
							sizeof RESP - 1, d.sig, n, d.report, rl),
			  VOUCH_E_RECEIPT);
		CHECK_INT(c.failed, VOUCH_RECEIPT_TEXT);
		vouch_receipt_check_free(&c);
	}
	for (size_t n = 0; n < rl; n += n < 200 || n > rl - 200 ? 1 : 97) {
		CHECK_ERR(vouch_receipt_check_documents(&c, (const uint8_t *)REQ, sizeof REQ - 1, (const uint8_t *)RESP,
							sizeof RESP - 1, d.sig, sl, d.report, n),
			  VOUCH_E_RECEIPT);
		CHECK_INT(c.failed, VOUCH_RECEIPT_REPORT);
		vouch_receipt_check_free(&c);
	}
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(ecdsa_v1_receipt_verifies),     T(ed25519_receipt_verifies),   T(v2_binds_the_tls_key),
		T(changed_bytes_fail_the_text_step), T(each_document_fault_is_named), T(escapes_are_decoded),
		T(binding_faults_are_named),      T(every_truncation_is_refused),
	};
	int rc = test_main(argc, argv, tests, sizeof tests / sizeof tests[0]);
	vouch_sim_free(sim);
	return rc;
}
