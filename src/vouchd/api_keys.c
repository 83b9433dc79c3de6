/* Keys: GetKey, Sign, Verify (dstack.sock) and DeriveK256Key (tappd.sock), byte-identical to dstack (spec
 * §8.4–§8.6), plus vouch's key policy: paths under a sign-only prefix are never handed out, only used, and
 * paths a principal owns are used by their owner only (policy.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "policy.h"
#include "vouch/err.h"
#include "vouch/keys.h"
#include "vouch/util.h"

/* link1 of every chain: the KMS's signature over the root, "" without a KMS */
static json_t *root_sig_hex(const struct app *a)
{
	return hex_json(a->root_sig, a->root_sig_len);
}

static int derive(struct app *a, const req *r, int for_export, vouch_derived_key *k, vouch_key_alg *alg, char *err,
		  size_t cap)
{
	const char *path, *purpose, *algorithm;
	size_t path_len, purpose_len, alg_len;
	if (req_str(r, "path", &path, &path_len, err, cap) || req_str(r, "purpose", &purpose, &purpose_len, err, cap) ||
	    req_str(r, "algorithm", &algorithm, &alg_len, err, cap))
		return -1;
	if (vouch_key_alg_parse(alg, algorithm, alg_len, 0)) {
		snprintf(err, cap, "Unsupported algorithm");
		return -1;
	}
	if (policy_key_use(a, r, path, path_len, err, cap))
		return -1;
	if (for_export && policy_sign_only(a, path, path_len)) {
		snprintf(err, cap,
			 "key path \"%.*s\" is sign-only: its private key never leaves vouchd (use Sign with \"path\")",
			 (int)(path_len > 200 ? 200 : path_len), path);
		return -1;
	}
	if (vouch_get_key(k, a->root, path, path_len, purpose, purpose_len, *alg)) {
		snprintf(err, cap, "key derivation failed");
		return -1;
	}
	return 0;
}

static int get_key(struct app *a, const req *r, json_t **out, char *err, size_t cap, const char *key_name,
		   const char *chain_name)
{
	vouch_derived_key k;
	vouch_key_alg alg;
	if (derive(a, r, 1, &k, &alg, err, cap))
		return -1;
	*out = json_pack("{s:o, s:[o, o]}", key_name, hex_json(k.key, 32), chain_name, hex_json(k.link0, 65),
			 root_sig_hex(a));
	vouch_wipe(&k, sizeof k);
	return *out ? 0 : (snprintf(err, cap, "out of memory"), -1);
}

int api_get_key(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	return get_key(a, r, out, err, cap, "key", "signature_chain");
}

int api_derive_k256_key(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	return get_key(a, r, out, err, cap, "k256_key", "k256_signature_chain");
}

/* dstack signs with GetKey("vms", "signing"); vouch's extension: any path (and purpose) may be given,
 * sign-only paths included. */
static unsigned kept_slot(const char *path, size_t path_len, const char *purpose, size_t purpose_len, vouch_key_alg alg)
{
	unsigned h = 2166136261u ^ (unsigned)alg;
	for (size_t i = 0; i < path_len; i++)
		h = (h ^ (unsigned char)path[i]) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (size_t i = 0; i < purpose_len; i++)
		h = (h ^ (unsigned char)purpose[i]) * 16777619u;
	return h % KEPT_KEYS;
}

/* Sign's key: kept in a->kept once derived (struct kept_key says why). */
int app_signing_key(struct app *a, const char *path, size_t path_len, const char *purpose, size_t purpose_len,
		    vouch_key_alg alg, vouch_derived_key *k, vouch_ed25519_key **ed)
{
	vouch_key_alg base = alg == VOUCH_ALG_SECP256K1_PREHASHED ? VOUCH_ALG_SECP256K1 : alg;
	if (!path_len)
		path = "vms", path_len = 3;
	if (!purpose_len)
		purpose = "signing", purpose_len = 7;
	if (ed)
		*ed = NULL;
	int keep = path_len <= KEPT_KEY_TEXT && purpose_len <= KEPT_KEY_TEXT;
	struct kept_key *e = &a->kept[kept_slot(path, path_len, purpose, purpose_len, base)];
	if (keep) {
		pthread_mutex_lock(&a->kept_lock);
		int hit = e->used && e->alg == base && e->path_len == path_len && e->purpose_len == purpose_len &&
			  !memcmp(e->path, path, path_len) && !memcmp(e->purpose, purpose, purpose_len);
		if (hit) {
			*k = e->k;
			if (ed && e->ed)
				*ed = vouch_ed25519_key_ref(e->ed);
		}
		pthread_mutex_unlock(&a->kept_lock);
		if (hit)
			return 0;
	}
	int rc = vouch_get_key(k, a->root, path, path_len, purpose, purpose_len, base);
	vouch_ed25519_key *made =
		!rc && base == VOUCH_ALG_ED25519 && (keep || ed) ? vouch_ed25519_key_new(k->key) : NULL;
	if (ed && made)
		*ed = vouch_ed25519_key_ref(made);
	if (!rc && keep) {
		pthread_mutex_lock(&a->kept_lock);
		vouch_ed25519_key *old = e->ed;
		e->used = 1;
		e->alg = base;
		memcpy(e->path, path, path_len);
		memcpy(e->purpose, purpose, purpose_len);
		e->path_len = path_len;
		e->purpose_len = purpose_len;
		e->k = *k;
		e->ed = made;
		made = old;
		pthread_mutex_unlock(&a->kept_lock);
	}
	vouch_ed25519_key_free(made); /* the one the slot held before, or ours when not kept */
	return rc;
}

