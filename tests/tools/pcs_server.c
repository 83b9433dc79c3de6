/* A local HTTP server that answers like Intel PCS API v4 / a PCCS, from collateral files in dcap-qvl's
 * JSON format. It exists so the fetch path is tested against a real HTTP server over a real socket.
 *
 *   pcs_server [--port N] FILE...     (each FILE: collateral JSON; prints "port N" when ready)
 *
 * A file whose tcb_info id is "TDX" answers /tdx/… and the Platform CA's pckcrl; "SGX" answers /sgx/… and
 * the Processor CA's (true for the shared vectors). Routes:
 *   GET /sgx/certification/v4/pckcrl?ca=platform|processor[&encoding=der]  DER; SGX-PCK-CRL-Issuer-Chain
 *   GET /sgx/certification/v4/rootcacrl                                      hex text (as a PCCS does)
 *   GET /{sgx,tdx}/certification/v4/tcb?fmspc=HEX      {"tcbInfo":…,"signature":…}; TCB-Info-Issuer-Chain
 *   GET /{sgx,tdx}/certification/v4/qe/identity        {"enclaveIdentity":…}; SGX-Enclave-Identity-Issuer-Chain
 *   GET /stats                                         {"requests": N} (not counted)
 *   prefix /fail500/… answers 500; prefix /garbage/… answers 200 with a body that is not PCS format.
 *   prefix /MODE-PART/… (MODE empty or garbage; PART pckcrl, rootcacrl, tcb or qe) answers that one endpoint
 *   with HTTP 200 and an empty body or one that is not PCS format, keeping its headers; the others as usual.
 *   prefix /redirect-same/… answers 302 to the same path without the prefix on this host and port;
 *   /redirect-away/… answers 302 to it on "localhost" (the same server under another host name).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "vouch/dcap.h"
#include "vouch/util.h"

struct coll {
	char *text;
	vouch_collateral_src src;
	int tdx;
};

static struct coll colls[4];
static int n_colls;
static unsigned long requests;

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	if (b)
		b[n] = 0;
	fclose(f);
	return b;
}

/* Percent-encoding of a header value, as Intel sends the PEM chains. */
static char *urlencode(const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char *o = malloc(3 * n + 1), *q = o;
	for (size_t i = 0; o && i < n; i++) {
		unsigned char c = p[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			*q++ = (char)c;
		else
			*q++ = '%', *q++ = hex[c >> 4], *q++ = hex[c & 15];
	}
	if (o)
		*q = 0;
	return o;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const void *body, size_t len,
			     const char *type, const char *hname, const vouch_bytes *hval)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", type);
	if (hname && hval) {
		char *v = urlencode(hval->p, hval->len);
		MHD_add_response_header(r, hname, v);
		free(v);
	}
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Appends "?k=v" or "&k=v" to the query being rebuilt in cls (256 bytes). */
static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	(void)kind;
	char *q = cls;
	size_t n = strlen(q);
	snprintf(q + n, 256 - n, "%c%s=%s", n ? '&' : '?', k, v ? v : "");
	return MHD_YES;
}

static struct coll *find(int tdx)
{
	for (int i = 0; i < n_colls; i++)
		if (colls[i].tdx == tdx)
			return &colls[i];
	return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_len, void **state)
{
	(void)cls, (void)version, (void)upload, (void)upload_len, (void)state;
	if (strcmp(method, "GET") != 0)
		return reply(c, 405, "", 0, "text/plain", NULL, NULL);
	if (strcmp(url, "/stats") == 0) {
		char b[64];
		int n = snprintf(b, sizeof b, "{\"requests\": %lu}\n", requests);
		return reply(c, 200, b, (size_t)n, "application/json", NULL, NULL);
	}
	requests++;
	if (strncmp(url, "/fail500/", 9) == 0)
		return reply(c, 500, "{\"error\":\"test\"}", 16, "application/json", NULL, NULL);
	if (strncmp(url, "/redirect-same/", 15) == 0 || strncmp(url, "/redirect-away/", 15) == 0) {
		const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
		const char *port = host ? strrchr(host, ':') : NULL;
		char loc[512], query[256] = "";
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, query);
		snprintf(loc, sizeof loc, "http://%s%s%s%s", url[10] == 's' ? "127.0.0.1" : "localhost", port ? port : "",
			 url + 14, query);
		struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "Location", loc);
		enum MHD_Result ret = MHD_queue_response(c, 302, r);
		MHD_destroy_response(r);
		return ret;
	}
	/* which endpoint answers badly, and how: 0 none, 1 garbage, 2 empty */
	int garbage = 0;
	const char *bad_part = NULL;
	if (strncmp(url, "/garbage/", 9) == 0) {
		garbage = 1;
		url += 8;
	} else if (strncmp(url, "/empty-", 7) == 0 || strncmp(url, "/garbage-", 9) == 0) {
		garbage = url[1] == 'e' ? 2 : 1;
		bad_part = strchr(url, '-') + 1;
		const char *slash = strchr(bad_part, '/');
		if (!slash)
			return reply(c, 404, "", 0, "text/plain", NULL, NULL);
		url = slash;
	}
