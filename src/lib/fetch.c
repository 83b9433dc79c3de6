/* Collateral fetch (Intel PCS API v4 / PCCS) with libcurl, and the on-disk cache. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "chain.h"
#include "crypto.h"
#include "json.h"
#include "vouch/fetch.h"
#include "vouch/util.h"

#define MAX_BODY (4u << 20)

/* A response's body or headers, at most MAX_BODY bytes */
typedef struct sink {
	vouch_buf b;
	int overflow;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	sink *k = ud;
	int e = vouch_buf_add(&k->b, p, size * n, MAX_BODY);
	k->overflow |= e == VOUCH_E_LIMIT;
	return e ? 0 : size * n;
}

typedef struct response {
	long status;
	sink body, headers;
} response;

static void response_free(response *r)
{
	vouch_buf_free(&r->body.b);
	vouch_buf_free(&r->headers.b);
	memset(r, 0, sizeof *r);
}

/* scheme, host and port of a URL (the port defaulted from the scheme), as "scheme://host:port"; 0 or -1. */
static int url_origin(const char *url, char *out, size_t cap)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK;
	if (ok)
		snprintf(out, cap, "%s://%s:%s", scheme, host, port);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok ? 0 : -1;
}

/* GET url, following at most 5 redirects, and only those that stay on the URL's own scheme, host and port:
 * the collateral comes from the server the user configured (a PCCS that redirects elsewhere is refused, so a
 * compromised or misconfigured one cannot hand the fetch to a host nobody chose). */
