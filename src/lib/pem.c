/* PEM "CERTIFICATE" blocks (RFC 7468) to DER. Intel's chains are concatenated PEM; the chains embedded in
 * quotes end with "\n\0", so NUL bytes count as whitespace between blocks. */
#include "x509.h"
#include "vouch/util.h"

static const char BEGIN[] = "-----BEGIN CERTIFICATE-----";
static const char END[] = "-----END CERTIFICATE-----";

/* base64 digit values; 0xff marks anything else. Built once from the alphabet. */
static int blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0;
}

static const char *find(const char *p, const char *end, const char *needle)
{
	return memmem(p, (size_t)(end - p), needle, strlen(needle));
}

int pem_next(const char **pos, const char *end, uint8_t *out, size_t cap, size_t *out_len)
{
	const char *p = *pos;
	while (p < end && blank((unsigned char)*p))
		p++;
	if (p == end) {
		*pos = p;
		return 0;
	}
	if ((size_t)(end - p) < sizeof BEGIN - 1 || memcmp(p, BEGIN, sizeof BEGIN - 1) != 0)
		return VOUCH_E_PEM;
	const char *body = p + sizeof BEGIN - 1;
	const char *stop = find(body, end, END);
	if (!stop)
		return VOUCH_E_PEM;
	int err = vouch_base64_decode(out, cap, out_len, body, (size_t)(stop - body));
	if (err)
		return err;
	*pos = stop + sizeof END - 1;
	return 1;
}
