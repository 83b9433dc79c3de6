/* PEM "CERTIFICATE" blocks (RFC 7468) to DER. Intel's chains are concatenated PEM; the chains embedded in
 * quotes end with "\n\0", so NUL bytes count as whitespace between blocks. */
#include <pthread.h>

#include "x509.h"

static const char BEGIN[] = "-----BEGIN CERTIFICATE-----";
static const char END[] = "-----END CERTIFICATE-----";

/* base64 digit values; 0xff marks anything else. Built once from the alphabet. */
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static uint8_t b64_table[256];

static void b64_init(void)
{
	memset(b64_table, 0xff, sizeof b64_table);
	for (int i = 0; i < 64; i++)
		b64_table[(unsigned char)B64[i]] = (uint8_t)i;
}

static int blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0;
}

static const char *find(const char *p, const char *end, const char *needle)
{
	return memmem(p, (size_t)(end - p), needle, strlen(needle));
}

/* Strict base64 of a PEM body: whitespace between characters ignored, '=' padding only at the end,
 * unused bits of the last group zero. */
static int b64_decode(const char *p, const char *end, uint8_t *out, size_t cap, size_t *out_len)
{
	uint32_t acc = 0;
	int bits = 0, pad = 0;
	size_t n = 0;
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, b64_init);
	for (; p < end; p++) {
		/* fast path: whole groups of four alphabet characters (PEM lines are 64 of them) */
		while (bits == 0 && !pad && end - p >= 4) {
			uint8_t a = b64_table[(unsigned char)p[0]], b = b64_table[(unsigned char)p[1]];
			uint8_t c = b64_table[(unsigned char)p[2]], d = b64_table[(unsigned char)p[3]];
			if ((a | b | c | d) & 0x80)
				break;
			if (cap - n < 3)
				return VOUCH_E_LIMIT;
			uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
			out[n++] = (uint8_t)(v >> 16);
			out[n++] = (uint8_t)(v >> 8);
			out[n++] = (uint8_t)v;
			p += 4;
		}
		if (p == end)
			break;
		unsigned char c = (unsigned char)*p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		int v = b64_table[c];
		if (v == 0xff || pad)
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
