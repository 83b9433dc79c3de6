/* vouch verify-response: an answer from an attested inference gateway (vouch-gateway, or vllm-proxy) checked
 * end to end: the signed text is the hashes of the exact request and response bytes; the signature recovers
 * (ECDSA, EIP-191) or verifies (Ed25519) under the signing address; the attestation report is for that address;
 * its quote verifies (DCAP, event log); the quote's report data binds the address (v1: padded address; v2: with
 * the TLS key's fingerprint) and the nonce. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "cli.h"
#include "verify_common.h"
#include "vouch/dstack.h"
#include "vouch/keys.h"
#include "vouch/util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vouch verify-response --request F --response F --signature F --report F [options]\n"
		"  --request F     the request body exactly as sent\n"
		"  --response F    the response exactly as received (JSON, or the whole SSE stream)\n"
		"  --signature F   GET /v1/signature/{chat_id} (its signing_algo decides the check)\n"
		"  --report F      GET /v1/attestation/report (same signing_algo)\n"
		"  --nonce HEX     the nonce you sent for the report (64 hex): it must be the one bound\n"
		"  --tls-fingerprint HEX  SHA-256 of the server certificate's SPKI you connected to (report v2)\n"
		"  and the quote options of vouch verify: --collateral F | --pccs URL | --cache-dir D | --offline,\n"
		"  --root DER, --now TIME, --allow-debug, --json\n"
		"exit: 0 verified, 2 not verified, 64 usage, 66 unreadable, 69 no collateral\n");
}

static int ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

enum { S_TEXT, S_SIGNATURE, S_REPORT, S_QUOTE, S_BINDING, S_N };
static const char *STEP[S_N] = {"text", "signature", "report", "quote", "report_data"};

struct result {
	int state[S_N]; /* 0 not run, 1 pass, 2 fail */
	char note[S_N][240];
	int failed;
};

static int step(struct result *r, int s, int ok, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int step(struct result *r, int s, int ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->note[s], sizeof r->note[s], fmt, ap);
	va_end(ap);
	r->state[s] = ok ? 1 : 2;
	if (!ok && r->failed < 0)
		r->failed = s;
	return ok;
}

static json_t *load_json(const char *file)
{
	size_t n;
	uint8_t *b = read_file(file, 64u << 20, &n);
	json_t *o = b ? json_loadb((const char *)b, n, 0, NULL) : NULL;
	if (b && !o)
		errorf("verify-response", "%s is not JSON", file);
	free(b);
	return o;
}

