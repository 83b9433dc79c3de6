/* vouch-gateway: start-up (options, keys from vouchd, TLS certificate, receipt index) and shutdown. */
#include <arpa/inet.h>
#include <getopt.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "gateway.h"
#include "guard.h"
#include "vouchd_client.h"
#include "vouch/keys.h"
#include "vouch/util.h"

struct gw gw;
int server_start(struct gw *g, const struct sockaddr *sa, char *err, size_t cap);


static void usage(FILE *f)
{
	fprintf(f,
		"usage: vouch-gateway --backend URL --listen ADDR:PORT [options]\n"
		"  an OpenAI-compatible proxy that signs every answer with keys held in vouchd and journals each\n"
		"  receipt; routes: POST /v1/chat/completions, /v1/completions (streamed or not), GET /v1/models,\n"
		"  /v1/signature/{chat_id}?signing_algo=ecdsa|ed25519[&request_sha256=],\n"
		"  /v1/attestation/report?nonce=&signing_algo=&version=1|2\n"
		"  --backend URL        the OpenAI-compatible server (e.g. http://127.0.0.1:8000)\n"
		"  --backend-token-file F\n"
		"                       send Authorization: Bearer <the file's first line> to the backend (vLLM\n"
		"                       --api-key); the clients' own Authorization is never passed on\n"
		"  --listen ADDR:PORT   where to serve (e.g. 0.0.0.0:8443; port 0: the system picks one, printed)\n"
		"  --vouchd DIR|SOCKET  vouchd's socket directory (its dstack.sock; default $VOUCH_LISTEN_DIR or\n"
		"                       vouchd's default) or a socket: the gateway principal's own (DIR/gateway.sock)\n"
		"  --token-file F       require Authorization: Bearer <the file's first line> (not for\n"
		"                       /v1/models and /v1/attestation/report)\n"
		"  --tls [--tls-name N] serve HTTPS with a certificate from vouchd's GetTlsKey (name default\n"
		"                       localhost); enables report version=2 (the TLS key bound to the quote)\n"
		"  --key-prefix P       its keys in vouchd (default gateway/): P ecdsa and P ed25519\n"
		"  --journal NAME       the receipts' journal (default gateway)\n"
		"                       at start, vouchd must say (Access) that both keys are sign-only and that\n"
		"                       both keys and the journal are owned by this gateway's principal alone\n"
		"  --max-body BYTES     request body limit (default 4194304; larger: 413)\n"
		"  --backend-timeout S  a non-streamed answer, or silence in a stream (default 600)\n"
		"  --workers N          receipt signers (default 8)\n"
		"  --max-connections N  clients at once (default 4096, fewer under a low file limit)\n"
		"  --per-ip-connections N\n"
		"                       connections from one client address at once (default 128; more: refused)\n"
		"  --head-timeout S     a request's line and headers must arrive within S seconds of the connection\n"
		"                       or of the previous answer on it (default 30): idle keep-alive ends there\n"
		"  --body-timeout S     its body within S seconds of its headers (default 120)\n");
}

/* The first line of a token file (at most 4 KiB), or NULL after saying why */
static char *read_token(const char *option, const char *file)
{
	size_t n;
	uint8_t *b;
	if (vouch_file_read(file, 4096, &b, &n)) {
		fprintf(stderr, "vouch-gateway: --%s %s: cannot read it\n", option, file);
		return NULL;
	}
	b[strcspn((char *)b, "\r\n")] = 0;
	if (!*b) {
		fprintf(stderr, "vouch-gateway: --%s %s is empty\n", option, file);
		free(b);
		return NULL;
	}
	return (char *)b;
}

/* The public key of a vouchd key, by asking it to sign. */
static int key_of(const char *path, const char *algo, uint8_t *pub, size_t want, char *err, size_t cap)
{
	const char *data = !strcmp(algo, "ed25519") ? "00" : "0000000000000000000000000000000000000000000000000000000000000000";
	json_t *r = gw_vouchd("Sign", json_pack("{s:s, s:s, s:s}", "algorithm", algo, "data", data, "path", path), err, cap);
	const char *h = json_string_value(json_object_get(r, "public_key"));
	int ok = vouch_hex_decode_exact(pub, want, h);
	json_decref(r);
	if (!ok && r)
		snprintf(err, cap, "vouchd's Sign gave no %zu-byte public key", want);
	return ok ? 0 : -1;
}