static int http_get(response *r, const char *url, long timeout_s, char *msg, size_t cap)
{
	memset(r, 0, sizeof *r);
	char origin[1024], next_origin[1024], *next = NULL;
	if (url_origin(url, origin, sizeof origin)) {
		msgf(msg, cap, "GET %s: not a URL", url);
		return VOUCH_E_FETCH;
	}
	CURL *c = curl_easy_init();
	if (!c) {
		msgf(msg, cap, "cannot start libcurl");
		return VOUCH_E_FETCH;
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vouch/0.1");
	CURLcode rc = CURLE_OK;
	int err = 0;
	for (int hop = 0;; hop++) {
		curl_easy_setopt(c, CURLOPT_URL, next ? next : url);
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		char *loc = NULL;
		if (rc != CURLE_OK || r->status < 300 || r->status > 399 ||
		    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || !loc)
			break;
		if (hop == 5) {
			msgf(msg, cap, "GET %s: more than 5 redirects", url);
			err = VOUCH_E_FETCH;
			break;
		}
		if (url_origin(loc, next_origin, sizeof next_origin) || strcmp(origin, next_origin) != 0) {
			msgf(msg, cap, "GET %s: redirect to %.200s refused: collateral is fetched only from %s", url, loc, origin);
			err = VOUCH_E_FETCH;
			break;
		}
		free(next);
		if (!(next = strdup(loc))) {
			err = VOUCH_E_NOMEM;
			break;
		}
		vouch_buf_free(&r->body.b);
		vouch_buf_free(&r->headers.b);
		r->body.overflow = r->headers.overflow = 0;
	}
	free(next);
	curl_easy_cleanup(c);
	if (err) {
		response_free(r);
		return err;
	}
	if (rc != CURLE_OK) {
		msgf(msg, cap, "GET %s: %s", url, r->body.overflow ? "response larger than 4 MiB" : curl_easy_strerror(rc));
		response_free(r);
		return VOUCH_E_FETCH;
	}
	if (r->status != 200) {
		msgf(msg, cap, "GET %s: HTTP %ld", url, r->status);
		response_free(r);
		return VOUCH_E_FETCH_HTTP;
	}
	return 0;
}

static int unhex_digit(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The value of a response header (case-insensitive name), percent-decoded, malloc'd; NULL if absent.
 * With several responses (redirects), the last one's headers win. */
static char *header(const response *r, const char *name)
{
	size_t n = strlen(name);
	const char *p = r->headers.b.p, *end = p ? p + r->headers.b.len : NULL, *found = NULL, *fend = NULL;
	while (p && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			found = p + n + 1;
			fend = eol;
		}
		p = eol + 1;
	}
	if (!found)
		return NULL;
	while (found < fend && (*found == ' ' || *found == '\t'))
		found++;
	while (fend > found && (fend[-1] == '\r' || fend[-1] == ' '))
		fend--;
	char *out = malloc((size_t)(fend - found) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *s = found; s < fend; s++) {
		int hi, lo;
		if (*s == '%' && fend - s >= 3 && (hi = unhex_digit(s[1])) >= 0 && (lo = unhex_digit(s[2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
	return out;
}

/* A CRL body: DER, or DER as hex text (PCCS answers rootcacrl in hex), decoded in place; it must parse as a
 * CRL, so that a server answering 200 with an empty or foreign body is a fetch failure, not collateral. */
static int crl_body(vouch_buf *b)
{
	size_t n;
	if (b->len && (uint8_t)b->p[0] != 0x30) {
		if (vouch_hex_decode((uint8_t *)b->p, b->len, &n, b->p, b->len))
			return VOUCH_E_FETCH_FORMAT;
		b->len = n;
	}
	crl parsed;
	return b->len && crl_parse(&parsed, (const uint8_t *)b->p, b->len) == 0 ? 0 : VOUCH_E_FETCH_FORMAT;
}

/* {"<key>":{…},"signature":"<hex>"}: the object's exact text and the signature. */
static int signed_object(const vouch_buf *b, const char *key, span *text, uint8_t sig[64])
{
	jr j = jr_init(b->p, b->len);
	int n = 0, have_text = 0, have_sig = 0;
	span k, s;
	while (jr_obj_next(&j, &n, &k)) {
		if (jr_str_eq(k, key)) {
			while (j.p < j.end && (*j.p == ' ' || *j.p == '\t' || *j.p == '\r' || *j.p == '\n'))
				j.p++;
			const uint8_t *start = j.p;
			if (j.p == j.end || *j.p != '{' || jr_skip(&j))
				return VOUCH_E_FETCH_FORMAT;
			*text = span_of(start, (size_t)(j.p - start));
			have_text = 1;
		} else if (jr_str_eq(k, "signature")) {
			size_t got;
			if (jr_str(&j, &s) || vouch_hex_decode(sig, 64, &got, (const char *)s.p, s.len) || got != 64)
				return VOUCH_E_FETCH_FORMAT;
			have_sig = 1;
		} else {
			jr_skip(&j);
		}
	}
	return j.err || !have_text || !have_sig ? VOUCH_E_FETCH_FORMAT : 0;
}

/* FMSPC and issuing CA ("platform"/"processor") from the quote's PCK leaf. */
static int quote_platform(const uint8_t *quote, size_t len, int *tdx, uint8_t fmspc[6], const char **ca, char *msg,
			  size_t cap)
{
	vouch_quote q;
	int err = vouch_quote_parse(&q, quote, len);
	if (err) {
		msgf(msg, cap, "%s", vouch_strerror(err));
		return err;
	}
	if (q.cert_type != 5) {
		msgf(msg, cap, "the quote carries certification data type %u; fetching needs a type-5 PCK chain", q.cert_type);
		return VOUCH_E_QUOTE_PCK_FORMAT;
	}
	cert_chain *ch = malloc(sizeof *ch);
	if (!ch)
		return VOUCH_E_NOMEM;
	char m[128], cn[80];
	sgx_ext ext;
	if ((err = chain_load(ch, (const char *)q.cert_data, q.cert_len, m, sizeof m))) {
		msgf(msg, cap, "PCK chain in quote: %s", m);
	} else if ((err = sgx_ext_parse(&ext, ch->certs[0].sgx_ext))) {
		msgf(msg, cap, "PCK certificate has no valid Intel SGX extension");
	} else {
		memcpy(fmspc, ext.fmspc, 6);
		name_cn(cn, sizeof cn, ch->certs[0].issuer);
		*ca = strstr(cn, "Platform") ? "platform" : "processor";
		*tdx = q.tee_type == VOUCH_TEE_TDX;
	}
	free(ch);
	return err;
}

const char *vouch_default_cache_dir(char *out, size_t cap)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	if (x && *x)
		snprintf(out, cap, "%s/vouch", x);
	else if (h && *h)
		snprintf(out, cap, "%s/.cache/vouch", h);
	else
		return NULL;
	return out;
}

static int cache_read(vouch_collateral_src *out, const char *path)
{
	uint8_t *text;
	size_t n;
	char m[128];
	int err = vouch_file_read(path, MAX_BODY, &text, &n);
	if (!err)
		err = vouch_collateral_parse_json(out, (const char *)text, n, m, sizeof m);
	free(text);
	return err;
}

static int cache_write(const char *dir, const char *path, const char *text)
{
	int err = vouch_mkdirs(dir, 0700);
	return err ? err : vouch_file_write_atomic(path, text, strlen(text), 0600);
}

/* Fetches the four parts and assembles dcap-qvl's collateral JSON (malloc'd). */
static int fetch_all(char **json_out, const char *base, int intel, int tdx, const uint8_t fmspc[6], const char *ca,
		     long timeout, char *msg, size_t cap)
{
	const char *tee = tdx ? "tdx" : "sgx";
	char url[4400], fm[13];
	response pck = {0}, root = {0}, tcb = {0}, qe = {0};
	char *pck_chain = NULL, *tcb_chain = NULL, *qe_chain = NULL;
	int err;
	for (int i = 0; i < 6; i++)
		snprintf(fm + 2 * i, 3, "%02X", fmspc[i]);

	snprintf(url, sizeof url, "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der", base, ca);
	if ((err = http_get(&pck, url, timeout, msg, cap)))
		goto out;
	pck_chain = header(&pck, "SGX-PCK-CRL-Issuer-Chain");
	if (!pck_chain || crl_body(&pck.body.b)) {
		msgf(msg, cap, "GET %s: %s", url, pck_chain ? "body is not a CRL" : "no SGX-PCK-CRL-Issuer-Chain header");
		err = VOUCH_E_FETCH_FORMAT;
		goto out;
	}
	/* Intel PCS has no /rootcacrl: the root's CRL distribution point serves it. A PCCS has it. */
	err = VOUCH_E_FETCH;
	if (!intel) {
		snprintf(url, sizeof url, "%s/sgx/certification/v4/rootcacrl", base);
		err = http_get(&root, url, timeout, msg, cap);
	}
	if (err) {
		snprintf(url, sizeof url, "%s", VOUCH_INTEL_ROOT_CRL_URL);
		if ((err = http_get(&root, url, timeout, msg, cap)))
			goto out;
	}
	if (crl_body(&root.body.b)) {
		msgf(msg, cap, "GET %s: body is not a CRL", url);
		err = VOUCH_E_FETCH_FORMAT;
		goto out;
	}
	snprintf(url, sizeof url, "%s/%s/certification/v4/tcb?fmspc=%s", base, tee, fm);
	if ((err = http_get(&tcb, url, timeout, msg, cap)))
		goto out;
	tcb_chain = header(&tcb, "TCB-Info-Issuer-Chain");
	if (!tcb_chain)
		tcb_chain = header(&tcb, "SGX-TCB-Info-Issuer-Chain");
	vouch_collateral_src s;
	memset(&s, 0, sizeof s);
	span t;
	if (!tcb_chain || signed_object(&tcb.body.b, "tcbInfo", &t, s.tcb_info_signature)) {
		msgf(msg, cap, "GET %s: %s", url, tcb_chain ? "not {\"tcbInfo\":…,\"signature\":…}" : "no TCB-Info-Issuer-Chain header");
		err = VOUCH_E_FETCH_FORMAT;
		goto out;
	}
	s.tcb_info = (vouch_bytes){t.p, t.len};
	snprintf(url, sizeof url, "%s/%s/certification/v4/qe/identity?update=standard", base, tee);
	if ((err = http_get(&qe, url, timeout, msg, cap)))
		goto out;
	qe_chain = header(&qe, "SGX-Enclave-Identity-Issuer-Chain");
	if (!qe_chain || signed_object(&qe.body.b, "enclaveIdentity", &t, s.qe_identity_signature)) {
		msgf(msg, cap, "GET %s: %s", url,
		     qe_chain ? "not {\"enclaveIdentity\":…,\"signature\":…}" : "no SGX-Enclave-Identity-Issuer-Chain header");
		err = VOUCH_E_FETCH_FORMAT;
		goto out;
	}
	s.qe_identity = (vouch_bytes){t.p, t.len};
	s.pck_crl_issuer_chain = (vouch_bytes){(const uint8_t *)pck_chain, strlen(pck_chain)};
	s.pck_crl = (vouch_bytes){(const uint8_t *)pck.body.b.p, pck.body.b.len};
	s.root_ca_crl = (vouch_bytes){(const uint8_t *)root.body.b.p, root.body.b.len};
	s.tcb_info_issuer_chain = (vouch_bytes){(const uint8_t *)tcb_chain, strlen(tcb_chain)};
	s.qe_identity_issuer_chain = (vouch_bytes){(const uint8_t *)qe_chain, strlen(qe_chain)};
	*json_out = vouch_collateral_to_json(&s);
	err = *json_out ? 0 : VOUCH_E_NOMEM;
out:
	free(pck_chain);
	free(tcb_chain);
	free(qe_chain);
	response_free(&pck);
	response_free(&root);
	response_free(&tcb);
	response_free(&qe);
	return err;
}

int vouch_collateral_fetch(vouch_collateral_src *out, vouch_fetch_source *source, const uint8_t *quote, size_t len,
			   const vouch_fetch_opts *o, char *msg, size_t cap)
{
	if (!out || !o)
		return VOUCH_E_ARG;
	memset(out, 0, sizeof *out);
	int tdx = 0, err;
	uint8_t fmspc[6];
	const char *ca = NULL;
	if ((err = quote_platform(quote, len, &tdx, fmspc, &ca, msg, cap)))
		return err;

	/* base URL without a trailing slash or API suffix */
	char base[2048];
	snprintf(base, sizeof base, "%s", o->pccs_url && *o->pccs_url ? o->pccs_url : VOUCH_INTEL_PCS_URL);
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		base[--n] = 0;
	static const char *const suffixes[] = {"/sgx/certification/v4", "/tdx/certification/v4"};
	for (size_t i = 0; i < ARRAY_LEN(suffixes); i++) {
		size_t k = strlen(suffixes[i]);
		if (n >= k && strcmp(base + n - k, suffixes[i]) == 0)
			base[n -= k] = 0;
	}
	int intel = strstr(base, "api.trustedservices.intel.com") != NULL;

	char path[4096] = "";
	if (o->cache_dir) {
		uint8_t h[32];
		char fm[13], hh[17];
		sha256(h, base, strlen(base));
		vouch_hex_encode(hh, h, 8);
		vouch_hex_encode(fm, fmspc, 6);
		snprintf(path, sizeof path, "%s/collateral-%s-%s-%s-%s.json", o->cache_dir, tdx ? "tdx" : "sgx", fm, ca, hh);
		if (cache_read(out, path) == 0) {
			int64_t exp;
			if (vouch_collateral_expiry(&exp, out) == 0 && o->now < exp) {
				*source = VOUCH_FETCH_CACHE;
				return 0;
			}
			if (o->offline) {
				*source = VOUCH_FETCH_CACHE_STALE;
				return 0;
			}
			vouch_collateral_src_free(out);
		}
	}
	if (o->offline) {
		msgf(msg, cap, "no collateral for FMSPC in the cache%s%s and --offline forbids fetching",
		     path[0] ? " " : "", path);
		return VOUCH_E_OFFLINE;
	}
	char *json = NULL;
	if ((err = fetch_all(&json, base, intel, tdx, fmspc, ca, o->timeout_s > 0 ? o->timeout_s : 30, msg, cap)))
		return err;
	char m[128];
	if (vouch_collateral_parse_json(out, json, strlen(json), m, sizeof m)) {
		/* what the server sent is not collateral: a fetch failure, never "no collateral needed" */
		msgf(msg, cap, "fetched collateral: %s", m);
		free(json);
		return VOUCH_E_FETCH_FORMAT;
	}
	/* A cache that cannot be written costs a refetch next time, not the verification: reported, not fatal. */
	*source = path[0] && cache_write(o->cache_dir, path, json) != 0 ? VOUCH_FETCH_NETWORK_UNCACHED : VOUCH_FETCH_NETWORK;
	free(json);
	return 0;
}
