/* GET /v1/attestation/report?signing_algo=ecdsa|ed25519&nonce=<64 hex>&signing_address=&version=1|2 — a fresh
 * quote from vouchd whose report data binds the signing key (vllm-proxy's layouts):
 *   v1: the key's address bytes (ECDSA: 20-byte address; Ed25519: 32-byte public key), zero-padded to 32 ‖ nonce
 *   v2: SHA-256(address bytes ‖ SHA-256(the TLS certificate's SPKI)) ‖ nonce — with --tls only */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "gateway.h"
#include "vouch/util.h"

#define QUOTE_SLOTS 4
#define QUOTE_WAIT_S 10

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slot_free = PTHREAD_COND_INITIALIZER;
static int slots_used;

static int quote_slot_take(void)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += QUOTE_WAIT_S;
	int e = 0;
	pthread_mutex_lock(&slot_lock);
	while (slots_used >= QUOTE_SLOTS && !e)
		e = pthread_cond_timedwait(&slot_free, &slot_lock, &dl);
	if (!e)
		slots_used++;
	pthread_mutex_unlock(&slot_lock);
	return e ? -1 : 0;
}

static void quote_slot_give(void)
{
	pthread_mutex_lock(&slot_lock);
	slots_used--;
	pthread_cond_signal(&slot_free);
	pthread_mutex_unlock(&slot_lock);
}

enum MHD_Result report_answer(struct gw *g, struct MHD_Connection *c)
{
	const char *algo = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "signing_algo");
	const char *nonce_hex = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "nonce");
	const char *want = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "signing_address");
	const char *version = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "version");
	if (!algo)
		algo = "ecdsa";
	int ecdsa = !strcmp(algo, "ecdsa");
	if (!ecdsa && strcmp(algo, "ed25519"))
		return gw_error(c, 400, "invalid_request_error", "signing_algo must be ecdsa or ed25519");
	int v2 = version && !strcmp(version, "2");
	if (version && !v2 && strcmp(version, "1"))
		return gw_error(c, 400, "invalid_request_error", "version must be 1 or 2");
	if (v2 && !g->cfg.tls)
		return gw_error(c, 400, "invalid_request_error", "version 2 binds the TLS key: this gateway runs without --tls");
	uint8_t nonce[32];
	if (nonce_hex) {
		if (!vouch_hex_decode_exact(nonce, 32, nonce_hex))
			return gw_error(c, 400, "invalid_request_error", "nonce must be 32 bytes of hex (64 digits)");
	} else if (RAND_bytes(nonce, 32) != 1) {
		return gw_error(c, 500, "server_error", "no random nonce");
	}
	const char *address = ecdsa ? g->ecdsa_addr_text : g->ed25519_hex;
	if (want && strcasecmp(want, address))
		return gw_error(c, 404, "not_found", "signing_address %s is not this gateway's", want);
	const uint8_t *key = ecdsa ? g->ecdsa_addr : g->ed25519_pub;
	size_t key_len = ecdsa ? 20 : 32;
	uint8_t rd[64] = {0};
	if (v2) {
		uint8_t b[64];
		memcpy(b, key, key_len);
		memcpy(b + key_len, g->tls_spki_sha256, 32);
		SHA256(b, key_len + 32, rd);
	} else {
		memcpy(rd, key, key_len);
	}
	memcpy(rd + 32, nonce, 32);
	char rd_hex[129], nonce_text[65], err[256];
	vouch_hex_encode(rd_hex, rd, 64);
	vouch_hex_encode(nonce_text, nonce, 32);
	/* the route is public and each report costs a quote: a few at a time, the rest wait their turn */
	if (quote_slot_take())
		return gw_error(c, 503, "service_unavailable", "too many attestation reports at once: try again");
	json_t *q = gw_vouchd("GetQuote", json_pack("{s:s}", "report_data", rd_hex), err, sizeof err);
	json_t *info = q ? gw_vouchd("Info", NULL, err, sizeof err) : NULL;
	quote_slot_give();
	if (!q || !info || !json_is_string(json_object_get(q, "quote"))) {
		json_decref(q);
		json_decref(info);
		return gw_error(c, 502, "bad_gateway", "vouchd: %s", q && info ? "no quote in its answer" : err);
	}
	json_t *log = json_loads(json_string_value(json_object_get(q, "event_log")) ?: "[]", 0, NULL);
	char pub_hex[67];
	vouch_hex_encode(pub_hex, ecdsa ? g->ecdsa_pub : g->ed25519_pub, ecdsa ? 33 : 32);
	json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:O, s:o, s:O, s:s, s:s, s:s, s:O, s:i}", "signing_address", address,
			      "signing_algo", algo, "signing_public_key", pub_hex, "request_nonce", nonce_text, "intel_quote",
			      json_object_get(q, "quote"), "event_log", log ? log : json_array(), "info", info,
			      "nvidia_payload", "", "gpu_evidence",
			      "not configured: this report carries no GPU attestation (nvidia_payload is empty)",
			      "report_data", rd_hex, "vm_config", json_object_get(q, "vm_config") ?: json_null(), "version",
			      v2 ? 2 : 1);
	if (!a) {
		json_decref(q);
		json_decref(info);
		json_decref(log);
		return gw_error(c, 502, "bad_gateway", "vouchd's quote or info could not be put in a report");
	}
	if (v2) {
		char fp[65];
		vouch_hex_encode(fp, g->tls_spki_sha256, 32);
		json_object_set_new(a, "tls_cert_fingerprint", json_string(fp));
	}
	json_object_set(a, "quote", json_object_get(q, "quote"));
	json_t *all = json_array();
	json_array_append_new(all, json_deep_copy(a));
	json_object_set_new(a, "all_attestations", all);
	json_decref(q);
	json_decref(info);
	return gw_json(c, 200, a);
}
