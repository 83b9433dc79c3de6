/* vouchd's app: where the keys come from (a dstack app-keys file, or generated once in the state
 * directory), the app's identity (compose hash, app id, instance id, VM config), the TEE backend and the
 * runtime event log (spec §8.1–§8.2, §11, §13). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "app.h"
#include "journal.h"
#include "log.h"
#include "vouch/err.h"
#include "vouch/util.h"

char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

int path_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static EVP_PKEY *pem_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return k;
}

/* dstack's AppKeys (§8.1). */
static int load_app_keys(struct app *a, const char *path, char *err, size_t cap)
{
	uint8_t *text;
	size_t n;
	if (vouch_file_read_regular(path, 1 << 20, &text, &n)) {
		snprintf(err, cap, "app keys %s: %s", path, strerror(errno));
		return -1;
	}
	json_t *o = json_loadb((const char *)text, n, 0, NULL);
	vouch_wipe(text, n);
	free(text);
	json_t *k = json_object_get(o, "k256_key"), *sig = json_object_get(o, "k256_signature");
	json_t *ca = json_object_get(o, "ca_cert"), *kp = json_object_get(o, "key_provider");
	size_t got;
	int rc = -1;
	if (!json_is_object(o) || !json_is_string(k) ||
	    vouch_hex_decode(a->root, 32, &got, json_string_value(k), json_string_length(k)) || got != 32) {
		snprintf(err, cap, "app keys %s: k256_key must be 32 bytes of hex", path);
		goto out;
	}
	if (json_is_string(sig) && json_string_length(sig) &&
	    (vouch_hex_decode(a->root_sig, 65, &a->root_sig_len, json_string_value(sig), json_string_length(sig)) ||
	     a->root_sig_len != 65)) {
		snprintf(err, cap, "app keys %s: k256_signature must be 65 bytes of hex or empty", path);
		goto out;
	}
	if (!json_is_string(ca)) {
		snprintf(err, cap, "app keys %s: ca_cert is missing", path);
		goto out;
	}
	a->ca_cert_pem = strdup(json_string_value(ca));
	/* key_provider: {"None": {"key"}}, {"Local": {"key", "mr"}}, {"Tpm": {"key", "pubkey"}}, {"Kms": {…}} */
	const char *kind = NULL;
	json_t *body = NULL;
	json_object_foreach(kp, kind, body) break;
	const char *id = "";
	json_t *key = json_object_get(body, "key");
	if (kind && !strcmp(kind, "None")) {
		snprintf(a->key_provider_name, sizeof a->key_provider_name, "none");
	} else if (kind && !strcmp(kind, "Local")) {
		snprintf(a->key_provider_name, sizeof a->key_provider_name, "local-sgx");
		id = json_string_value(json_object_get(body, "mr"));
	} else if (kind && !strcmp(kind, "Tpm")) {
		snprintf(a->key_provider_name, sizeof a->key_provider_name, "tpm");
		id = json_string_value(json_object_get(body, "pubkey"));
	} else if (kind && !strcmp(kind, "Kms")) {
		snprintf(a->key_provider_name, sizeof a->key_provider_name, "kms");
		id = json_string_value(json_object_get(body, "pubkey"));
		key = NULL; /* the app CA's key lives in the KMS */
	} else {
		snprintf(err, cap, "app keys %s: key_provider must be one of None, Local, Tpm, Kms", path);
		goto out;
	}
	json_t *info = json_pack("{s:s, s:s}", "name", a->key_provider_name, "id", id ? id : "");
	char *s = json_dumps(info, JSON_COMPACT | JSON_PRESERVE_ORDER);
	snprintf(a->key_provider_info, sizeof a->key_provider_info, "%s", s ? s : "");
	free(s);
	json_decref(info);
	if (json_is_string(key) && !(a->ca_key = pem_key(json_string_value(key)))) {
		snprintf(err, cap, "app keys %s: key_provider key is not a PEM private key", path);
		goto out;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* A self-signed P-256 "App Root Cert", as dstack's non-KMS modes make (§8.2). */
static char *make_app_ca(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	char *pem = NULL;
	X509V3_CTX ctx;
	X509_EXTENSION *bc = NULL, *ku = NULL;
	int ok = x && name && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
		 X509_gmtime_adj(X509_getm_notBefore(x), -86400) &&
		 X509_gmtime_adj(X509_getm_notAfter(x), 20L * 365 * 86400) &&
		 X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"vouch", -1, -1, 0) &&
		 X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"App Root Cert", -1, -1, 0) &&
		 X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) && X509_set_pubkey(x, key);
	if (ok) {
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		bc = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:1");
		ku = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
		ok = bc && ku && X509_add_ext(x, bc, -1) && X509_add_ext(x, ku, -1) && X509_sign(x, key, EVP_sha256()) > 0;
	}
	BIO *b = ok ? BIO_new(BIO_s_mem()) : NULL;
	char *p;
	long n;
	if (b && PEM_write_bio_X509(b, x) && (n = BIO_get_mem_data(b, &p)) > 0 && (pem = malloc((size_t)n + 1))) {
		memcpy(pem, p, (size_t)n);
		pem[n] = 0;
	}
	BIO_free(b);
	X509_EXTENSION_free(bc);
	X509_EXTENSION_free(ku);
	X509_NAME_free(name);
	X509_free(x);
	return pem;
}

