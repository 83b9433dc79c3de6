/* What `vouch verify` and `vouch collateral` share: the options, obtaining collateral, verifying. */
#ifndef VOUCH_VERIFY_COMMON_H
#define VOUCH_VERIFY_COMMON_H

#include <stdint.h>

#include "vouch/dcap.h"
#include "vouch/fetch.h"
#include "pins.h"

struct verify_args {
	const char *collateral;  /* --collateral FILE */
	int no_collateral;
	vouch_fetch_opts fetch;  /* --pccs, --cache-dir, --offline */
	const char *root;        /* --root DER */
	int64_t now;
	unsigned flags;          /* VOUCH_ALLOW_* */
	unsigned accept;         /* bitmask of accepted vouch_tcb_status */
	int have_accept;
	int json;
	const char *attestation; /* --attestation FILE */
	const char *ratls;       /* --ratls CERT */
	const char *ca;          /* --ca CERT: the issuer of the --ratls certificate */
	struct pins pins;        /* --expect-compose-hash, --expect-app-id, --expect-mrtd */
};

/* The options of every verb that verifies a quote, as getopt_long entries with codes from VO_COLL up:
 * where collateral comes from (--collateral, --pccs, --cache-dir, --offline), and how the quote is judged
 * (--root, --now, --allow-debug). */
enum { VO_COLL = 0x1000, VO_PCCS, VO_CACHE, VO_OFFLINE, VO_ROOT, VO_NOW, VO_DEBUG };
#define VERIFY_COLLATERAL_OPTIONS                                                                                \
	{"collateral", required_argument, 0, VO_COLL}, {"pccs", required_argument, 0, VO_PCCS},                 \
	{"cache-dir", required_argument, 0, VO_CACHE}, {"offline", no_argument, 0, VO_OFFLINE}
#define VERIFY_QUOTE_OPTIONS                                                                                     \
	VERIFY_COLLATERAL_OPTIONS, {"root", required_argument, 0, VO_ROOT}, {"now", required_argument, 0, VO_NOW}, \
	{"allow-debug", no_argument, 0, VO_DEBUG}
/* Takes one of those options (or a pin, pins.h) into a: 1 when opt is one (-1 after saying why its value is bad), 0 when not. */
int verify_option(struct verify_args *a, int opt, const char *arg, const char *verb);
/* One source of collateral at most: --collateral, --no-collateral, or fetching (--pccs/--offline). Returns 0,
 * or EXIT_USAGE after saying why. */
int verify_options_check(const struct verify_args *a, const char *verb);

/* Collateral per the options: read from --collateral, none (*out zeroed, *none = 1), or fetched (cache
 * directory defaulted). Returns -1 when *out is ready, else an exit code after printing why. */
int obtain_collateral(const struct verify_args *a, const uint8_t *quote, size_t len, vouch_collateral_src *out, int *none);

/* After verifying without collateral because obtain_collateral returned -2 (obtained): a verdict that passed
 * anyway is refused (EXIT_UNAVAILABLE, said) — "without collateral" only ever comes from --no-collateral.
 * Returns -1 otherwise. */
int collateral_was_had(int obtained, int verified);

/* Verifies quote bytes per the options into *v. Returns -1 when *v holds a verdict (valid or not), else an
 * exit code after printing why (no collateral, unreadable root). */
int verify_quote_bytes(const struct verify_args *a, const uint8_t *quote, size_t len, vouch_verdict *v);

/* DCAP and event-log verification of dstack evidence per the options (collateral, root, time). Returns -1 when
 * *r and *v hold the result, else an exit code after printing why. */
struct vouch_dstack_evidence;
struct vouch_dstack_result;
int verify_evidence(const struct verify_args *a, const struct vouch_dstack_evidence *ev, struct vouch_dstack_result *r,
		    vouch_verdict *v);

/* --attestation: a dstack GetQuote/Attest response. Prints the result; returns the exit code. */
int verify_attestation(const struct verify_args *a);

#endif
