/* Hex, time, wiping and small comparison helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vouch/util.h"

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int vouch_hex_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *hex, size_t hex_len)
{
	size_t i = 0, n = 0;
	if (!out_len || (!hex && hex_len))
		return VOUCH_E_ARG;
	*out_len = 0;
	while (i < hex_len && is_space((unsigned char)hex[i]))
		i++;
	if (hex_len - i >= 2 && hex[i] == '0' && (hex[i + 1] == 'x' || hex[i + 1] == 'X'))
		i += 2;
	for (;;) {
		while (i < hex_len && is_space((unsigned char)hex[i]))
			i++;
		if (i == hex_len)
			break;
		if (i + 1 == hex_len)
			return VOUCH_E_HEX;
		int hi = hexval((unsigned char)hex[i]), lo = hexval((unsigned char)hex[i + 1]);
		if (hi < 0 || lo < 0)
			return VOUCH_E_HEX;
		if (n == out_cap)
			return VOUCH_E_LIMIT;
		out[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	*out_len = n;
	return 0;
}

int vouch_hex_decode_exact(uint8_t *out, size_t n, const char *s)
{
	if (!s)
		return 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (size_t i = 0; i < 2 * n; i += 2) {
		int hi = s[i] ? hexval((unsigned char)s[i]) : -1, lo = hi >= 0 ? hexval((unsigned char)s[i + 1]) : -1;
		if (hi < 0 || lo < 0)
			return 0;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return s[2 * n] == 0;
}

void vouch_hex_encode(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = 0;
}

void hex_lower(char *buf, const uint8_t *p, size_t n)
{
	vouch_hex_encode(buf, p, n);
}

void vouch_wipe(void *p, size_t len)
{
	/* glibc's explicit_bzero: memset's speed, and the compiler may not drop it */
	if (p)
		explicit_bzero(p, len);
}

int vouch_buf_add(vouch_buf *b, const void *p, size_t n, size_t max)
{
	if (n > max || b->len > max - n)
		return VOUCH_E_LIMIT;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *q = malloc(cap);
		if (!q)
			return VOUCH_E_NOMEM;
		if (b->p) {
			memcpy(q, b->p, b->len);
			vouch_wipe(b->p, b->cap);
			free(b->p);
		}
		b->p = q, b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

void vouch_buf_free(vouch_buf *b)
{
	if (b->p) {
		vouch_wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL, b->len = b->cap = 0;
}

int ct_eq(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

int all_zero(const uint8_t *p, size_t n)
{
	uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= p[i];
	return d == 0;
}

void msgf(char *buf, size_t cap, const char *fmt, ...)
{
	if (!buf || !cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t unix_from_civil(int y, int mon, int d, int h, int mi, int s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1 || y > 9999 || mon < 1 || mon > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
	    s > 60)
		return -1;
	int dim = mdays[mon - 1] + (mon == 2 && is_leap(y));
	if (d > dim)
		return -1;
	/* Days from 1970-01-01 (Howard Hinnant's days_from_civil). */
	int64_t yy = y - (mon <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	return days * 86400 + h * 3600 + mi * 60 + s;
}

static int digits(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int vouch_time_parse(int64_t *out, const char *s, size_t len)
{
	/* YYYY-MM-DDTHH:MM:SS[.frac](Z|+00:00) */
	if (!out || !s || len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
	    s[16] != ':')
		return VOUCH_E_TIME;
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
	size_t i = 19;
	if (i < len && s[i] == '.') {
		i++;
		size_t f = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f)
			return VOUCH_E_TIME;
	}
	if (!(i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) && !(i + 6 == len && memcmp(s + i, "+00:00", 6) == 0))
		return VOUCH_E_TIME;
	if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0)
		return VOUCH_E_TIME;
	int64_t t = unix_from_civil(y, mo, d, h, mi, se);
	if (t < 0)
		return VOUCH_E_TIME;
	*out = t;
	return 0;
}

void vouch_time_format(char *out, int64_t t)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400;
	/* civil_from_days */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp + (mp < 10 ? 3 : -9);
	y += (m <= 2);
	unsigned v[6] = {(unsigned)(y % 10000), (unsigned)m, (unsigned)d, (unsigned)(secs / 3600),
			 (unsigned)(secs / 60 % 60), (unsigned)(secs % 60)};
	/* fixed layout YYYY-MM-DDTHH:MM:SSZ, written digit by digit */
	static const char sep[] = "--T::Z";
	char *o = out;
	for (int i = 0; i < 6; i++) {
		int w = i == 0 ? 4 : 2;
		for (int k = w - 1; k >= 0; k--, v[i] /= 10)
			o[k] = (char)('0' + v[i] % 10);
		o += w;
		*o++ = sep[i];
	}
	*o = 0;
}

void fmt_time(char buf[static 21], int64_t t)
{
	vouch_time_format(buf, t);
}
