/* DER primitives (ITU-T X.690 §10): single-byte tags, definite minimal lengths, times in "Z" form. */
#include "x509.h"

int der_peek(const rd *r)
{
	return (r->err || r->p == r->end) ? -1 : r->p[0];
}

int der_read_tlv(rd *r, uint8_t tag, span *content, span *whole)
{
	const uint8_t *start = r->p;
	const uint8_t *t = rd_take(r, 2, VOUCH_E_DER);
	if (!t)
		return r->err;
	if (t[0] != tag || (tag & 0x1f) == 0x1f) {
		rd_fail(r, VOUCH_E_DER);
		return r->err;
	}
	size_t len = t[1];
	if (len & 0x80) {
		size_t nbytes = len & 0x7f;
		/* 0x80 is BER's indefinite form; more than 3 length bytes is more than any input here */
		if (nbytes == 0 || nbytes > 3) {
			rd_fail(r, VOUCH_E_DER);
			return r->err;
		}
		const uint8_t *l = rd_take(r, nbytes, VOUCH_E_DER);
		if (!l)
			return r->err;
		if (l[0] == 0) { /* minimal: no leading zero byte */
			rd_fail(r, VOUCH_E_DER);
			return r->err;
		}
		len = 0;
		for (size_t i = 0; i < nbytes; i++)
			len = len << 8 | l[i];
		if (len < 0x80) { /* minimal: short form was possible */
			rd_fail(r, VOUCH_E_DER);
			return r->err;
		}
	}
	const uint8_t *v = rd_take(r, len, VOUCH_E_DER);
	if (!v)
		return r->err;
	if (content)
		*content = span_of(v, len);
	if (whole)
		*whole = span_of(start, (size_t)(r->p - start));
	return 0;
}

int der_read(rd *r, uint8_t tag, span *content)
{
	return der_read_tlv(r, tag, content, NULL);
}

int der_uint(span c, uint64_t *out)
{
	/* non-negative, minimal, fits 8 bytes (plus a sign byte) */
	if (c.len == 0 || (c.p[0] & 0x80) || (c.len > 1 && c.p[0] == 0 && !(c.p[1] & 0x80)))
		return VOUCH_E_DER;
	size_t i = c.p[0] == 0 && c.len > 1 ? 1 : 0;
	if (c.len - i > 8)
		return VOUCH_E_DER;
	uint64_t v = 0;
	for (; i < c.len; i++)
		v = v << 8 | c.p[i];
	*out = v;
	return 0;
}

static int two(const uint8_t *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

int der_time(rd *r, int64_t *out)
{
	span v;
	int tag = der_peek(r);
	int y;
	const uint8_t *p;
	if (tag == DER_UTC_TIME) {
		/* YYMMDDHHMMSSZ; RFC 5280 §4.1.2.5.1: YY < 50 means 20YY */
		if (der_read(r, DER_UTC_TIME, &v) || v.len != 13 || v.p[12] != 'Z' || (y = two(v.p)) < 0)
			goto bad;
		y += y < 50 ? 2000 : 1900;
		p = v.p + 2;
	} else if (tag == DER_GEN_TIME) {
		/* YYYYMMDDHHMMSSZ */
		int hi, lo;
		if (der_read(r, DER_GEN_TIME, &v) || v.len != 15 || v.p[14] != 'Z' || (hi = two(v.p)) < 0 ||
		    (lo = two(v.p + 2)) < 0)
			goto bad;
		y = hi * 100 + lo;
		p = v.p + 4;
	} else {
		goto bad;
	}
	int mo = two(p), d = two(p + 2), h = two(p + 4), mi = two(p + 6), s = two(p + 8);
	int64_t t = unix_from_civil(y, mo, d, h, mi, s);
	if (mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0 || t < 0 || s == 60)
		goto bad;
	*out = t;
	return 0;
bad:
	rd_fail(r, VOUCH_E_DER);
	return r->err;
}