/* Releases a vouchd answer whose string member field is a private key, wiping the key first. */
static void release_secret(json_t *r, const char *field)
{
	json_t *k = json_object_get(r, field);
	if (json_is_string(k))
		vouch_wipe((char *)json_string_value(k), json_string_length(k));
	json_decref(r);
}

/* One item of vouchd's Access answer: owned by this gateway alone (and, for a key, sign-only), or err says
 * what to configure. */
static int owned_alone(const json_t *item, const char *what, const char *name, const json_t *access, char *err,
		       size_t cap)
{
	char owners[256] = "";
	size_t i;
	const json_t *o;
	json_array_foreach(json_object_get(item, "owners"), i, o)
		snprintf(owners + strlen(owners), sizeof owners - strlen(owners), "%s%s", i ? ", " : "",
			 json_string_value(o) ?: "?");
	if (!json_is_true(json_object_get(item, "mine")) || !json_is_true(json_object_get(item, "exclusive"))) {
		snprintf(err, cap,
			 "%s %s is not this gateway's alone in vouchd (owners: %s; this gateway: uid %lld, principal %s): any process "
			 "on vouchd's socket could %s. Give the gateway a principal in vouchd's --config that alone owns it, "
			 "e.g. \"principals\": [{\"name\": \"gateway\", \"socket\": \"gateway.sock\", \"keys\": [\"%s\"], "
			 "\"journals\": [\"%s\"]}], and start the gateway with --vouchd LISTEN_DIR/gateway.sock (or give the "
			 "principal the gateway's \"uid\" instead of a socket)",
			 what, name, *owners ? owners : "none",
			 (long long)json_integer_value(json_object_get(json_object_get(access, "peer"), "uid")),
			 json_string_value(json_object_get(access, "principal")) ?: "none",
			 *what == 'k' ? "sign with it" : "write receipts into it", gw.cfg.key_prefix, gw.cfg.journal);
		return -1;
	}
	if (*what == 'k' && !json_is_true(json_object_get(item, "sign_only"))) {
		snprintf(err, cap, "vouchd exports the key at %s: drop \"export\": true from the gateway's principal, so "
			 "that the gateway's signing keys never leave vouchd", name);
		return -1;
	}
	return 0;
}

/* Both keys sign-only, and both keys and the journal owned by the gateway alone, or any process on vouchd's
 * socket could sign answers no model gave with the gateway's attested keys, or journal receipts for them. */
static int check_ownership(char *err, size_t cap)
{
	json_t *r = gw_vouchd("Access", json_pack("{s:[s, s], s:[s]}", "paths", gw.ecdsa_path, gw.ed25519_path, "journals",
						 gw.cfg.journal), err, cap);
	if (!r) {
		if (strstr(err, "Service not found"))
			snprintf(err, cap, "vouchd has no Access method (an older vouchd, or dstack's own agent): the gateway "
				 "cannot check that its keys and journal are its alone");
		return -1;
	}
	const json_t *paths = json_object_get(r, "paths");
	const json_t *journal = json_array_get(json_object_get(r, "journals"), 0);
	int rc = json_array_size(paths) == 2 && journal ? 0 : (snprintf(err, cap, "vouchd's Access answer is incomplete"), -1);
	for (size_t i = 0; !rc && i < 2; i++)
		rc = owned_alone(json_array_get(paths, i), "key", i ? gw.ed25519_path : gw.ecdsa_path, r, err, cap);
	if (!rc)
		rc = owned_alone(journal, "journal", gw.cfg.journal, r, err, cap);
	json_decref(r);
	return rc;
}

static int setup_keys(char *err, size_t cap)
{
	snprintf(gw.ecdsa_path, sizeof gw.ecdsa_path, "%secdsa", gw.cfg.key_prefix);
	snprintf(gw.ed25519_path, sizeof gw.ed25519_path, "%sed25519", gw.cfg.key_prefix);
	if (check_ownership(err, cap))
		return -1;
	if (key_of(gw.ecdsa_path, "secp256k1_prehashed", gw.ecdsa_pub, 33, err, cap) ||
	    key_of(gw.ed25519_path, "ed25519", gw.ed25519_pub, 32, err, cap))
		return -1;
	vouch_eth_address(gw.ecdsa_addr, gw.ecdsa_pub, 33);
	vouch_eth_address_text(gw.ecdsa_addr_text, gw.ecdsa_addr);
	vouch_hex_encode(gw.ed25519_hex, gw.ed25519_pub, 32);
	return 0;
}

