/* The collateral fetcher against a real local HTTP server (tests/tools/pcs_server) answering in Intel PCS
 * format from the shared collateral: fetched bytes equal the originals, the quote verifies with them, the
 * cache is used until nextUpdate, --offline never touches the network, and server failures are named. */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "internal.h"
#include "test.h"
#include "vouch/fetch.h"

#define TDX_NOW 1752919234

static pid_t server;
static char base[64];
static char cache[64];

static void start_server(void)
{
	int fds[2];
	if (pipe(fds))
		abort();
	server = fork();
	if (server == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(VOUCH_PCS_SERVER, "pcs_server", VOUCH_VECTORS_DIR "/dcap/tdx_quote_collateral.json",
		      VOUCH_VECTORS_DIR "/dcap/sgx_quote_collateral.json", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char line[64] = {0};
	ssize_t n = read(fds[0], line, sizeof line - 1);
	close(fds[0]);
	unsigned port;
	if (n <= 0 || sscanf(line, "port %u", &port) != 1) {
		fprintf(stderr, "pcs_server did not start\n");
		abort();
	}
	snprintf(base, sizeof base, "http://127.0.0.1:%u", port);
}

static void stop_server(void)
{
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
	strncat(ud, p, s * n < 63 ? s * n : 63);
	return s * n;
}

/* Requests the server has answered so far. */
static long requests(void)
{
	char url[96], body[64] = {0};
	snprintf(url, sizeof url, "%s/stats", base);
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_perform(c);
	curl_easy_cleanup(c);
	long n = -1;
	sscanf(body, "{\"requests\": %ld}", &n);
	return n;
}

static void fetch_matches_the_originals_and_verifies(void)
{
	size_t qn, cn;
	uint8_t *quote = test_read_quote("dcap/tdx_quote", &qn);
	char *text = (char *)test_read("dcap/tdx_quote_collateral.json", &cn), msg[256];
	vouch_collateral_src want, got;
	CHECK_OK(vouch_collateral_parse_json(&want, text, cn, msg, sizeof msg));
	vouch_fetch_opts o = {base, NULL, 0, TDX_NOW, 5};
	vouch_fetch_source src;
	long before = requests();
	CHECK_OK(vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg));
	CHECK_INT(src, VOUCH_FETCH_NETWORK);
	CHECK_INT(requests() - before, 4); /* pckcrl, rootcacrl, tcb, qe/identity */
#define SAME(f) CHECK(got.f.len == want.f.len && memcmp(got.f.p, want.f.p, want.f.len) == 0)
	SAME(tcb_info);
	SAME(qe_identity);
	SAME(pck_crl);
	SAME(root_ca_crl);
	SAME(tcb_info_issuer_chain);
	SAME(qe_identity_issuer_chain);
	SAME(pck_crl_issuer_chain);
	CHECK(memcmp(got.tcb_info_signature, want.tcb_info_signature, 64) == 0);
	vouch_verdict *v = malloc(sizeof *v);
	CHECK_OK(vouch_verify_with(v, NULL, &got, quote, qn, TDX_NOW));
	CHECK_STR(vouch_tcb_status_name(v->status.status), "UpToDate");
	vouch_collateral_src_free(&got);
	/* the SGX quote: Processor CA, /sgx/ endpoints; a base URL with the API suffix works too */
	free(quote);
	quote = test_read_quote("dcap/sgx_quote", &qn);
	char suffixed[128];
	snprintf(suffixed, sizeof suffixed, "%s/sgx/certification/v4/", base);
	o.pccs_url = suffixed;
	o.now = 1752919277;
	CHECK_OK(vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg));
	CHECK_OK(vouch_verify_with(v, NULL, &got, quote, qn, o.now));
	CHECK_STR(vouch_tcb_status_name(v->status.status), "ConfigurationAndSWHardeningNeeded");
	vouch_collateral_src_free(&got);
	vouch_collateral_src_free(&want);
	free(v);
	free(text);
	free(quote);
}

