/* Signed answers of an attested inference proxy (receipt.h): the documents read with the strict pull reader,
 * every field bounded, and the steps run in order. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "crypto.h"
#include "internal.h"
#include "json.h"
#include "vouch/keys.h"
#include "vouch/receipt.h"
#include "vouch/util.h"

static const char *const STEP_NAME[VOUCH_RECEIPT_STEPS] = {"text", "signature", "report", "quote", "report_data"};

const char *vouch_receipt_step_name(int step)
{
	return step >= 0 && step < VOUCH_RECEIPT_STEPS ? STEP_NAME[step] : "?";
}

static int step(vouch_receipt_check *c, int s, int ok, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int step(vouch_receipt_check *c, int s, int ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->detail[s], sizeof c->detail[s], fmt, ap);
	va_end(ap);
	c->state[s] = ok ? 1 : 2;
	if (!ok && c->failed < 0)
		c->failed = s;
	return ok;
}

void vouch_receipt_text(char out[130], const uint8_t *req, size_t req_len, const uint8_t *resp, size_t resp_len)
{
	uint8_t h[32];
	sha256(h, req, req_len);
	vouch_hex_encode(out, h, 32);
	out[64] = ':';
	sha256(h, resp, resp_len);
	vouch_hex_encode(out + 65, h, 32);
}

/* The string members a document may have, each decoded into a bounded buffer ("" when absent). */
struct field {
	const char *name;
	char *out;
	size_t cap;
	int seen;
};

/* Reads a JSON object, decoding the named string members and skipping the rest; extra: called for the
 * other members (may be NULL). Returns 0, or -1 for text that is not such an object (a named member that
 * is not a string or too long, a member twice). */
typedef int (*member_fn)(jr *j, span key, void *ud);
static int read_object(const char *text, size_t len, struct field *f, size_t nf, member_fn extra, void *ud)
{
	jr j = jr_init(text, len);
	int n = 0;
	span key;
	for (size_t i = 0; i < nf; i++)
		f[i].out[0] = 0, f[i].seen = 0;
	while (jr_obj_next(&j, &n, &key)) {
		size_t i = 0;
		while (i < nf && !span_eq_str(key, f[i].name))
			i++;
		if (i < nf) {
			span raw;
			size_t got;
			if (f[i].seen++ || jr_str(&j, &raw) || jr_unescape(raw, f[i].out, f[i].cap, &got) || strlen(f[i].out) != got)
				return -1;
		} else if (extra ? extra(&j, key, ud) : jr_skip(&j)) {
			return -1;
		}
	}
	return j.err || jr_end(&j) ? -1 : 0;
}

static int check_signature(vouch_receipt_check *c, const char *algo, const char *text, const char *sig, const char *addr)
{
	c->ecdsa = !strcmp(algo, "ecdsa");
	if (c->ecdsa) {
		uint8_t s[65], digest[32], pub[33], got[20];
		if (!vouch_hex_decode_exact(s, 65, sig) || !vouch_hex_decode_exact(c->key, 20, addr))
			return step(c, VOUCH_RECEIPT_SIGNATURE, 0, "an ECDSA signature is 65 bytes of hex and an address 20");
		c->key_len = 20;
		if (s[64] != 27 && s[64] != 28)
			return step(c, VOUCH_RECEIPT_SIGNATURE, 0, "v is %u, not 27 or 28 (EIP-191)", s[64]);
		s[64] -= 27;
		if (vouch_eip191_digest(digest, text, strlen(text)) || vouch_secp256k1_recover(pub, s, digest) || vouch_eth_address(got, pub, 33) || !ct_eq(got, c->key, 20))
			return step(c, VOUCH_RECEIPT_SIGNATURE, 0, "the EIP-191 signature does not recover %s", addr);
		return step(c, VOUCH_RECEIPT_SIGNATURE, 1, "EIP-191 signature recovers %s", addr);
	}
	if (!strcmp(algo, "ed25519")) {
		uint8_t s[64];
		if (!vouch_hex_decode_exact(s, 64, sig) || !vouch_hex_decode_exact(c->key, 32, addr))
			return step(c, VOUCH_RECEIPT_SIGNATURE, 0, "an Ed25519 signature is 64 bytes of hex and a key 32");
		c->key_len = 32;
		if (vouch_key_verify(VOUCH_ALG_ED25519, c->key, 32, s, 64, (const uint8_t *)text, strlen(text)) != 1)
			return step(c, VOUCH_RECEIPT_SIGNATURE, 0, "the Ed25519 signature does not verify under %s", addr);
		return step(c, VOUCH_RECEIPT_SIGNATURE, 1, "Ed25519 signature verifies under %s", addr);
	}
	return step(c, VOUCH_RECEIPT_SIGNATURE, 0, "signing_algo \"%s\" is neither ecdsa nor ed25519", algo);
}

