/* libvouch internals shared by every module. Nothing here is public API. */
#ifndef VOUCH_INTERNAL_H
#define VOUCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vouch/err.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A borrowed byte range. Never owns memory. */
typedef struct span {
	const uint8_t *p;
	size_t len;
} span;

static inline span span_of(const void *p, size_t len)
{
	span s = {(const uint8_t *)p, len};
	return s;
}

static inline int span_eq(span a, span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline int span_eq_str(span a, const char *s)
{
	size_t n = strlen(s);
	return a.len == n && memcmp(a.p, s, n) == 0;
}

/* The bounds-checked reader for untrusted bytes: every read checks the remaining length, and the first
 * failure sticks (later reads return zeros and the error stays the first one). Multi-byte integers are
 * little-endian unless the name says otherwise; nothing is ever read by casting a struct onto the buffer. */
typedef struct rd {
	const uint8_t *p;
	const uint8_t *end;
	int err;
} rd;

static inline rd rd_init(const uint8_t *p, size_t len)
{
	rd r = {p, p + len, 0};
	return r;
}

static inline size_t rd_left(const rd *r)
{
	return r->err ? 0 : (size_t)(r->end - r->p);
}

static inline void rd_fail(rd *r, int err)
{
	if (!r->err)
		r->err = err;
}

/* Returns a pointer to the next n bytes and advances, or NULL (with the error set) if fewer remain. */
static inline const uint8_t *rd_take(rd *r, size_t n, int err)
{
	if (r->err)
		return NULL;
	if ((size_t)(r->end - r->p) < n) {
		r->err = err;
		return NULL;
	}
	const uint8_t *q = r->p;
	r->p += n;
	return q;
}

static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
}

static inline uint16_t rd_u16(rd *r, int err)
{
	const uint8_t *p = rd_take(r, 2, err);
	return p ? le16(p) : 0;
}

static inline uint32_t rd_u32(rd *r, int err)
{
	const uint8_t *p = rd_take(r, 4, err);
	return p ? le32(p) : 0;
}

/* Constant-time comparison (for measurements, MACs, signatures). Returns 1 when equal. */
int ct_eq(const void *a, const void *b, size_t n);

/* Is the buffer all zero? Constant-time in n. */
int all_zero(const uint8_t *p, size_t n);

/* Bounded formatting into a caller's message buffer; never fails, always NUL-terminates. */
void msgf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "2025-07-19T10:00:35Z" for a Unix time. buf must hold 21 bytes. */
void fmt_time(char buf[static 21], int64_t t);

/* Unix seconds for a proleptic Gregorian UTC date and time; -1 when a field is out of range
 * (year 1..9999, month 1..12, day within the month, hour 0..23, minute 0..59, second 0..60). */
int64_t unix_from_civil(int y, int mon, int d, int h, int mi, int s);

/* Lowercase hex of n bytes into buf (2n+1 bytes). */
void hex_lower(char *buf, const uint8_t *p, size_t n);

#endif
