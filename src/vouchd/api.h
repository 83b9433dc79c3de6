/* The RPC handlers of vouchd, by family, and what they share. */
#ifndef VOUCHD_API_H
#define VOUCHD_API_H

#include "app.h"
#include "vouch/keys.h"

/* lowercase hex as a JSON string ("" for no bytes) */
json_t *hex_json(const uint8_t *p, size_t n);

/* keys (api_keys.c) */
int api_get_key(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_derive_k256_key(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_sign(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_verify(struct app *a, const req *r, json_t **out, char *err, size_t cap);
/* The key Sign uses: dstack's GetKey("vms", "signing"), or the given path/purpose. With ed given and an
 * Ed25519 key, *ed is a reference to its ready-made key object (the caller frees it). */
int app_signing_key(struct app *a, const char *path, size_t path_len, const char *purpose, size_t purpose_len,
		    vouch_key_alg alg, vouch_derived_key *k, vouch_ed25519_key **ed);

/* quotes and events (api_quote.c) */
int api_get_quote(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_attest(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_tdx_quote(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_raw_quote(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_emit_event(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_attestation_for_app_key(struct app *a, const req *r, json_t **out, char *err, size_t cap);

/* information (api_info.c) */
int api_info(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_version(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_gpu_info(struct app *a, const req *r, json_t **out, char *err, size_t cap);

/* TLS keys and RA-TLS certificates (api_tls.c) */
int api_get_tls_key(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_derive_key(struct app *a, const req *r, json_t **out, char *err, size_t cap);

/* the journal (api_journal.c) */
int api_journal_append(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_journal_list(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_journal_get(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_journal_checkpoint(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_journal_checkpoints(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_journal_prove(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_journal_consistency(struct app *a, const req *r, json_t **out, char *err, size_t cap);
int api_journal_attestation(struct app *a, const req *r, json_t **out, char *err, size_t cap);

#endif