/* The report's members other than strings: version (a number), event_log (any value, kept as text). */
struct report_extra {
	uint64_t version;
	int have_version;
	span event_log;
};

static int report_member(jr *j, span key, void *ud)
{
	struct report_extra *x = ud;
	if (span_eq_str(key, "version")) {
		if (x->have_version++)
			return -1;
		return jr_uint(j, 1000, &x->version);
	}
	if (span_eq_str(key, "event_log")) {
		if (x->event_log.p)
			return -1;
		while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
			j->p++;
		const uint8_t *from = j->p;
		int e = jr_skip(j);
		x->event_log = span_of(from, (size_t)(j->p - from));
		return e;
	}
	return jr_skip(j);
}

#define QUOTE_HEX_MAX (2u * 64 * 1024) /* a TDX quote with its certification data is ~10 KiB */

static int check_report(vouch_receipt_check *c, const char *algo, const char *addr, const char *text, size_t len)
{
	char raddr[80], ralgo[16], nonce[80], fp[80];
	char *quote = malloc(QUOTE_HEX_MAX + 1);
	struct report_extra x = {0};
	struct field f[] = {{"signing_address", raddr, sizeof raddr, 0}, {"signing_algo", ralgo, sizeof ralgo, 0},
			    {"request_nonce", nonce, sizeof nonce, 0},    {"tls_cert_fingerprint", fp, sizeof fp, 0},
			    {"intel_quote", quote, QUOTE_HEX_MAX + 1, 0}};
	int ok = 0;
	if (!quote || read_object(text, len, f, ARRAY_LEN(f), report_member, &x)) {
		step(c, VOUCH_RECEIPT_REPORT, 0, "the report is not a JSON object of the expected fields");
	} else if (strcasecmp(raddr, addr) || strcmp(ralgo[0] ? ralgo : "ecdsa", algo)) {
		step(c, VOUCH_RECEIPT_REPORT, 0, "the report is for another key or algorithm (%.64s, %.16s)", raddr,
		     ralgo[0] ? ralgo : "ecdsa");
	} else if (!vouch_hex_decode_exact(c->request_nonce, 32, nonce)) {
		step(c, VOUCH_RECEIPT_REPORT, 0, "the report's request_nonce is not 32 bytes of hex");
	} else if (x.have_version && x.version != 1 && x.version != 2) {
		step(c, VOUCH_RECEIPT_REPORT, 0, "report version %llu: only 1 and 2 are defined",
		     (unsigned long long)x.version);
	} else if (fp[0] && !vouch_hex_decode_exact(c->tls_fingerprint, 32, fp)) {
		step(c, VOUCH_RECEIPT_REPORT, 0, "the report's tls_cert_fingerprint is not 32 bytes of hex");
	} else if (!quote[0] || !x.event_log.p) {
		step(c, VOUCH_RECEIPT_REPORT, 0, "the report carries no %s", quote[0] ? "event_log" : "intel_quote");
	} else if (strspn(quote, "0123456789abcdefABCDEF") != strlen(quote)) {
		step(c, VOUCH_RECEIPT_REPORT, 0, "the report's intel_quote is not hex");
	} else {
		c->version = x.have_version ? (int)x.version : 1;
		c->have_tls_fingerprint = fp[0] != 0;
		/* the evidence as dstack's GetQuote shape: the quote's hex is plain hex, the log any JSON value */
		size_t ql = strlen(quote), cap = ql + x.event_log.len + 32;
		if ((c->evidence = malloc(cap))) {
			int n = snprintf(c->evidence, cap, "{\"quote\":\"%s\",\"event_log\":", quote);
			memcpy(c->evidence + n, x.event_log.p, x.event_log.len);
			memcpy(c->evidence + n + x.event_log.len, "}", 2);
			c->evidence_len = (size_t)n + x.event_log.len + 1;
		}
		ok = step(c, VOUCH_RECEIPT_REPORT, c->evidence != NULL, "%s",
			  c->evidence ? "the report is for the signing key" : "out of memory");
	}
	free(quote);
	return ok;
}