int api_sign(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	const char *algorithm, *path, *purpose;
	size_t alg_len, path_len, purpose_len, len;
	vouch_key_alg alg;
	if (req_str(r, "algorithm", &algorithm, &alg_len, err, cap) || req_str(r, "path", &path, &path_len, err, cap) ||
	    req_str(r, "purpose", &purpose, &purpose_len, err, cap))
		return -1;
	if (vouch_key_alg_parse(&alg, algorithm, alg_len, 1)) {
		snprintf(err, cap, "Unsupported algorithm");
		return -1;
	}
	if (app_reserved_path(path, path_len)) {
		/* vouchd's own keys (the journals') sign only what vouchd decides: a client signing a digest with
		 * one could forge a checkpoint */
		snprintf(err, cap, "key paths under vouch/ are vouchd's own: no client may sign with them");
		return -1;
	}
	/* the path app_signing_key signs with: dstack's "vms" when none is given */
	if (path_len ? policy_key_use(a, r, path, path_len, err, cap) : policy_key_use(a, r, "vms", 3, err, cap))
		return -1;
	uint8_t *data = malloc(a->cfg.limits.max_body / 2 + 1);
	if (!data || req_hex(r, "data", data, a->cfg.limits.max_body / 2 + 1, &len, err, cap)) {
		free(data);
		return -1;
	}
	if (alg == VOUCH_ALG_SECP256K1_PREHASHED && len != 32) {
		snprintf(err, cap, "Pre-hashed signing requires a 32-byte digest, but received %zu bytes", len);
		free(data);
		return -1;
	}
	vouch_derived_key k;
	vouch_ed25519_key *ed;
	uint8_t sig[64];
	int rc = app_signing_key(a, path, path_len, purpose, purpose_len, alg, &k, &ed) ||
		 (ed ? vouch_ed25519_sign(sig, ed, data, len) : vouch_key_sign(sig, &k, alg, data, len));
	vouch_ed25519_key_free(ed);
	free(data);
	if (rc) {
		vouch_wipe(&k, sizeof k);
		snprintf(err, cap, "signing failed");
		return -1;
	}
	*out = json_pack("{s:o, s:[o, o, o], s:o}", "signature", hex_json(sig, 64), "signature_chain", hex_json(sig, 64),
			 hex_json(k.link0, 65), root_sig_hex(a), "public_key", hex_json(k.pub, k.pub_len));
	vouch_wipe(&k, sizeof k);
	return *out ? 0 : (snprintf(err, cap, "out of memory"), -1);
}

int api_verify(struct app *a, const req *r, json_t **out, char *err, size_t cap)
{
	const char *algorithm;
	size_t alg_len, len, sig_len, pub_len;
	vouch_key_alg alg;
	uint8_t sig[128], pub[128];
	if (req_str(r, "algorithm", &algorithm, &alg_len, err, cap))
		return -1;
	if (vouch_key_alg_parse(&alg, algorithm, alg_len, 1)) {
		snprintf(err, cap, "Unsupported algorithm");
		return -1;
	}
	uint8_t *data = malloc(a->cfg.limits.max_body / 2 + 1);
	if (!data || req_hex(r, "data", data, a->cfg.limits.max_body / 2 + 1, &len, err, cap) ||
	    req_hex(r, "signature", sig, sizeof sig, &sig_len, err, cap) ||
	    req_hex(r, "public_key", pub, sizeof pub, &pub_len, err, cap)) {
		free(data);
		return -1;
	}
	int v = vouch_key_verify(alg, pub, pub_len, sig, sig_len, data, len);
	free(data);
	if (v < 0) {
		snprintf(err, cap, "invalid %s public key or signature", alg == VOUCH_ALG_ED25519 ? "ed25519" : "secp256k1");
		return -1;
	}
	*out = json_pack("{s:b}", "valid", v);
	return 0;
}
