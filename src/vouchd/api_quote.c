/* Quotes and runtime events: GetQuote, Attest, EmitEvent (dstack.sock), TdxQuote and RawQuote (tappd.sock),
 * GetAttestationForAppKey (public). Report data rules: spec §9. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "api.h"
#include "vouch/err.h"
#include "vouch/dstack.h"
#include "vouch/journal.h"
#include "vouch/util.h"

json_t *hex_json(const uint8_t *p, size_t n)
{
	char small[2 * 65 + 1], *b = n <= 65 ? small : malloc(2 * n + 1);
	if (!b)
		return NULL;
	vouch_hex_encode(b, p, n);
	json_t *s = json_stringn(b, 2 * n);
	if (b != small)
		free(b);
	return s;
}

/* The quote and event log for 64 bytes of report data, as dstack's GetQuoteResponse (v0.5.11: four
 * fields) or Tappd's TdxQuoteResponse when tappd_hash is set. */
static int quote_response(struct app *a, const uint8_t rd[64], const char *tappd_hash, const char *tappd_prefix,
			  json_t **out, char *err, size_t cap)
{
	uint8_t *quote;
	size_t len;
	char *log;
	if (app_quote(a, rd, &quote, &len, &log, NULL, err, cap))
		return -1;
	if (tappd_hash)
		*out = json_pack("{s:o, s:s, s:s, s:s}", "quote", hex_json(quote, len), "event_log", log, "hash_algorithm",
				 tappd_hash, "prefix", tappd_prefix);
	else
		*out = json_pack("{s:o, s:s, s:o, s:s}", "quote", hex_json(quote, len), "event_log", log, "report_data",
				 hex_json(rd, 64), "vm_config", a->vm_config);
	free(quote);
	free(log);
	return *out ? 0 : (snprintf(err, cap, "out of memory"), -1);
}

/* Report data in vouchd's own domain (include/vouch/journal.h) is never quoted for a client: it is how vouchd
 * binds its journal keys, and a client given such a quote could bind a key it holds outside the TEE. */
static int own_report_data(const uint8_t rd[64], char *err, size_t cap)
{
	if (!vouch_report_data_is_own(rd, 64))
		return 0;
	snprintf(err, cap, "report data beginning with vouchd's own tag (ff 76 6f 75 63 68 64 2d …, \"\\xffvouchd-own-rd/1\") "
		 "is reserved for vouchd's own bindings");
	return -1;
}

/* report_data: up to 64 bytes, copied to the front of 64 zero bytes */
static int short_report_data(const req *r, uint8_t rd[64], char *err, size_t cap)
{
	uint8_t buf[65];
	size_t n;
	memset(rd, 0, 64);
	if (req_hex(r, "report_data", buf, sizeof buf, &n, err, cap)) {
		if (strstr(err, "longer than"))
			snprintf(err, cap, "Report data is too long");
		return -1;
	}
	if (n > 64) {
		snprintf(err, cap, "Report data is too long");
		return -1;
	}
	memcpy(rd, buf, n);
	return own_report_data(rd, err, cap);
}

int api_get_quote(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	uint8_t rd[64];
	if (short_report_data(r, rd, err, cap))
		return -1;
	return quote_response(a, rd, NULL, NULL, out, err, cap);
}

int api_attest(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	uint8_t rd[64], *quote, *att;
	size_t len, att_len;
	char *log_json;
	vouch_eventlog log;
	if (short_report_data(r, rd, err, cap) || app_quote(a, rd, &quote, &len, &log_json, &log, err, cap))
		return -1;
	int e = vouch_attestation_encode(&att, &att_len, quote, len, &log, rd, a->vm_config, strlen(a->vm_config));
	free(quote);
	free(log_json);
	vouch_eventlog_free(&log);
	if (e) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	*out = json_pack("{s:o}", "attestation", hex_json(att, att_len));
	free(att);
	return *out ? 0 : (snprintf(err, cap, "out of memory"), -1);
}