/* First start without app keys: generate them and keep them in the state directory, dstack's format. */
static int generate_app_keys(const char *path, char *err, size_t cap)
{
	uint8_t root[32], disk[32], env[32];
	char hroot[65], hdisk[65], henv[65];
	EVP_PKEY *ca = EVP_EC_gen("P-256");
	char *ca_pem = ca ? make_app_ca(ca) : NULL, *key_pem = NULL;
	BIO *b = BIO_new(BIO_s_secmem());
	char *p;
	long n;
	if (ca && b && PEM_write_bio_PrivateKey(b, ca, NULL, NULL, 0, NULL, NULL) && (n = BIO_get_mem_data(b, &p)) > 0 &&
	    (key_pem = malloc((size_t)n + 1))) {
		memcpy(key_pem, p, (size_t)n);
		key_pem[n] = 0;
	}
	BIO_free(b);
	int rc = -1;
	if (!ca_pem || !key_pem || RAND_priv_bytes(root, 32) != 1 || RAND_priv_bytes(disk, 32) != 1 ||
	    RAND_priv_bytes(env, 32) != 1) {
		snprintf(err, cap, "cannot generate app keys");
		goto out;
	}
	vouch_hex_encode(hroot, root, 32);
	vouch_hex_encode(hdisk, disk, 32);
	vouch_hex_encode(henv, env, 32);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:{s:s}}}", "disk_crypt_key", hdisk, "env_crypt_key",
			      henv, "k256_key", hroot, "k256_signature", "", "gateway_app_id", "", "ca_cert", ca_pem,
			      "key_provider", "None", "key", key_pem);
	char *text = o ? json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o); /* vouchd's jansson allocator wipes what it frees */
	if (!text || vouch_file_write_atomic(path, text, strlen(text), 0600)) {
		snprintf(err, cap, "cannot write app keys %s: %s", path, strerror(errno));
	} else {
		vlog(LOG_INFO, "generated app keys in %s", path);
		rc = 0;
	}
	if (text) {
		vouch_wipe(text, strlen(text));
		free(text);
	}
out:
	vouch_wipe(root, 32);
	vouch_wipe(disk, 32);
	vouch_wipe(env, 32);
	vouch_wipe(hroot, sizeof hroot);
	vouch_wipe(hdisk, sizeof hdisk);
	vouch_wipe(henv, sizeof henv);
	if (key_pem) {
		vouch_wipe(key_pem, strlen(key_pem));
		free(key_pem);
	}
	free(ca_pem);
	EVP_PKEY_free(ca);
	return rc;
}

static const char DEFAULT_COMPOSE[] =
	"{\"manifest_version\":2,\"name\":\"vouch-app\",\"runner\":\"docker-compose\",\"docker_compose_file\":\"\","
	"\"kms_enabled\":false,\"gateway_enabled\":false,\"public_logs\":false,\"public_sysinfo\":false,"
	"\"public_tcbinfo\":true,\"key_provider\":\"none\",\"key_provider_id\":\"\",\"allowed_envs\":[],"
	"\"no_instance_id\":false,\"secure_time\":false}";

