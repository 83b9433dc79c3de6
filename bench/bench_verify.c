/* Verification benchmark: cold (every signature and CRL each call) and warm (collateral kept in a
 * vouch_collateral handle) on the TDX and SGX vectors, printed against
 *   - the floor: the P-256 verifications the path performs (counted) × OpenSSL's single P-256 verify time,
 *     measured here with a ready key on a ready digest;
 *   - the peer: @phala/dcap-qvl (node, bench/dcap-qvl-peer.mjs), same vectors, same `now`.
 * Then N cold verifications in this process with the resident set size sampled along the way.
 * Pinned to one CPU (the peer too). Rates are medians of batches; the machine is noisy.
 *
 *   bench_verify [--vectors DIR] [--batches N] [--rss N] [--no-peer]
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OPENSSL_SUPPRESS_DEPRECATED /* EC_KEY: the interface libvouch verifies with */
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include "bench_util.h"
#include "vouch/dcap.h"


static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[n / 2];
}

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "bench_verify: cannot open %s\n", path);
		exit(66);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
		exit(70);
	b[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* OpenSSL's P-256 verification with everything ready, the floor's unit: the faster of its two interfaces
 * (EVP with a prepared context; EC_KEY, which libvouch uses), each the median of batches, in seconds. */
static double p256_unit(int batches)
{
	EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
	EC_KEY_generate_key(ec);
	EVP_PKEY *k = EVP_PKEY_new();
	EVP_PKEY_set1_EC_KEY(k, ec);
	uint8_t digest[32], sig[80];
	size_t sig_len = sizeof sig;
	memset(digest, 0x5a, sizeof digest);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	EVP_PKEY_sign_init(c);
	EVP_PKEY_sign(c, sig, &sig_len, digest, 32);
	EVP_PKEY_CTX_free(c);
	c = EVP_PKEY_CTX_new(k, NULL);
	EVP_PKEY_verify_init(c);
	double evp[32], low[32];
	int per = 2000;
	for (int b = 0; b < batches; b++) {
		double s = now_s();
		for (int i = 0; i < per; i++)
			if (EVP_PKEY_verify(c, sig, sig_len, digest, 32) != 1)
				exit(70);
		evp[b] = (now_s() - s) / per;
		s = now_s();
		for (int i = 0; i < per; i++)
			if (ECDSA_verify(0, digest, 32, sig, (int)sig_len, ec) != 1)
				exit(70);
		low[b] = (now_s() - s) / per;
	}
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(k);
	EC_KEY_free(ec);
	double a = median(evp, batches), b = median(low, batches);
	return a < b ? a : b;
}

typedef struct vec {
	const char *name;
	uint8_t *quote;
	size_t quote_len;
	char *coll_text;
	vouch_collateral_src coll;
	int64_t now;
} vec;

/* Seconds per verification (median of batches) and the P-256 verifications one call makes. */
static double measure(vec *v, int warm, int batches, uint64_t *verifs)
{
	static vouch_verdict out;
	vouch_collateral *h = NULL;
	if (warm) {
		vouch_collateral_open(&h, &v->coll);
		vouch_verify(&out, NULL, h, v->quote, v->quote_len, v->now); /* fills the cache */
	}
	uint64_t c0 = vouch_p256_verify_count();
	int err = warm ? vouch_verify(&out, NULL, h, v->quote, v->quote_len, v->now)
		       : vouch_verify_with(&out, NULL, &v->coll, v->quote, v->quote_len, v->now);
	if (err) {
		fprintf(stderr, "bench_verify: %s does not verify: %s\n", v->name, out.error);
		exit(70);
	}
	*verifs = vouch_p256_verify_count() - c0;
	int per = warm ? 1000 : 400;
	double t[32];
	for (int b = 0; b < batches; b++) {
		double s = now_s();
		for (int i = 0; i < per; i++)
			if (warm)
				vouch_verify(&out, NULL, h, v->quote, v->quote_len, v->now);
			else
				vouch_verify_with(&out, NULL, &v->coll, v->quote, v->quote_len, v->now);
		t[b] = (now_s() - s) / per;
	}
	vouch_collateral_close(h);
	return median(t, batches);
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The JS peer's rates, or 0 with the reason printed. */
static void peer_rates(const char *vectors, double *tdx, double *sgx)
{
	char cmd[2048], line[512] = {0};
	*tdx = *sgx = 0;
	snprintf(cmd, sizeof cmd, "taskset -c 0 node %s/dcap-qvl-peer.mjs %s 5 200 2>&1", VOUCH_BENCH_DIR, vectors);
	FILE *p = popen(cmd, "r");
	if (!p || !fgets(line, sizeof line, p) ||
	    sscanf(line, "{\"tdx\":{\"rate\":%lf},\"sgx\":{\"rate\":%lf}}", tdx, sgx) != 2) {
		printf("peer @phala/dcap-qvl: NOT MEASURED (%s)%s\n", line[0] ? strtok(line, "\n") : "node failed",
		       " - run scripts/install-deps --npm");
		*tdx = *sgx = 0;
	}
	if (p)
		pclose(p);
}

int main(int argc, char **argv)
{
	const char *vectors = VOUCH_VECTORS_DIR "/dcap";
	int batches = 9, peer = 1;
	long rss_n = 100000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--vectors") && i + 1 < argc)
			vectors = argv[++i];
		else if (!strcmp(argv[i], "--batches") && i + 1 < argc)
			batches = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rss") && i + 1 < argc)
			rss_n = atol(argv[++i]);
		else if (!strcmp(argv[i], "--no-peer"))
			peer = 0;
		else {
			fprintf(stderr, "usage: bench_verify [--vectors DIR] [--batches N] [--rss N] [--no-peer]\n");
			return 64;
		}
	}
	if (batches < 3 || batches > 31)
		batches = 9;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	int pinned = sched_setaffinity(0, sizeof one, &one) == 0;

	vec vs[2];
	memset(vs, 0, sizeof vs);
	vs[0].name = "tdx", vs[0].now = 1752919234;
	vs[1].name = "sgx", vs[1].now = 1752919277;
	const char *files[2][2] = {{"tdx_quote", "tdx_quote_collateral.json"}, {"sgx_quote", "sgx_quote_collateral.json"}};
	for (int i = 0; i < 2; i++) {
		size_t n;
		char msg[128];
		vs[i].quote = slurp(vectors, files[i][0], &vs[i].quote_len);
		vs[i].coll_text = (char *)slurp(vectors, files[i][1], &n);
		if (vouch_collateral_parse_json(&vs[i].coll, vs[i].coll_text, n, msg, sizeof msg))
			return 70;
	}
	char date[32];
	time_t t = time(NULL);
	strftime(date, sizeof date, "%Y-%m-%d", gmtime(&t));
	printf("vouch verification benchmark, %s, %s, %s\n", date, OPENSSL_VERSION_TEXT,
	       pinned ? "pinned to CPU 0" : "NOT pinned");
	double unit = p256_unit(batches);
	printf("floor unit: OpenSSL P-256 verify, ready key and digest (faster of EVP and EC_KEY): %.1f us (%.0f/s)\n\n", unit * 1e6, 1 / unit);

	double js[2] = {0, 0};
	if (peer)
		peer_rates(vectors, &js[0], &js[1]);
	else
		printf("peer @phala/dcap-qvl: NOT MEASURED (--no-peer)\n");

	printf("%-5s %-5s %7s %9s %9s %9s %8s %10s %8s\n", "quote", "mode", "P-256", "verify/s", "us/call",
	       "floor us", "x floor", "js/s", "x js");
	for (int i = 0; i < 2; i++)
		for (int warm = 0; warm < 2; warm++) {
			uint64_t verifs;
			double s = measure(&vs[i], warm, batches, &verifs);
			double floor_s = (double)verifs * unit;
			char jsr[16] = "-", jsx[16] = "-";
			if (js[i] > 0) {
				snprintf(jsr, sizeof jsr, "%.0f", js[i]);
				snprintf(jsx, sizeof jsx, "%.1f", 1 / s / js[i]);
			}
			printf("%-5s %-5s %7llu %9.0f %9.1f %9.1f %8.2f %10s %8s\n", vs[i].name, warm ? "warm" : "cold",
			       (unsigned long long)verifs, 1 / s, s * 1e6, floor_s * 1e6, s / floor_s, jsr, jsx);
		}

	if (rss_n > 0) {
		static vouch_verdict out;
		long r10 = 0;
		double s = now_s();
		for (long i = 1; i <= rss_n; i++) {
			vec *v = &vs[i & 1];
			if (vouch_verify_with(&out, NULL, &v->coll, v->quote, v->quote_len, v->now))
				return 70;
			if (i == rss_n / 10)
				r10 = rss_kib();
		}
		long r100 = rss_kib();
		printf("\nRSS over %ld cold verifications (TDX and SGX alternating, %.1f s): %.2f MiB at %ld, %.2f MiB at "
		       "%ld (%+ld KiB)\n",
		       rss_n, now_s() - s, r10 / 1024.0, rss_n / 10, r100 / 1024.0, rss_n, r100 - r10);
	}
	printf("\ngoals (one core): cold >= 1000/s and <= 1.25x floor; warm >= 4000/s; >= 10x @phala/dcap-qvl\n");
	for (int i = 0; i < 2; i++) {
		vouch_collateral_src_free(&vs[i].coll);
		free(vs[i].coll_text);
		free(vs[i].quote);
	}
	return 0;
}
