/* Collateral for a verification: a file, none, or the fetcher and its cache; then vouch_verify. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "verify_common.h"
#include "vouch/dcap.h"
#include "vouch/err.h"

int verify_option(struct verify_args *a, int opt, const char *arg, const char *verb)
{
	switch (opt) {
	case VO_COLL: a->collateral = arg; return 1;
	case VO_PCCS: a->fetch.pccs_url = arg; return 1;
	case VO_CACHE: a->fetch.cache_dir = arg; return 1;
	case VO_OFFLINE: a->fetch.offline = 1; return 1;
	case VO_ROOT: a->root = arg; return 1;
	case VO_DEBUG: a->flags |= VOUCH_ALLOW_DEBUG; return 1;
	case VO_NOW:
		if (parse_now(arg, &a->now)) {
			errorf(verb, "--now: \"%s\" is neither Unix seconds nor an RFC 3339 date", arg);
			return -1;
		}
		return 1;
	default: return pin_option(&a->pins, opt, arg, verb);
	}
}

int verify_options_check(const struct verify_args *a, const char *verb)
{
	if ((a->collateral != NULL) + a->no_collateral > 1 ||
	    ((a->collateral || a->no_collateral) && (a->fetch.pccs_url || a->fetch.offline))) {
		errorf(verb, "choose one of --collateral, --no-collateral or fetching (--pccs/--offline)");
		return EXIT_USAGE;
	}
	return 0;
}

/* The fetcher's errors that come before any request (vouch/fetch.h): the quote does not decode, or its PCK
 * chain gives no FMSPC. Every other failure is collateral asked for and not had (exit 69): a server that
 * answers garbage must never turn into "verified without collateral". */
static int quote_names_no_platform(int err)
{
	return (err <= VOUCH_E_QUOTE_TRUNCATED && err > VOUCH_E_DER) || /* quote decoding, header policy */
	       (err <= VOUCH_E_DER && err > VOUCH_E_COLLATERAL) ||       /* the quote's PCK chain, SGX extension */
	       err == VOUCH_E_PEM || err == VOUCH_E_BASE64;
}

int obtain_collateral(const struct verify_args *a, const uint8_t *quote, size_t len, vouch_collateral_src *out, int *none)
{
	char msg[512];
	memset(out, 0, sizeof *out);
	*none = 0;
	if (a->no_collateral) {
		*none = 1;
		return -1;
	}
	if (a->collateral) {
		size_t n;
		uint8_t *text = read_file(a->collateral, 16u << 20, &n);
		if (!text)
			return EXIT_NOINPUT;
		int err = vouch_collateral_parse_json(out, (const char *)text, n, msg, sizeof msg);
		free(text);
		if (err) {
			errorf("verify", "%s: %s", a->collateral, msg);
			return EXIT_INVALID;
		}
		return -1;
	}
	vouch_fetch_opts o = a->fetch;
	char dir[4096];
	if (!o.cache_dir)
		o.cache_dir = vouch_default_cache_dir(dir, sizeof dir);
	if (o.cache_dir && !*o.cache_dir) /* --no-cache */
		o.cache_dir = NULL;
	if (!o.pccs_url)
		o.pccs_url = getenv("VOUCH_PCCS_URL");
	o.now = a->now;
	vouch_fetch_source src;
	int err = vouch_collateral_fetch(out, &src, quote, len, &o, msg, sizeof msg);
	if (err && quote_names_no_platform(err))
		return -2; /* the quote gives no platform to fetch for: let verification report why */
	if (err) {
		errorf("verify", "collateral: %s", msg);
		fprintf(stderr, "  (give it with --collateral FILE, or verify without it: --no-collateral)\n");
		return EXIT_UNAVAILABLE;
	}
	if (src == VOUCH_FETCH_CACHE_STALE)
		fprintf(stderr, "vouch: note: --offline: using expired cached collateral\n");
	if (src == VOUCH_FETCH_NETWORK_UNCACHED)
		fprintf(stderr, "vouch: note: collateral fetched but the cache in %s could not be written\n", o.cache_dir);
	return -1;
}

int collateral_was_had(int obtained, int verified)
{
	if (obtained == -2 && verified) { /* cannot happen (what stops the fetch stops verification): never pass */
		errorf("verify", "no collateral could be fetched for this quote");
		return EXIT_UNAVAILABLE;
	}
	return -1;
}

int verify_quote_bytes(const struct verify_args *a, const uint8_t *quote, size_t len, vouch_verdict *v)
{
	vouch_collateral_src src;
	int none;
	int rc = obtain_collateral(a, quote, len, &src, &none);
	if (rc >= 0)
		return rc;
	vouch_verify_opts o = {NULL, 0, a->flags};
	uint8_t *root = NULL;
	if (a->root) {
		size_t n;
		root = read_file(a->root, 1u << 20, &n);
		if (!root) {
			vouch_collateral_src_free(&src);
			return EXIT_NOINPUT;
		}
		o.root_der = root;
		o.root_der_len = n;
	}
	/* rc == -2: the quote does not decode; verify without collateral so the verdict names the decoding error */
	vouch_verify_with(v, &o, rc == -2 || none ? NULL : &src, quote, len, a->now);
	rc = collateral_was_had(rc, v->ok);
	vouch_collateral_src_free(&src);
	free(root);
	return rc;
}