int vouch_receipt_check_documents(vouch_receipt_check *c, const uint8_t *req, size_t req_len, const uint8_t *resp,
				  size_t resp_len, const char *signature_json, size_t signature_len,
				  const char *report_json, size_t report_len)
{
	memset(c, 0, sizeof *c);
	c->failed = -1;
	char text[160], sig[160], addr[80], algo[16], want[130];
	struct field f[] = {{"text", text, sizeof text, 0}, {"signature", sig, sizeof sig, 0},
			    {"signing_address", addr, sizeof addr, 0}, {"signing_algo", algo, sizeof algo, 0}};
	if (read_object(signature_json, signature_len, f, ARRAY_LEN(f), NULL, NULL)) {
		step(c, VOUCH_RECEIPT_TEXT, 0, "the signature document is not a JSON object with string fields");
		return VOUCH_E_RECEIPT;
	}
	vouch_receipt_text(want, req, req_len, resp, resp_len);
	if (!step(c, VOUCH_RECEIPT_TEXT, !strcmp(text, want), "%s",
		  !strcmp(text, want) ? "the signed text is sha256(request):sha256(response)"
				      : "the signed text is not sha256(request):sha256(response) of these bytes"))
		return VOUCH_E_RECEIPT;
	const char *a = algo[0] ? algo : "ecdsa";
	if (!check_signature(c, a, text, sig, addr) || !check_report(c, a, addr, report_json, report_len))
		return VOUCH_E_RECEIPT;
	return 0;
}

void vouch_receipt_check_quote(vouch_receipt_check *c, int ok, const char *detail)
{
	step(c, VOUCH_RECEIPT_QUOTE, ok, "%s", detail ? detail : "");
}

int vouch_receipt_check_binding(vouch_receipt_check *c, const uint8_t report_data[64], const uint8_t *nonce,
				const uint8_t *tls_fingerprint)
{
	uint8_t bound[32] = {0};
	int v2 = c->version == 2;
	if (tls_fingerprint && !v2)
		/* the verifier wants the TLS session bound: only a version 2 report binds it (a man in the middle
		 * could otherwise relay a version 1 report with the verifier's nonce) */
		return step(c, VOUCH_RECEIPT_BINDING, 0, "a TLS fingerprint was given but the report is version %d, which "
							"does not bind the TLS key (ask for version=2)", c->version),
		       VOUCH_E_RECEIPT;
	if (v2) {
		const uint8_t *fp = tls_fingerprint ? tls_fingerprint : c->have_tls_fingerprint ? c->tls_fingerprint : NULL;
		uint8_t b[64];
		if (!fp)
			return step(c, VOUCH_RECEIPT_BINDING, 0, "a version 2 report needs the TLS key's fingerprint"),
			       VOUCH_E_RECEIPT;
		memcpy(b, c->key, c->key_len);
		memcpy(b + c->key_len, fp, 32);
		sha256(bound, b, c->key_len + 32);
	} else {
		memcpy(bound, c->key, c->key_len);
	}
	int ok = 0;
	if (!ct_eq(report_data, bound, 32))
		step(c, VOUCH_RECEIPT_BINDING, 0, "report data [0:32] does not bind the signing key%s",
		     v2 ? (tls_fingerprint ? " and the TLS key you connected to" : " and the report's TLS key") : "");
	else if (!ct_eq(report_data + 32, c->request_nonce, 32))
		step(c, VOUCH_RECEIPT_BINDING, 0, "report data [32:64] is not the report's request_nonce");
	else if (nonce && !ct_eq(report_data + 32, nonce, 32))
		step(c, VOUCH_RECEIPT_BINDING, 0, "the quote binds another nonce than yours: a replayed report");
	else
		ok = step(c, VOUCH_RECEIPT_BINDING, 1, "the quote binds the signing key%s and %s", !v2 ? ""
				: tls_fingerprint ? ", the TLS key you connected to"
						  : ", the TLS key the report names (give its fingerprint to check it is the one you connected to)",
			  nonce ? "your nonce" : "the report's nonce (give yours to check it is not a replay)");
	return ok ? 0 : VOUCH_E_RECEIPT;
}

void vouch_receipt_check_free(vouch_receipt_check *c)
{
	free(c->evidence);
	c->evidence = NULL;
}