static void cache_is_used_until_next_update_and_offline_stays_offline(void)
{
	size_t qn;
	uint8_t *quote = test_read_quote("dcap/tdx_quote", &qn);
	char msg[256];
	vouch_collateral_src got;
	vouch_fetch_source src;
	vouch_fetch_opts o = {base, cache, 1, TDX_NOW, 5};
	/* offline with an empty cache: refused, no request */
	long before = requests();
	CHECK_ERR(vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg), VOUCH_E_OFFLINE);
	CHECK_INT(requests(), before);
	/* online: fetched and written to the cache (mode 0600) */
	o.offline = 0;
	CHECK_OK(vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg));
	CHECK_INT(src, VOUCH_FETCH_NETWORK);
	vouch_collateral_src_free(&got);
	CHECK_INT(requests() - before, 4);
	struct stat st;
	char path[256];
	snprintf(path, sizeof path, "%s/collateral-tdx-b0c06f000000-platform-", cache);
	CHECK(stat(cache, &st) == 0 && (st.st_mode & 0777) == 0700);
	DIR *d = opendir(cache);
	struct dirent *de;
	int files = 0;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			char full[512];
			snprintf(full, sizeof full, "%s/%s", cache, de->d_name);
			CHECK(strncmp(full, path, strlen(path)) == 0);
			CHECK(stat(full, &st) == 0 && (st.st_mode & 0777) == 0600);
			files++;
		}
	closedir(d);
	CHECK_INT(files, 1);
	/* again before nextUpdate: from the cache, no request */
	CHECK_OK(vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg));
	CHECK_INT(src, VOUCH_FETCH_CACHE);
	vouch_collateral_src_free(&got);
	CHECK_INT(requests() - before, 4);
	/* offline works from the cache */
	o.offline = 1;
	CHECK_OK(vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg));
	CHECK_INT(src, VOUCH_FETCH_CACHE);
	vouch_collateral_src_free(&got);
	/* at the earliest nextUpdate the entry is stale: offline returns it as such, online refetches */
	o.now = TDX_NOW + 1;
	CHECK_OK(vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg));
	CHECK_INT(src, VOUCH_FETCH_CACHE_STALE);
	vouch_collateral_src_free(&got);
	CHECK_INT(requests() - before, 4);
	o.offline = 0;
	CHECK_OK(vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg));
	CHECK_INT(src, VOUCH_FETCH_NETWORK);
	vouch_collateral_src_free(&got);
	CHECK_INT(requests() - before, 8);
	free(quote);
}

static void server_failures_are_named(void)
{
	size_t qn;
	uint8_t *quote = test_read_quote("dcap/tdx_quote", &qn);
	char msg[256], url[128];
	vouch_collateral_src got;
	vouch_fetch_source src;
	snprintf(url, sizeof url, "%s/fail500", base);
	vouch_fetch_opts o = {url, NULL, 0, TDX_NOW, 5};
	CHECK_ERR(vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg), VOUCH_E_FETCH_HTTP);
	CHECK(strstr(msg, "HTTP 500") && strstr(msg, "/pckcrl"));
	snprintf(url, sizeof url, "%s/garbage", base);
	CHECK_ERR(vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg), VOUCH_E_FETCH_FORMAT);
	CHECK(strstr(msg, "not a CRL") != NULL);
	/* HTTP 200 with an empty or malformed body, for each endpoint in turn: a fetch failure every time, never
	 * collateral (a PCCS must not be able to switch collateral checks off) */
	static const char *const parts[] = {"pckcrl", "rootcacrl", "tcb", "qe"};
	for (size_t i = 0; i < 2 * ARRAY_LEN(parts); i++) {
		snprintf(url, sizeof url, "%s/%s-%s", base, i % 2 ? "garbage" : "empty", parts[i / 2]);
		o.pccs_url = url;
		int e = vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg);
		if (e != VOUCH_E_FETCH_FORMAT)
			fprintf(stderr, "  %s: %s (%s)\n", url, vouch_errname(e), msg);
		CHECK_ERR(e, VOUCH_E_FETCH_FORMAT);
		CHECK(strstr(msg, parts[i / 2][0] == 'q' ? "qe/identity" : parts[i / 2]) != NULL);
		if (!e)
			vouch_collateral_src_free(&got);
	}
	o.pccs_url = "http://127.0.0.1:1"; /* nothing listens there */
	CHECK_ERR(vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg), VOUCH_E_FETCH);
	/* a quote without a PCK chain cannot be fetched for */
	CHECK_ERR(vouch_collateral_fetch(&got, &src, quote, 100, &o, msg, sizeof msg), VOUCH_E_QUOTE_TRUNCATED);
	free(quote);
}

static void redirects_stay_on_the_configured_server(void)
{
	size_t qn;
	uint8_t *quote = test_read_quote("dcap/tdx_quote", &qn);
	char msg[256], url[128];
	vouch_collateral_src got;
	vouch_fetch_source src;
	/* a redirect to the same scheme, host and port is followed */
	snprintf(url, sizeof url, "%s/redirect-same", base);
	vouch_fetch_opts o = {url, NULL, 0, TDX_NOW, 5};
	int e = vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg);
	if (e)
		fprintf(stderr, "  %s\n", msg);
	CHECK_OK(e);
	if (!e)
		vouch_collateral_src_free(&got);
	/* one to another host name (the same server, so following it would succeed) is refused */
	snprintf(url, sizeof url, "%s/redirect-away", base);
	long before = requests();
	CHECK_ERR(vouch_collateral_fetch(&got, &src, quote, qn, &o, msg, sizeof msg), VOUCH_E_FETCH);
	CHECK(strstr(msg, "redirect to http://localhost:") && strstr(msg, "refused"));
	CHECK_INT(requests() - before, 1); /* the redirect itself, nothing at the other host */
	free(quote);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(fetch_matches_the_originals_and_verifies),
		T(cache_is_used_until_next_update_and_offline_stays_offline),
		T(server_failures_are_named),
		T(redirects_stay_on_the_configured_server),
	};
	snprintf(cache, sizeof cache, "/tmp/vouch-test-cache-%d", (int)getpid());
	curl_global_init(CURL_GLOBAL_DEFAULT);
	start_server();
	int rc = test_main(argc, argv, tests, ARRAY_LEN(tests));
	stop_server();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", cache);
	if (system(cmd) != 0)
		rc = 1;
	curl_global_cleanup();
	return rc;
}
