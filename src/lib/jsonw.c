/* JSON text writer: see jsonw.h. */
#include <stdio.h>
#include <stdlib.h>

#include "jsonw.h"

static int grow(jw *w, size_t more)
{
	if (w->err)
		return 0;
	if (w->n + more + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 1024;
		while (cap < w->n + more + 1)
			cap *= 2;
		char *p = realloc(w->p, cap);
		if (!p) {
			w->err = VOUCH_E_NOMEM;
			return 0;
		}
		w->p = p, w->cap = cap;
	}
	return 1;
}

void jw_raw(jw *w, const char *s, size_t n)
{
	if (!grow(w, n))
		return;
	memcpy(w->p + w->n, s, n);
	w->n += n;
}

void jw_lit(jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

static void u_escape(jw *w, unsigned cp)
{
	char b[7];
	snprintf(b, sizeof b, "\\u%04x", cp);
	jw_raw(w, b, 6);
}

void jw_str(jw *w, const char *s, size_t n)
{
	/* the worst case is 12 bytes of output per input byte (a surrogate pair from 4 bytes is less) */
	if (!grow(w, 6 * n + 2))
		return;
	const uint8_t *p = (const uint8_t *)s, *end = p + n;
	w->p[w->n++] = '"';
	while (p < end) {
		const uint8_t *run = p;
		while (p < end && *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			p++;
		memcpy(w->p + w->n, run, (size_t)(p - run));
		w->n += (size_t)(p - run);
		if (p == end)
			break;
		uint8_t c = *p;
		if (c == '"' || c == '\\') {
			w->p[w->n++] = '\\';
			w->p[w->n++] = (char)c;
			p++;
		} else if (c < 0x80) {
			static const char short_esc[] = "btn\0fr";
			if (c >= 8 && c <= 13 && c != 11) {
				w->p[w->n++] = '\\';
				w->p[w->n++] = short_esc[c - 8];
			} else {
				u_escape(w, c);
			}
			p++;
		} else {
			/* decode UTF-8, refuse what is not */
			unsigned cp, len;
			if (c >= 0xc2 && c <= 0xdf)
				cp = c & 0x1f, len = 2;
			else if (c >= 0xe0 && c <= 0xef)
				cp = c & 0x0f, len = 3;
			else if (c >= 0xf0 && c <= 0xf4)
				cp = c & 0x07, len = 4;
			else
				goto bad;
			if ((size_t)(end - p) < len)
				goto bad;
			for (unsigned i = 1; i < len; i++) {
				if ((p[i] & 0xc0) != 0x80)
					goto bad;
				cp = cp << 6 | (p[i] & 0x3f);
			}
			if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
			    (cp >= 0xd800 && cp <= 0xdfff))
				goto bad;
			if (cp >= 0x10000) {
				cp -= 0x10000;
				u_escape(w, 0xd800 + (cp >> 10));
				u_escape(w, 0xdc00 + (cp & 0x3ff));
			} else {
				u_escape(w, cp);
			}
			p += len;
		}
	}
	jw_raw(w, "\"", 1);
	return;
bad:
	w->err = VOUCH_E_JSON;
}

void jw_hex(jw *w, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	if (!grow(w, 2 * n + 2))
		return;
	char *o = w->p + w->n;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		*o++ = digits[p[i] >> 4];
		*o++ = digits[p[i] & 15];
	}
	*o++ = '"';
	w->n += 2 * n + 2;
}

void jw_uint(jw *w, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof b, "%llu", (unsigned long long)v);
	jw_raw(w, b, (size_t)n);
}

char *jw_finish(jw *w)
{
	if (w->err || !grow(w, 0)) {
		free(w->p);
		w->p = NULL;
		return NULL;
	}
	w->p[w->n] = 0;
	return w->p;
}