static int setup_tls(char *err, size_t cap)
{
	json_t *r = gw_vouchd("GetTlsKey", json_pack("{s:s, s:[s], s:b}", "subject", gw.cfg.tls_name, "alt_names",
						      gw.cfg.tls_name, "usage_server_auth", 1), err, cap);
	const char *key = json_string_value(json_object_get(r, "key"));
	json_t *chain = json_object_get(r, "certificate_chain");
	if (!key || !json_array_size(chain)) {
		release_secret(r, "key");
		if (r)
			snprintf(err, cap, "vouchd's GetTlsKey gave no key and certificate");
		return -1;
	}
	gw.tls_key_pem = strdup(key);
	size_t total = 1;
	for (size_t i = 0; i < json_array_size(chain); i++)
		total += strlen(json_string_value(json_array_get(chain, i)) ?: "");
	gw.tls_cert_pem = calloc(1, total);
	for (size_t i = 0; gw.tls_cert_pem && i < json_array_size(chain); i++)
		strcat(gw.tls_cert_pem, json_string_value(json_array_get(chain, i)) ?: "");
	/* the leaf's SPKI, for report version 2 */
	BIO *b = BIO_new_mem_buf(json_string_value(json_array_get(chain, 0)), -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	unsigned char *spki = NULL;
	int n = x ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki) : -1;
	if (n > 0)
		SHA256(spki, (size_t)n, gw.tls_spki_sha256);
	OPENSSL_free(spki);
	X509_free(x);
	BIO_free(b);
	release_secret(r, "key");
	if (n <= 0) {
		snprintf(err, cap, "vouchd's TLS certificate does not parse");
		return -1;
	}
	return 0;
}

