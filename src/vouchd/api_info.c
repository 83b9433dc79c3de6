/* Info, Version, GpuInfo (spec §4, §6): the app's identity, with registers read from a fresh quote. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "api.h"
#include "policy.h"
#include "vouch/err.h"
#include "vouch/dstack.h"
#include "vouch/util.h"

/* A small text file under the filesystem root, trimmed; "" when absent. */
static char *read_text(const struct app *a, const char *rel, size_t max)
{
	char path[4096];
	uint8_t *text;
	size_t n;
	snprintf(path, sizeof path, "%s/%s", a->cfg.fs_root, rel);
	if (vouch_file_read(path, max, &text, &n))
		return strdup("");
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		text[--n] = 0;
	return (char *)text;
}

static int public_tcbinfo(const struct app *a)
{
	json_t *o = json_loadb(a->compose, a->compose_len, 0, NULL), *v = json_object_get(o, "public_tcbinfo");
	int pub = !json_is_false(v); /* default true */
	json_decref(o);
	return pub;
}

int api_info(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	uint8_t rd[64] = {0}, *quote, device_id[32], mr_agg[32];
	size_t len;
	char *log;
	if (app_quote(a, rd, &quote, &len, &log, NULL, err, cap))
		return -1;
	vouch_quote q;
	if (vouch_quote_parse(&q, quote, len) || q.tee_type != VOUCH_TEE_TDX) {
		free(quote);
		free(log);
		snprintf(err, cap, "the TEE returned a quote that is not TDX");
		return -1;
	}
	/* dstack's guest agent does not verify its own PCK: device_id is SHA-256 of nothing here (§13.1) */
	SHA256((const uint8_t *)"", 0, device_id);
	vouch_dstack_mr_aggregated(mr_agg, &q.td);
	int external = r->listener == LISTEN_PUBLIC && !public_tcbinfo(a);
	json_t *tcb = json_object();
	json_object_set_new(tcb, "mrtd", hex_json(q.td.mr_td, 48));
	for (int i = 0; i < 4; i++) {
		char k[8];
		snprintf(k, sizeof k, "rtmr%d", i);
		json_object_set_new(tcb, k, hex_json(q.td.rtmr[i], 48));
	}
	json_object_set_new(tcb, "mr_aggregated", hex_json(mr_agg, 32));
	json_object_set_new(tcb, "os_image_hash", hex_json(a->os_image_hash, a->os_image_hash_len));
	json_object_set_new(tcb, "compose_hash", hex_json(a->compose_hash, 32));
	json_object_set_new(tcb, "device_id", hex_json(device_id, 32));
	json_object_set_new(tcb, "event_log", json_loads(log, 0, NULL));
	json_object_set_new(tcb, "app_compose", json_stringn(a->compose, a->compose_len));
	char *tcb_text = json_dumps(tcb, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(tcb);
	free(quote);
	free(log);
	char *vendor = read_text(a, "sys/class/dmi/id/sys_vendor", 256);
	char *product = read_text(a, "sys/class/dmi/id/product_name", 256);
	*out = json_pack("{s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:s, s:s, s:s}", "app_id",
			 hex_json(a->app_id, 20), "instance_id", hex_json(a->instance_id, a->no_instance_id ? 0 : 20),
			 "app_cert", "", "tcb_info", external || !tcb_text ? "" : tcb_text, "app_name", a->app_name,
			 "device_id", hex_json(device_id, 32), "mr_aggregated", hex_json(mr_agg, 32), "os_image_hash",
			 hex_json(a->os_image_hash, a->os_image_hash_len), "key_provider_info", a->key_provider_info,
			 "compose_hash", hex_json(a->compose_hash, 32), "vm_config", external ? "" : a->vm_config,
			 "cloud_vendor", vendor ? vendor : "", "cloud_product", product ? product : "");
	free(tcb_text);
	free(vendor);
	free(product);
	return *out ? 0 : (snprintf(err, cap, "out of memory"), -1);
}

int api_version(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	(void)a, (void)r, (void)err, (void)cap;
	*out = json_pack("{s:s, s:s}", "version", VOUCHD_VERSION, "rev", VOUCHD_REV);
	return 0;
}

int api_gpu_info(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	(void)r, (void)err, (void)cap;
	/* verbatim nvattest output when a GPU attestation exists; "" otherwise (no GPU evidence here) */
	char *att = read_text(a, "run/nvidia-gpu-attestation/attestation.out", 4 << 20);
	*out = json_pack("{s:s}", "attestation", att ? att : "");
	free(att);
	return 0;
}

const struct route dstack_routes[] = {
	{"GetKey", api_get_key},           {"GetQuote", api_get_quote},   {"Attest", api_attest},
	{"Info", api_info},                {"Sign", api_sign},            {"Verify", api_verify},
	{"GetTlsKey", api_get_tls_key},    {"EmitEvent", api_emit_event}, {"Version", api_version},
	{"GpuInfo", api_gpu_info},
	{"JournalAppend", api_journal_append}, {"JournalList", api_journal_list},
	{"JournalGet", api_journal_get},       {"JournalCheckpoint", api_journal_checkpoint},
	{"JournalCheckpoints", api_journal_checkpoints}, {"JournalProve", api_journal_prove},
	{"JournalConsistency", api_journal_consistency}, {"JournalAttestation", api_journal_attestation},
	{"Access", api_access},
};
const size_t n_dstack_routes = ARRAY_LEN(dstack_routes);

const struct route tappd_routes[] = {
	{"DeriveKey", api_derive_key}, {"DeriveK256Key", api_derive_k256_key}, {"TdxQuote", api_tdx_quote},
	{"RawQuote", api_raw_quote},   {"Info", api_info},                     {"Version", api_version},
};
const size_t n_tappd_routes = ARRAY_LEN(tappd_routes);

const struct route public_routes[] = {
	{"Info", api_info},
	{"Version", api_version},
	{"GetAttestationForAppKey", api_attestation_for_app_key},
	{"JournalList", api_journal_list},
	{"JournalGet", api_journal_get},
	{"JournalCheckpoint", api_journal_checkpoint},
	{"JournalCheckpoints", api_journal_checkpoints},
	{"JournalProve", api_journal_prove},
	{"JournalConsistency", api_journal_consistency},
	{"JournalAttestation", api_journal_attestation},
};
const size_t n_public_routes = ARRAY_LEN(public_routes);
