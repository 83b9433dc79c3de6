/* Base64 (RFC 4648): the strict decoder PEM bodies and dstack's runtime event log need, and encoders for
 * the standard and the URL-safe unpadded alphabets. */
#include <pthread.h>

#include "internal.h"
#include "vouch/util.h"

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static uint8_t b64_table[256];

static void b64_init(void)
{
	memset(b64_table, 0xff, sizeof b64_table);
	for (int i = 0; i < 64; i++)
		b64_table[(unsigned char)B64[i]] = (uint8_t)i;
}

int vouch_base64_decode(uint8_t *out, size_t cap, size_t *out_len, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
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


static size_t encode(char *out, const uint8_t *p, size_t n, const char *alphabet, int pad)
{
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = alphabet[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	out[o] = 0;
	return o;
}

size_t vouch_base64_encode(char *out, const uint8_t *p, size_t n)
{
	return encode(out, p, n, B64, 1);
}

size_t vouch_base64url_encode(char *out, const uint8_t *p, size_t n)
{
	return encode(out, p, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 0);
}