/* H(tag ‖ ":" ‖ content) into 64 bytes, right-padded with zeros (QuoteContentType::to_report_data_with_hash) */
static int hashed_report_data(uint8_t rd[64], const char *alg, const char *tag, const uint8_t *content, size_t n,
			      char *err, size_t cap)
{
	static const struct {
		const char *name, *evp;
		size_t keccak;
	} algs[] = {
		{"sha256", "SHA256", 0},     {"sha384", "SHA384", 0},      {"sha512", "SHA512", 0},
		{"sha3-256", "SHA3-256", 0}, {"sha3-384", "SHA3-384", 0},  {"sha3-512", "SHA3-512", 0},
		{"keccak256", NULL, 32},     {"keccak384", NULL, 48},      {"keccak512", NULL, 64},
	};
	memset(rd, 0, 64);
	size_t tag_len = strlen(tag);
	uint8_t *msg = malloc(tag_len + 1 + n + 1);
	if (!msg)
		return -1;
	memcpy(msg, tag, tag_len);
	msg[tag_len] = ':';
	if (n)
		memcpy(msg + tag_len + 1, content, n);
	int found = 0, ok = 0;
	for (size_t i = 0; i < ARRAY_LEN(algs) && !found; i++) {
		if (strcmp(alg, algs[i].name))
			continue;
		found = 1;
		if (algs[i].keccak) {
			vouch_keccak(rd, algs[i].keccak, msg, tag_len + 1 + n);
			ok = 1;
		} else {
			unsigned len = 64;
			ok = EVP_Digest(msg, tag_len + 1 + n, rd, &len, EVP_get_digestbyname(algs[i].evp), NULL) == 1;
		}
	}
	free(msg);
	if (!found)
		snprintf(err, cap, "invalid hash algorithm");
	else if (!ok)
		snprintf(err, cap, "hashing failed");
	return found && ok ? 0 : -1;
}

static int tdx_quote(struct app *a, const req *r, const char *forced, json_t **out, char *err, size_t cap)
{
	const char *alg, *prefix;
	size_t alg_len, prefix_len, n;
	if (req_str(r, "hash_algorithm", &alg, &alg_len, err, cap) || req_str(r, "prefix", &prefix, &prefix_len, err, cap))
		return -1;
	if (forced)
		alg = forced;
	else if (!alg_len)
		alg = "sha512";
	uint8_t *content = malloc(a->cfg.limits.max_body / 2 + 1), rd[64];
	if (!content || req_hex(r, "report_data", content, a->cfg.limits.max_body / 2 + 1, &n, err, cap)) {
		free(content);
		return -1;
	}
	int rc;
	const char *tag = prefix_len ? prefix : "app-data";
	if (!strcmp(alg, "raw")) {
		rc = n == 64 ? 0 : (snprintf(err, cap, "invalid content length"), -1);
		if (!rc)
			memcpy(rd, content, 64);
		if (!rc)
			rc = own_report_data(rd, err, cap);
		tag = "";
	} else {
		rc = hashed_report_data(rd, alg, tag, content, n, err, cap);
		if (!rc) /* a 128-bit hash prefix: never in practice, and refused all the same */
			rc = own_report_data(rd, err, cap);
	}
	free(content);
	return rc ? -1 : quote_response(a, rd, alg, tag, out, err, cap);
}

int api_tdx_quote(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	return tdx_quote(a, r, NULL, out, err, cap);
}

int api_raw_quote(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	return tdx_quote(a, r, "raw", out, err, cap);
}

int api_emit_event(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	const char *event;
	size_t len, n;
	uint8_t payload[64 * 1024 + 1];
	if (req_str(r, "event", &event, &len, err, cap) || req_hex(r, "payload", payload, sizeof payload, &n, err, cap))
		return -1;
	if (strlen(event) != len) {
		snprintf(err, cap, "event name contains a NUL");
		return -1;
	}
	if (vouch_runtime_event_reserved(event, len)) {
		/* verifiers read the app's identity and vouchd's journal keys from these: an app that could emit
		 * them could name itself another app, or bind a journal key that vouchd does not hold */
		snprintf(err, cap, "event name \"%.64s\" is reserved (dstack's boot sequence and vouch-*): apps may not "
			 "emit it", event);
		return -1;
	}
	if (app_emit_event(a, event, payload, n, err, cap))
		return -1;
	*out = json_null();
	return 0;
}

/* report data "dip1::secp256k1c-pk:<base64url compressed key>" or "dip1::ed25519-pk:<base64url key>" (§6) */
int api_attestation_for_app_key(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	const char *algorithm;
	size_t alg_len;
	vouch_key_alg alg;
	if (req_str(r, "algorithm", &algorithm, &alg_len, err, cap))
		return -1;
	if (vouch_key_alg_parse(&alg, algorithm, alg_len, 1)) {
		snprintf(err, cap, "Unsupported algorithm");
		return -1;
	}
	vouch_derived_key k;
	if (app_signing_key(a, "", 0, "", 0, alg, &k, NULL)) {
		snprintf(err, cap, "key derivation failed");
		return -1;
	}
	uint8_t rd[64] = {0};
	char b64[64], text[96];
	vouch_base64url_encode(b64, k.pub, k.pub_len);
	vouch_wipe(&k, sizeof k);
	/* secp256k1: 20 + 44 characters, exactly 64; ed25519: 17 + 43, zero-padded */
	int n = snprintf(text, sizeof text, "dip1::%s:%s", alg == VOUCH_ALG_ED25519 ? "ed25519-pk" : "secp256k1c-pk", b64);
	memcpy(rd, text, n < 64 ? (size_t)n : 64);
	return quote_response(a, rd, NULL, NULL, out, err, cap);
}
