/* vouchd's state: configuration, the app's keys and identity, the TEE backend and the event log. Read-only
 * after start except the runtime event log, which a rwlock guards (EmitEvent writes; quotes read). */
#ifndef VOUCHD_APP_H
#define VOUCHD_APP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "http.h"
#include "vouch/eventlog.h"
#include "vouch/keys.h"

#define MAX_SIGN_ONLY 32
#define KEPT_KEYS 64      /* derived signing keys kept for Sign */
#define KEPT_KEY_TEXT 96  /* longest path or purpose kept */

/* A derived signing key, kept: deriving one costs a public key and the root's signature over it (link0),
 * twice what the signature a Sign asks for costs. Secret like the root it comes from, and wiped with it.
 * An Ed25519 key also keeps OpenSSL's key object (making it costs as much as a signature); a Sign holds a
 * reference while it signs, so the slot may be taken by another key meanwhile. */
struct kept_key {
	int used;
	vouch_key_alg alg;
	size_t path_len, purpose_len;
	char path[KEPT_KEY_TEXT], purpose[KEPT_KEY_TEXT];
	vouch_derived_key k;
	vouch_ed25519_key *ed;
};
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct config {
	const char *state_dir;
	const char *listen_dir;
	const char *tee;          /* "sim", "tdx" or "auto" */
	const char *fs_root;      /* "/" normally; a fake tree in tests (tdx backend) */
	const char *app_keys;     /* dstack app-keys file, or NULL */
	const char *compose;      /* app-compose.json, or NULL */
	const char *sys_config;   /* sys-config.json, or NULL */
	const char *public_addr;  /* "ADDR:PORT" or NULL (off) */
	unsigned socket_mode;     /* unix sockets, 0660 by default */
	char *sign_only[MAX_SIGN_ONLY];
	size_t n_sign_only;
	http_limits limits;
	unsigned journal_checkpoint_every;      /* entries; 0: never by count */
	unsigned journal_checkpoint_interval_s; /* 0: never by time */
	int reseal;               /* --reseal: accept journal entries no seal covers (journal_seal.c) */
	int new_identity;         /* --new-identity: generate app keys though the state directory was used */
	struct principal *principals;           /* who owns which keys and journals (policy.h) */
	size_t n_principals;
};

/* A TEE: quotes over report data, RTMR3 extension, the boot part of the event log. */
struct backend {
	const char *name; /* "sim" or "tdx" */
	int (*quote)(struct backend *b, const uint8_t report_data[64], uint8_t **quote, size_t *len, char *err, size_t cap);
	int (*extend_rtmr3)(struct backend *b, const uint8_t digest[48], char *err, size_t cap);
	void (*free)(struct backend *b);
	vouch_eventlog boot;      /* RTMR0–2 events, owned */
	void *priv;
};

struct runtime_event {
	char *name;
	uint8_t *payload;
	size_t payload_len;
};

struct app {
	struct config cfg;

	/* keys (§8.1): the root is secret and wiped at exit */
	uint8_t root[32];
	uint8_t root_sig[65];     /* KMS signature over the root (link1), if any */
	size_t root_sig_len;
	char *ca_cert_pem;        /* app CA certificate (PEM) */
	EVP_PKEY *ca_key;         /* its key, when this app signs its own TLS certificates */
	char key_provider_info[512];
	char key_provider_name[16]; /* "none", "local-sgx", "kms", "tpm" */
	pthread_mutex_t kept_lock;
	struct kept_key kept[KEPT_KEYS]; /* secret: wiped at exit */

	/* identity (§13) */
	char *compose;            /* app-compose.json, exact bytes */
	size_t compose_len;
	uint8_t compose_hash[32];
	uint8_t app_id[20];
	uint8_t instance_id[20];
	int no_instance_id;
	char *app_name;
	char *vm_config;          /* the VM config JSON text ("{}" when none) */
	uint8_t os_image_hash[32];
	size_t os_image_hash_len;

	struct backend *tee;
	uint8_t instance_seed[20];
	int journals_begun;       /* instance-id-seed says this instance's journals were sealed once */
	struct journals *journals;
	char *events_path;        /* the runtime event log file (JSON lines) */
	char *events_flock;       /* tdx: dstack's lock file, shared with other writers of the log */
	pthread_rwlock_t events_lock;
	struct runtime_event *events;
	size_t n_events, cap_events;
};

int app_init(struct app *a, const struct config *c, char *err, size_t cap);
/* Reads the runtime event log file (if any); with extend, replays each event into the backend's RTMR3. */
int events_load(struct app *a, int extend, char *err, size_t cap);
void app_free(struct app *a);

/* Takes a quote and checks that the event log (boot and runtime) replays to its RTMR0–3. */
int events_check(struct app *a, char *err, size_t cap);

/* 1 for vouchd's own key paths (vouch/…): never exported, and no client signs with them. */
int app_reserved_path(const char *path, size_t len);

/* 1 if path falls under a sign-only prefix of the key policy (vouch/… always). */
int app_sign_only(const struct app *a, const char *path, size_t len);

/* Appends a runtime event: extends RTMR3 and writes the log line, in that order, under the write lock. */
int app_emit_event(struct app *a, const char *name, const uint8_t *payload, size_t len, char *err, size_t cap);

/* A quote over report_data and, taken under the same read lock, the event log that replays to it. *log_json
 * (malloc'd) is dstack's event-log JSON; *log receives a copy when non-NULL (vouch_eventlog_free). */
int app_quote(struct app *a, const uint8_t report_data[64], uint8_t **quote, size_t *quote_len, char **log_json,
	      vouch_eventlog *log, char *err, size_t cap);

/* "dir/name", malloc'd (NULL when out of memory) */
char *path_join(const char *dir, const char *name);
int path_exists(const char *path);

/* Backends */
struct backend *backend_sim_new(struct app *a, char *err, size_t cap);
struct backend *backend_tdx_new(struct app *a, char *err, size_t cap);
/* 1 when the tree under root has a TDX guest device or its measurement files (--tee=auto picks tdx) */
int tdx_detect(const char *root);

/* Routes per listener */
extern const struct route dstack_routes[];
extern const size_t n_dstack_routes;
extern const struct route tappd_routes[];
extern const size_t n_tappd_routes;
extern const struct route public_routes[];
extern const size_t n_public_routes;

#define VOUCHD_VERSION "0.5.11"
#define VOUCHD_REV "vouch-0.1.0"

#endif