static int parse_listen(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof host)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return *end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &sa->sin_addr) != 1 ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"backend", required_argument, 0, 'b'},     {"listen", required_argument, 0, 'l'},
		{"vouchd", required_argument, 0, 'd'},      {"token-file", required_argument, 0, 't'},
		{"tls", no_argument, 0, 'T'},               {"tls-name", required_argument, 0, 'n'},
		{"key-prefix", required_argument, 0, 'k'},  {"journal", required_argument, 0, 'j'},
		{"max-body", required_argument, 0, 'm'},    {"backend-timeout", required_argument, 0, 'o'},
		{"workers", required_argument, 0, 'w'},     {"help", no_argument, 0, 'h'},
		{"backend-token-file", required_argument, 0, 'B'},
		{"max-connections", required_argument, 0, 'C'}, {"per-ip-connections", required_argument, 0, 'P'},
		{"head-timeout", required_argument, 0, 'H'},    {"body-timeout", required_argument, 0, 'D'},
		{0}};
	unsigned long max_conn = 4096;
	const char *dir = NULL, *token = NULL, *backend_token = NULL;
	gw.cfg = (struct gw_config){.tls_name = "localhost", .journal = "gateway", .key_prefix = "gateway/",
				    .max_body = 4u << 20, .backend_timeout_s = 600, .workers = 8,
				    .per_ip_connections = 128, .head_timeout_s = 30, .body_timeout_s = 120};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': gw.cfg.backend = optarg; break;
		case 'l': gw.cfg.listen = optarg; break;
		case 'd': dir = optarg; break;
		case 't': token = optarg; break;
		case 'B': backend_token = optarg; break;
		case 'T': gw.cfg.tls = 1; break;
		case 'n': gw.cfg.tls_name = optarg; break;
		case 'k': gw.cfg.key_prefix = optarg; break;
		case 'j': gw.cfg.journal = optarg; break;
		case 'm': gw.cfg.max_body = strtoull(optarg, NULL, 10); break;
		case 'o': gw.cfg.backend_timeout_s = strtol(optarg, NULL, 10); break;
		case 'w': gw.cfg.workers = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'C': max_conn = strtoul(optarg, NULL, 10); break;
		case 'P': gw.cfg.per_ip_connections = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'H': gw.cfg.head_timeout_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'D': gw.cfg.body_timeout_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 64;
		}
	}
	struct sockaddr_in sa;
	if (optind != argc || !gw.cfg.backend || !gw.cfg.listen || parse_listen(gw.cfg.listen, &sa) ||
	    gw.cfg.max_body == 0 || gw.cfg.backend_timeout_s <= 0 || gw.cfg.workers == 0 || gw.cfg.workers > 256 ||
	    max_conn == 0 || max_conn > 65536 || gw.cfg.per_ip_connections == 0 || gw.cfg.head_timeout_s == 0 ||
	    gw.cfg.head_timeout_s > 86400 || gw.cfg.body_timeout_s == 0 || gw.cfg.body_timeout_s > 86400) {
		if (gw.cfg.listen && parse_listen(gw.cfg.listen, &sa))
			fprintf(stderr, "vouch-gateway: --listen %s: expected an IPv4 ADDR:PORT\n", gw.cfg.listen);
		usage(stderr);
		return 64;
	}
	char dbuf[4096], err[512];
	if (!dir)
		dir = vouch_default_listen_dir(dbuf, sizeof dbuf);
	if (vc_socket_path(dir, &gw.cfg.vouchd_sock, err, sizeof err)) {
		fprintf(stderr, "vouch-gateway: --vouchd %s\n", err);
		return 69;
	}
	/* A thread per connection: without a cap, glibc gives busy threads arenas of their own that keep memory.
	 * A fixed mmap threshold: glibc's moving one would put the streams' large buffers in those arenas once
	 * the first were freed, where fragmentation keeps them. */
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	/* a client's connection takes up to 6 open files (its socket; the backend's, kept between requests; the
	 * curl multi handle's pair; while a backend name is resolved, two more): the soft file limit up to the
	 * hard one, and fewer clients if still low */
	unsigned long files = vouch_file_limit_raise();
	gw.cfg.max_connections = (unsigned)max_conn;
	if (files < 6ul * gw.cfg.max_connections + 256) {
		gw.cfg.max_connections = files > 352 ? (unsigned)((files - 256) / 6) : 16;
		fprintf(stderr, "vouch-gateway: file limit %lu: serving at most %u clients at once\n", files,
			gw.cfg.max_connections);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	/* SIGTERM and SIGINT blocked in every thread (they inherit the mask) and taken by sigwait below */
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	if (token && !(gw.cfg.token = read_token("token-file", token)))
		return 66;
	char *t = backend_token ? read_token("backend-token-file", backend_token) : NULL;
	if (backend_token && !t)
		return 66;
	int no_headers = proxy_headers(&gw, t);
	if (t)
		vouch_wipe(t, strlen(t));
	free(t);
	if (no_headers)
		return 71;
	if (setup_keys(err, sizeof err) || (gw.cfg.tls && setup_tls(err, sizeof err)) || receipts_start(&gw, err, sizeof err)) {
		fprintf(stderr, "vouch-gateway: %s\n", err);
		return 69;
	}
	if (server_start(&gw, (const struct sockaddr *)&sa, err, sizeof err)) {
		fprintf(stderr, "vouch-gateway: %s\n", err);
		return 69;
	}
	/* printed once the socket listens (the line a supervisor or a test waits for), with the port the system
	 * chose under --listen ADDR:0 */
	const union MHD_DaemonInfo *bound = MHD_get_daemon_info(gw.daemon, MHD_DAEMON_INFO_BIND_PORT);
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
	fprintf(stderr, "vouch-gateway: serving %s://%s:%u -> %s; ecdsa %s, ed25519 %s; receipts in journal %s\n",
		gw.cfg.tls ? "https" : "http", host, bound && bound->port ? bound->port : ntohs(sa.sin_port),
		gw.cfg.backend,
		gw.ecdsa_addr_text, gw.ed25519_hex, gw.cfg.journal);
	int sig;
	sigwait(&stop_signals, &sig);
	/* transfers still running (a stream, a slow backend) end now instead of at their timeouts, so that the
	 * receipts of delivered answers are signed before the process goes */
	atomic_store(&gw.stopping, 1);
	MHD_stop_daemon(gw.daemon);
	http_guard_stop(gw.guard);
	receipts_stop(&gw);
	free(gw.cfg.vouchd_sock);
	if (gw.cfg.token)
		vouch_wipe(gw.cfg.token, strlen(gw.cfg.token));
	proxy_headers_free(&gw);
	free(gw.cfg.token);
	if (gw.tls_key_pem)
		vouch_wipe(gw.tls_key_pem, strlen(gw.tls_key_pem));
	free(gw.tls_key_pem);
	free(gw.tls_cert_pem);
	curl_global_cleanup();
	return 0;
}