static int hex_of(const char *s, uint8_t *out, size_t n)
{
	size_t got;
	if (s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	return s && strlen(s) == 2 * n && !vouch_hex_decode(out, n, &got, s, 2 * n) && got == n;
}

/* The signature over text by the address (ECDSA: 0x Ethereum address; Ed25519: hex public key). */
static int check_signature(struct result *r, const char *algo, const char *text, const char *sig, const char *addr)
{
	if (!strcmp(algo, "ecdsa")) {
		uint8_t s[65], digest[32], pub[33], got[20], want[20];
		char prefixed[512];
		int n = snprintf(prefixed, sizeof prefixed, "\x19" "Ethereum Signed Message:\n%zu%s", strlen(text), text);
		vouch_keccak256(digest, prefixed, (size_t)n);
		if (!hex_of(sig, s, 65) || !hex_of(addr, want, 20))
			return step(r, S_SIGNATURE, 0, "an ECDSA signature is 65 bytes of hex and an address 20");
		if (s[64] != 27 && s[64] != 28)
			return step(r, S_SIGNATURE, 0, "v is %u, not 27 or 28 (EIP-191)", s[64]);
		if (vouch_secp256k1_recover(pub, s, digest) || vouch_eth_address(got, pub, 33) || memcmp(got, want, 20))
			return step(r, S_SIGNATURE, 0, "the EIP-191 signature does not recover %s", addr);
		return step(r, S_SIGNATURE, 1, "EIP-191 signature recovers %s", addr);
	}
	if (!strcmp(algo, "ed25519")) {
		uint8_t s[64], pub[32];
		if (!hex_of(sig, s, 64) || !hex_of(addr, pub, 32))
			return step(r, S_SIGNATURE, 0, "an Ed25519 signature is 64 bytes of hex and a key 32");
		if (vouch_key_verify(VOUCH_ALG_ED25519, pub, 32, s, 64, (const uint8_t *)text, strlen(text)) != 1)
			return step(r, S_SIGNATURE, 0, "the Ed25519 signature does not verify under %s", addr);
		return step(r, S_SIGNATURE, 1, "Ed25519 signature verifies under %s", addr);
	}
	return step(r, S_SIGNATURE, 0, "unknown signing_algo \"%s\"", algo);
}

static int check(struct result *r, const struct verify_args *a, const char *req_file, const char *resp_file,
		 json_t *sig, json_t *rep, const char *nonce_hex, const char *fp_hex, vouch_verdict *v, int *rc)
{
	/* 1. the text: the hashes of exactly these bytes */
	size_t nq, nr;
	uint8_t *q = read_file(req_file, 64u << 20, &nq), *p = q ? read_file(resp_file, 512u << 20, &nr) : NULL, h[32];
	if (!p) {
		free(q);
		*rc = EXIT_NOINPUT;
		return 0;
	}
	char want[130];
	SHA256(q, nq, h);
	vouch_hex_encode(want, h, 32);
	want[64] = ':';
	SHA256(p, nr, h);
	vouch_hex_encode(want + 65, h, 32);
	free(q);
	free(p);
	const char *text = json_string_value(json_object_get(sig, "text"));
	if (!step(r, S_TEXT, text && !strcmp(text, want), "%s", text && !strcmp(text, want)
								   ? "the signed text is sha256(request):sha256(response)"
								   : "the signed text is not sha256(request):sha256(response) of these files"))
		return 0;
	/* 2. the signature */
	const char *algo = json_string_value(json_object_get(sig, "signing_algo")) ?: "ecdsa";
	const char *addr = json_string_value(json_object_get(sig, "signing_address"));
	if (!check_signature(r, algo, text, json_string_value(json_object_get(sig, "signature")), addr ?: ""))
		return 0;
	/* 3. the report is about this key */
	const char *raddr = json_string_value(json_object_get(rep, "signing_address"));
	const char *ralgo = json_string_value(json_object_get(rep, "signing_algo")) ?: "ecdsa";
	if (!step(r, S_REPORT, raddr && !strcasecmp(raddr, addr) && !strcmp(ralgo, algo), "%s",
		  raddr && !strcasecmp(raddr, addr) && !strcmp(ralgo, algo) ? "the report is for the signing key"
									    : "the report is for another key or algorithm"))
		return 0;
	/* 4. its quote */
	json_t *ev_json = json_pack("{s:O, s:O}", "quote", json_object_get(rep, "intel_quote"), "event_log",
				    json_object_get(rep, "event_log"));
	char *ev_text = ev_json ? json_dumps(ev_json, JSON_COMPACT) : NULL;
	json_decref(ev_json);
	vouch_dstack_evidence ev;
	char msg[256];
	if (!ev_text || vouch_dstack_evidence_parse(&ev, (const uint8_t *)ev_text, strlen(ev_text), msg, sizeof msg)) {
		free(ev_text);
		return step(r, S_QUOTE, 0, "the report's quote and event log: %s", ev_text ? msg : "missing");
	}
	free(ev_text);
	vouch_dstack_result *dr = malloc(sizeof *dr);
	int e = dr ? verify_evidence(a, &ev, dr, v) : EXIT_UNAVAILABLE;
	int ok = 0;
	if (e != -1) {
		*rc = e;
	} else if (step(r, S_QUOTE, dr->is_valid, "%s%s", dr->is_valid ? (v->simulated ? "simulated TDX quote verified, "
											  "event log replayed" : "TDX quote verified, event log replayed")
								     : "", dr->is_valid ? "" : dr->reason)) {
		/* 5. the report data binds the key (and the TLS key for v2) and the nonce */
		const uint8_t *rd = v->quote.td.report_data;
		uint8_t key[32] = {0}, bound[32] = {0}, nonce[32];
		size_t key_len = !strcmp(algo, "ecdsa") ? 20 : 32;
		hex_of(addr, key, key_len);
		json_t *ver = json_object_get(rep, "version");
		int v2 = json_is_integer(ver) && json_integer_value(ver) == 2;
		uint8_t fp[32];
		const char *rep_fp = json_string_value(json_object_get(rep, "tls_cert_fingerprint"));
		if (v2) {
			uint8_t b[64];
			if (!hex_of(fp_hex ? fp_hex : rep_fp, fp, 32)) {
				step(r, S_BINDING, 0, "a version 2 report needs the TLS key's fingerprint");
				goto out;
			}
			memcpy(b, key, key_len);
			memcpy(b + key_len, fp, 32);
			SHA256(b, key_len + 32, bound);
		} else {
			memcpy(bound, key, key_len);
		}
		const char *rn = json_string_value(json_object_get(rep, "request_nonce"));
		if (!ct_equal(rd, bound, 32)) {
			step(r, S_BINDING, 0, "report data [0:32] does not bind the signing key%s", v2 ? " and the TLS key" : "");
		} else if (!hex_of(rn, nonce, 32) || !ct_equal(rd + 32, nonce, 32)) {
			step(r, S_BINDING, 0, "report data [32:64] is not the report's request_nonce");
		} else if (nonce_hex && (!hex_of(nonce_hex, nonce, 32) || !ct_equal(rd + 32, nonce, 32))) {
			step(r, S_BINDING, 0, "the quote binds another nonce than yours: a replayed report");
		} else {
			ok = step(r, S_BINDING, 1, "the quote binds the signing key%s and %s nonce", v2 ? ", the TLS key" : "",
				  nonce_hex ? "your" : "the report's (give --nonce to check it is yours)");
		}
	}
out:
	free(dr);
	vouch_dstack_evidence_free(&ev);
	return ok;
}

int cmd_verify_response(int argc, char **argv)
{
	enum { O_REQ = 1000, O_RESP, O_SIG, O_REP, O_NONCE, O_FP, O_COLL, O_PCCS, O_CACHE, O_OFF, O_ROOT, O_NOW, O_DEBUG, O_JSON };
	static const struct option opts[] = {
		{"request", required_argument, 0, O_REQ},  {"response", required_argument, 0, O_RESP},
		{"signature", required_argument, 0, O_SIG}, {"report", required_argument, 0, O_REP},
		{"nonce", required_argument, 0, O_NONCE},  {"tls-fingerprint", required_argument, 0, O_FP},
		{"collateral", required_argument, 0, O_COLL}, {"pccs", required_argument, 0, O_PCCS},
		{"cache-dir", required_argument, 0, O_CACHE}, {"offline", no_argument, 0, O_OFF},
		{"root", required_argument, 0, O_ROOT},    {"now", required_argument, 0, O_NOW},
		{"allow-debug", no_argument, 0, O_DEBUG},  {"json", no_argument, 0, O_JSON},
		{"help", no_argument, 0, 'h'},             {0}};
	const char *req = NULL, *resp = NULL, *sigf = NULL, *repf = NULL, *nonce = NULL, *fp = NULL;
	struct verify_args a;
	memset(&a, 0, sizeof a);
	a.now = (int64_t)time(NULL);
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_REQ: req = optarg; break;
		case O_RESP: resp = optarg; break;
		case O_SIG: sigf = optarg; break;
		case O_REP: repf = optarg; break;
		case O_NONCE: nonce = optarg; break;
		case O_FP: fp = optarg; break;
		case O_COLL: a.collateral = optarg; break;
		case O_PCCS: a.fetch.pccs_url = optarg; break;
		case O_CACHE: a.fetch.cache_dir = optarg; break;
		case O_OFF: a.fetch.offline = 1; break;
		case O_ROOT: a.root = optarg; break;
		case O_NOW:
			if (parse_now(optarg, &a.now)) {
				errorf("verify-response", "--now: \"%s\" is neither Unix seconds nor RFC 3339", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_DEBUG: a.flags |= VOUCH_ALLOW_DEBUG; break;
		case O_JSON: a.json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || !req || !resp || !sigf || !repf) {
		usage(stderr);
		return EXIT_USAGE;
	}
	json_t *sig = load_json(sigf), *rep = sig ? load_json(repf) : NULL;
	if (!rep) {
		json_decref(sig);
		return EXIT_NOINPUT;
	}
	struct result r = {.failed = -1};
	vouch_verdict *v = calloc(1, sizeof *v);
	int rc = -1;
	int ok = v && check(&r, &a, req, resp, sig, rep, nonce, fp, v, &rc);
	if (rc >= 0 && !ok) {
		json_decref(sig);
		json_decref(rep);
		free(v);
		return rc;
	}
	if (a.json) {
		json_t *o = json_pack("{s:b, s:b}", "ok", ok, "simulated", v && v->simulated), *steps = json_array();
		static const char *st[] = {"not run", "pass", "fail"};
		for (int i = 0; i < S_N; i++)
			json_array_append_new(steps, json_pack("{s:s, s:s, s:s}", "name", STEP[i], "result", st[r.state[i]],
							       "note", r.note[i]));
		if (!ok && r.failed >= 0)
			json_object_set_new(o, "failed_step", json_string(STEP[r.failed]));
		json_object_set_new(o, "steps", steps);
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
		json_decref(o);
	} else {
		if (v && v->simulated)
			printf("SIMULATED: the trust anchor is not Intel's SGX Root CA; this proves nothing about real hardware\n");
		printf("%s\n", ok ? "VERIFIED: this answer was signed by a key the TEE's quote binds" : "NOT VERIFIED");
		static const char *mark[] = {"  ", "ok", "!!"};
		for (int i = 0; i < S_N; i++)
			printf("  %s %-12s %s\n", mark[r.state[i]], STEP[i], r.state[i] ? r.note[i] : "(not run)");
	}
	json_decref(sig);
	json_decref(rep);
	free(v);
	return ok ? 0 : EXIT_INVALID;
}