#define BAD(part) (garbage && (!bad_part || strncmp(bad_part, part "/", strlen(part) + 1) == 0))
	int tdx = strncmp(url, "/tdx/", 5) == 0;
	if (!tdx && strncmp(url, "/sgx/", 5) != 0)
		return reply(c, 404, "", 0, "text/plain", NULL, NULL);
	const char *api = url + 4;
	if (strncmp(api, "/certification/v4/", 18) != 0)
		return reply(c, 404, "", 0, "text/plain", NULL, NULL);
	api += 18;
	struct coll *k = NULL;
	if (strcmp(api, "pckcrl") == 0) {
		const char *ca = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ca");
		if (!ca)
			return reply(c, 400, "", 0, "text/plain", NULL, NULL);
		k = find(strcasecmp(ca, "platform") == 0);
		if (!k)
			return reply(c, 404, "", 0, "text/plain", NULL, NULL);
		if (BAD("pckcrl"))
			return reply(c, 200, "nope", garbage == 2 ? 0 : 4, "application/octet-stream", "SGX-PCK-CRL-Issuer-Chain",
				     &k->src.pck_crl_issuer_chain);
		return reply(c, 200, k->src.pck_crl.p, k->src.pck_crl.len, "application/pkix-crl",
			     "SGX-PCK-CRL-Issuer-Chain", &k->src.pck_crl_issuer_chain);
	}
	if (strcmp(api, "rootcacrl") == 0) {
		k = &colls[0];
		if (BAD("rootcacrl"))
			return reply(c, 200, "0a0b", garbage == 2 ? 0 : 4, "text/plain", NULL, NULL);
		char *hex = malloc(2 * k->src.root_ca_crl.len + 1);
		vouch_hex_encode(hex, k->src.root_ca_crl.p, k->src.root_ca_crl.len);
		enum MHD_Result r = reply(c, 200, hex, strlen(hex), "text/plain", NULL, NULL);
		free(hex);
		return r;
	}
	k = find(tdx);
	if (!k)
		return reply(c, 404, "", 0, "text/plain", NULL, NULL);
	const char *key = NULL, *hname = NULL, *part = NULL;
	const vouch_bytes *text = NULL, *chain = NULL;
	const uint8_t *sig = NULL;
	if (strcmp(api, "tcb") == 0) {
		key = "tcbInfo", hname = "TCB-Info-Issuer-Chain", part = "tcb";
		text = &k->src.tcb_info, chain = &k->src.tcb_info_issuer_chain, sig = k->src.tcb_info_signature;
	} else if (strcmp(api, "qe/identity") == 0) {
		key = "enclaveIdentity", hname = "SGX-Enclave-Identity-Issuer-Chain", part = "qe";
		text = &k->src.qe_identity, chain = &k->src.qe_identity_issuer_chain, sig = k->src.qe_identity_signature;
	} else {
		return reply(c, 404, "", 0, "text/plain", NULL, NULL);
	}
	/* Intel's exact response form: {"tcbInfo":<signed text>,"signature":"<hex>"} */
	size_t n = text->len + 200;
	char *body = malloc(n), sighex[129];
	vouch_hex_encode(sighex, sig, 64);
	int bad = garbage && (!bad_part || strncmp(bad_part, part, strlen(part)) == 0);
	int len = bad && garbage == 2 ? 0
		: bad ? snprintf(body, n, "{\"%s\": 1}", key)
			  : snprintf(body, n, "{\"%s\":%.*s,\"signature\":\"%s\"}", key, (int)text->len,
				     (const char *)text->p, sighex);
	enum MHD_Result r = reply(c, 200, body, (size_t)len, "application/json", hname, chain);
	free(body);
	return r;
}

static volatile sig_atomic_t stop;

static void on_signal(int s)
{
	(void)s;
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned port = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			port = (unsigned)atoi(argv[++i]);
			continue;
		}
		if (n_colls == 4)
			return 64;
		struct coll *k = &colls[n_colls];
		char msg[128];
		if (!(k->text = read_all(argv[i])) ||
		    vouch_collateral_parse_json(&k->src, k->text, strlen(k->text), msg, sizeof msg)) {
			fprintf(stderr, "pcs_server: %s: cannot load collateral\n", argv[i]);
			return 66;
		}
		k->tdx = k->src.tcb_info.len > 8 && memcmp(k->src.tcb_info.p, "{\"id\":\"TDX\"", 11) == 0;
		n_colls++;
	}
	if (!n_colls) {
		fprintf(stderr, "usage: pcs_server [--port N] COLLATERAL.json...\n");
		return 64;
	}
	struct sockaddr_in addr; /* loopback only */
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port,
						NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &addr,
						MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "pcs_server: cannot listen on port %u\n", port);
		return 69;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("port %u\n", info ? info->port : port);
	fflush(stdout);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	for (int i = 0; i < n_colls; i++) {
		vouch_collateral_src_free(&colls[i].src);
		free(colls[i].text);
	}
	return 0;
}
