/* PEM "CERTIFICATE" blocks (RFC 7468) to DER. Intel's chains are concatenated PEM; the chains embedded in
 * quotes end with "\n\0", so NUL bytes count as whitespace between blocks. */
#include "x509.h"

static const char BEGIN[] = "-----BEGIN CERTIFICATE-----";
static const char END[] = "-----END CERTIFICATE-----";

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0;
}

static const char *find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	for (; (size_t)(end - p) >= n; p++)
		if (*p == needle[0] && memcmp(p, needle, n) == 0)
			return p;
	return NULL;
}

/* Strict base64 of a PEM body: whitespace between characters ignored, '=' padding only at the end,
 * unused bits of the last group zero. */
static int b64_decode(const char *p, const char *end, uint8_t *out, size_t cap, size_t *out_len)
{
	uint32_t acc = 0;
	int bits = 0, pad = 0;
	size_t n = 0;
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		int v = b64val(c);
		if (v < 0 || pad)
			return VOUCH_E_BASE64;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return VOUCH_E_LIMIT;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* leftover bits after the last group: 0 → no padding; 4 (two chars) → "=="; 2 (three chars) → "=" */
	if ((bits == 0 && pad) || (bits == 4 && pad != 2) || (bits == 2 && pad != 1) || bits == 6 ||
	    (acc & ((1u << bits) - 1)))
		return VOUCH_E_BASE64;
	*out_len = n;
	return 0;
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
	int err = b64_decode(body, stop, out, cap, out_len);
	if (err)
		return err;
	*pos = stop + sizeof END - 1;
	return 1;
}
