/* RA-TLS certificates checked as certificates (vouch_ratls_check_cert): dates, profile, signature. Input: the
 * certificate (DER), then optionally its issuer's certificate (DER) right after it; each input is checked
 * without the issuer, and with it when there is one, at the time tests/vectors/ratls were made.
 * Invariants: an accepted certificate is valid at that time; its signature was checked under the issuer exactly
 * when an issuer was given, else under its own key exactly when it is self-issued; a refusal says why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/dstack.h"

#define MADE_AT 1796322917 /* tests/vectors/ratls/made-at: 2026-12-03T18:35:17Z */

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ratls_cert: invariant broken: %s\n", what);
		abort();
	}
}

/* The length of the DER element at the start of data (tag, definite length up to 4 bytes), or 0. */
static size_t first_element(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t len = data[1], hdr = 2;
	if (len & 0x80) {
		size_t k = len & 0x7f;
		if (k == 0 || k > 4 || size < 2 + k)
			return 0;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | data[2 + i];
		hdr += k;
	}
	return len <= size - hdr ? hdr + len : 0;
}

static void one(const uint8_t *der, size_t len, const uint8_t *issuer, size_t issuer_len)
{
	vouch_ratls_cert c;
	char msg[512] = "";
	int rc = vouch_ratls_check_cert(&c, der, len, issuer, issuer_len, MADE_AT, msg, sizeof msg);
	if (rc) {
		check(rc < 0 && msg[0], "a refused certificate says why");
		return;
	}
	check(c.not_before <= MADE_AT && MADE_AT <= c.not_after, "an accepted certificate is valid now");
	if (issuer)
		check(c.signature == VOUCH_RATLS_SIG_ISSUER, "with an issuer, the signature is checked under its key");
	else
		check(c.signature == (c.self_issued ? VOUCH_RATLS_SIG_SELF : VOUCH_RATLS_SIG_UNCHECKED),
		      "without an issuer, a self-issued certificate is checked under its own key");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = first_element(data, size);
	if (n == 0 || n == size) {
		one(data, size, NULL, 0);
		return 0;
	}
	one(data, n, NULL, 0);
	one(data, n, data + n, size - n);
	return 0;
}