static int load_identity(struct app *a, char *err, size_t cap)
{
	const struct config *c = &a->cfg;
	char *path = c->compose ? strdup(c->compose) : path_join(c->state_dir, "app-compose.json");
	uint8_t *text;
	size_t n;
	int rc = -1;
	if (!path)
		return -1;
	if (!c->compose && !path_exists(path) && vouch_file_write_atomic(path, DEFAULT_COMPOSE, strlen(DEFAULT_COMPOSE), 0644)) {
		snprintf(err, cap, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	if (vouch_file_read_regular(path, 4 << 20, &text, &n)) {
		snprintf(err, cap, "app compose %s: %s", path, strerror(errno));
		goto out;
	}
	a->compose = (char *)text;
	a->compose_len = n;
	SHA256(text, n, a->compose_hash);
	/* without a KMS, the app id is the compose hash's first 20 bytes (§13.1) */
	memcpy(a->app_id, a->compose_hash, 20);
	json_t *o = json_loadb((const char *)text, n, 0, NULL);
	a->app_name = strdup(json_is_string(json_object_get(o, "name")) ? json_string_value(json_object_get(o, "name")) : "");
	a->no_instance_id = json_is_true(json_object_get(o, "no_instance_id"));
	json_decref(o);
	/* instance id: SHA-256(seed ‖ app_id), seed kept in the state directory */
	free(path);
	path = path_join(c->state_dir, "instance-id-seed");
	uint8_t seed[20], buf[40];
	size_t got = 0;
	/* "<40 hex>", then "\njournals\n" once this instance's journals have been sealed (journal_seal.c) */
	if (vouch_file_read_regular(path, 64, &text, &n) == 0) {
		if (n < 40 || vouch_hex_decode(seed, 20, &got, (const char *)text, 40))
			got = 0;
		a->journals_begun = got == 20 && n == 50 && !memcmp(text + 40, "\njournals\n", 10);
		free(text);
	}
	if (got != 20) {
		char hex[41];
		if (RAND_bytes(seed, 20) != 1)
			goto out;
		vouch_hex_encode(hex, seed, 20);
		if (vouch_file_write_atomic(path, hex, 40, 0600)) {
			snprintf(err, cap, "cannot write %s: %s", path, strerror(errno));
			goto out;
		}
	}
	memcpy(a->instance_seed, seed, 20);
	memcpy(buf, seed, 20);
	memcpy(buf + 20, a->app_id, 20);
	uint8_t h[32];
	SHA256(buf, 40, h);
	memcpy(a->instance_id, h, 20);
	/* VM config from a sys-config file (its vm_config string) */
	a->vm_config = strdup("{}");
	if (c->sys_config) {
		if (vouch_file_read_regular(c->sys_config, 1 << 20, &text, &n)) {
			snprintf(err, cap, "sys config %s: %s", c->sys_config, strerror(errno));
			goto out;
		}
		o = json_loadb((const char *)text, n, 0, NULL);
		free(text);
		json_t *vm = json_object_get(o, "vm_config");
		if (json_is_string(vm)) {
			free(a->vm_config);
			a->vm_config = strdup(json_string_value(vm));
			json_t *v = json_loads(a->vm_config, 0, NULL), *h2 = json_object_get(v, "os_image_hash");
			if (json_is_string(h2) && vouch_hex_decode(a->os_image_hash, 32, &a->os_image_hash_len,
								   json_string_value(h2), json_string_length(h2)))
				a->os_image_hash_len = 0;
			json_decref(v);
		}
		json_decref(o);
	}
	rc = a->app_name && a->vm_config ? 0 : -1;
out:
	free(path);
	return rc;
}

int app_reserved_path(const char *path, size_t len)
{
	return len >= 6 && memcmp(path, "vouch/", 6) == 0;
}

int app_sign_only(const struct app *a, const char *path, size_t len)
{
	if (app_reserved_path(path, len))
		return 1; /* vouchd's own keys (the journals'): never exported, whatever the configuration */
	for (size_t i = 0; i < a->cfg.n_sign_only; i++) {
		size_t n = strlen(a->cfg.sign_only[i]);
		if (len >= n && memcmp(path, a->cfg.sign_only[i], n) == 0)
			return 1;
	}
	return 0;
}

/* The boot sequence of runtime events (§11), emitted once when the log is empty. */
static int emit_boot_sequence(struct app *a, char *err, size_t cap)
{
	struct {
		const char *name;
		const void *payload;
		size_t len;
	} seq[] = {
		{"system-preparing", "", 0},
		{"app-id", a->app_id, 20},
		{"compose-hash", a->compose_hash, 32},
		{"instance-id", a->instance_id, a->no_instance_id ? 0 : 20},
		{"boot-mr-done", "", 0},
		{"key-provider", a->key_provider_info, strlen(a->key_provider_info)},
		{"system-ready", "", 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(seq); i++)
		if (app_emit_event(a, seq[i].name, seq[i].payload, seq[i].len, err, cap))
			return -1;
	return 0;
}

/* The identity this boot measured (the runtime events before system-ready) must be the one vouchd serves: an
 * app-compose.json edited, or an instance-id-seed deleted, between two starts in one boot would make Info and
 * every derived value disagree with what quotes attest. */
static int identity_matches_log(struct app *a, char *err, size_t cap)
{
	struct {
		const char *name;
		const uint8_t *want;
		size_t len;
		const char *source;
	} ids[] = {
		{"app-id", a->app_id, 20, "the app id (from app-compose.json)"},
		{"compose-hash", a->compose_hash, 32, "app-compose.json"},
		{"instance-id", a->instance_id, a->no_instance_id ? 0 : 20, "the instance id (from instance-id-seed)"},
		{"key-provider", (const uint8_t *)a->key_provider_info, strlen(a->key_provider_info), "the app keys' key provider"},
	};
	for (size_t i = 0; i < a->n_events; i++) {
		const struct runtime_event *e = &a->events[i];
		if (!strcmp(e->name, "system-ready"))
			break;
		for (size_t k = 0; k < ARRAY_LEN(ids); k++) {
			if (strcmp(e->name, ids[k].name))
				continue;
			if (e->payload_len == ids[k].len && !memcmp(e->payload, ids[k].want, ids[k].len))
				continue;
			snprintf(err, cap, "this boot measured another %s than vouchd has now: %s changed since the runtime "
				 "event log %s was written; restore it, or start in a new boot%s", ids[k].name, ids[k].source,
				 a->events_path, a->events_flock ? "" : " (sim: remove that log)");
			return -1;
		}
	}
	return 0;
}

/* Who can write the state directory can replace the journal and the runtime log; who can read app-keys.json
 * holds every key. Said at start. */
static void check_permissions(const struct config *c, const char *keys)
{
	struct stat st;
	if (stat(c->state_dir, &st) == 0 && (st.st_mode & 0022))
		vlog(LOG_WARN, "state directory %s is writable by %s (mode %04o): whoever can write it can replace the "
		     "journal store and the keys; chmod 0700", c->state_dir, st.st_mode & 0002 ? "anyone" : "its group",
		     (unsigned)(st.st_mode & 07777));
	if (keys && stat(keys, &st) == 0 && (st.st_mode & 0077))
		vlog(LOG_WARN, "app keys %s are readable by %s (mode %04o): every key vouchd derives comes from them; "
		     "chmod 0600", keys, st.st_mode & 0004 ? "anyone" : "its group", (unsigned)(st.st_mode & 07777));
}

/* App keys are generated only in a state directory vouchd never used: where its other files remain, keys gone
 * missing mean a new identity (new wallets, new journal keys), which happens only when asked. */
static int may_generate_keys(const struct config *c, char *err, size_t cap)
{
	static const char *const used[] = {"instance-id-seed", "journal.db", "runtime_events.log", "journal.seal"};
	for (size_t i = 0; i < ARRAY_LEN(used); i++) {
		char *p = path_join(c->state_dir, used[i]);
		int there = p && path_exists(p);
		free(p);
		if (!there)
			continue;
		if (c->new_identity) {
			vlog(LOG_WARN, "app-keys.json is missing from %s, which holds %s: --new-identity: generating new app "
			     "keys; every derived key (wallets, journal keys) changes", c->state_dir, used[i]);
			return 0;
		}
		snprintf(err, cap, "app-keys.json is missing from %s, which vouchd used before (it holds %s): new keys "
			 "would be a new identity (new wallet and journal keys); restore the file, or start with "
			 "--new-identity", c->state_dir, used[i]);
		return -1;
	}
	return 0;
}

int app_init(struct app *a, const struct config *c, char *err, size_t cap)
{
	memset((char *)a + sizeof a->cfg, 0, sizeof *a - sizeof a->cfg);
	a->cfg = *c;
	pthread_rwlock_init(&a->events_lock, NULL);
	pthread_mutex_init(&a->kept_lock, NULL);
	if (vouch_mkdirs(c->state_dir, 0700)) {
		snprintf(err, cap, "cannot create the state directory %s: %s", c->state_dir, strerror(errno));
		return -1;
	}
	char *keys = c->app_keys ? strdup(c->app_keys) : path_join(c->state_dir, "app-keys.json");
	int rc = keys ? 0 : -1;
	if (!rc && !c->app_keys && !path_exists(keys)) {
		rc = may_generate_keys(c, err, cap);
		if (!rc)
			rc = generate_app_keys(keys, err, cap);
	}
	if (!rc)
		rc = load_app_keys(a, keys, err, cap);
	if (!rc)
		check_permissions(c, keys);
	free(keys);
	if (rc || load_identity(a, err, cap))
		return -1;
	int tdx = !strcmp(c->tee, "tdx") || (!strcmp(c->tee, "auto") && tdx_detect(c->fs_root));
	a->tee = tdx ? backend_tdx_new(a, err, cap) : backend_sim_new(a, err, cap);
	if (!a->tee)
		return -1;
	vlog(LOG_INFO, "TEE backend: %s", a->tee->name);
	if (tdx) {
		/* dstack's runtime log, next to which dstack's own tools (and a restarted vouchd) find it */
		char *dir = path_join(c->fs_root, "run/log/dstack");
		if (!dir || vouch_mkdirs(dir, 0700)) {
			snprintf(err, cap, "cannot create %s: %s", dir ? dir : "run/log/dstack", strerror(errno));
			free(dir);
			return -1;
		}
		a->events_path = path_join(dir, "runtime_events.log");
		a->events_flock = path_join(dir, "runtime_event.lock");
		free(dir);
	} else {
		a->events_path = path_join(c->state_dir, "runtime_events.log");
	}
	/* sim: the simulated RTMR3 starts at zero, so loaded events are extended again; tdx: the TD kept it */
	/* the registers must match the logs before anything is added to them: a TD whose RTMR3 the log does
	 * not explain is refused, not extended further */
	if (events_load(a, !tdx, err, cap) || events_check(a, err, cap) || identity_matches_log(a, err, cap))
		return -1;
	if (a->n_events == 0 && emit_boot_sequence(a, err, cap))
		return -1;
	if (!(a->journals = malloc(sizeof *a->journals))) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	if (journals_open(a->journals, a, c->journal_checkpoint_every, c->journal_checkpoint_interval_s, err, cap)) {
		journals_close(a->journals);
		free(a->journals);
		a->journals = NULL;
		return -1;
	}
	return 0;
}

void app_free(struct app *a)
{
	if (a->journals) {
		journals_close(a->journals);
		free(a->journals);
	}
	if (a->tee)
		a->tee->free(a->tee);
	for (size_t i = 0; i < a->n_events; i++) {
		free(a->events[i].name);
		free(a->events[i].payload);
	}
	free(a->events);
	free(a->events_path);
	free(a->events_flock);
	free(a->compose);
	free(a->app_name);
	free(a->vm_config);
	free(a->ca_cert_pem);
	EVP_PKEY_free(a->ca_key);
	pthread_rwlock_destroy(&a->events_lock);
	pthread_mutex_destroy(&a->kept_lock);
	for (size_t i = 0; i < ARRAY_LEN(a->kept); i++)
		vouch_ed25519_key_free(a->kept[i].ed);
	vouch_wipe(a->kept, sizeof a->kept);
	vouch_wipe(a->root, sizeof a->root);
}
