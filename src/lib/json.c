/* Strict JSON pull reader: see json.h. Grammar: RFC 8259 §2–§7; strings must be valid UTF-8 without raw
 * control characters; numbers follow the JSON number grammar exactly. */
#include "json.h"
#include "vouch/util.h"

static void fail(jr *j)
{
	if (!j->err)
		j->err = VOUCH_E_JSON;
}

static void ws(jr *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Consumes c after whitespace, or fails. */
static int expect(jr *j, uint8_t c)
{
	ws(j);
	if (j->err || j->p == j->end || *j->p != c) {
		fail(j);
		return 0;
	}
	j->p++;
	return 1;
}

static int peek(jr *j)
{
	ws(j);
	return j->err || j->p == j->end ? -1 : *j->p;
}

/* Length of a valid UTF-8 sequence at p (1-4), or 0 if invalid (overlong, surrogate, > U+10FFFF). */
static int utf8_len(const uint8_t *p, const uint8_t *end)
{
	uint8_t c = p[0];
	int n;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (end - p < n)
		return 0;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int hex4(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		uint8_t c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return 0;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 1;
}

int jr_str(jr *j, span *raw)
{
	if (!expect(j, '"'))
		return j->err;
	const uint8_t *start = j->p;
	while (j->p < j->end) {
		/* fast path: printable ASCII other than '"' and '\\' */
		while (j->p < j->end && *j->p >= 0x20 && *j->p < 0x80 && *j->p != '"' && *j->p != '\\')
			j->p++;
		if (j->p == j->end)
			break;
		uint8_t c = *j->p;
		if (c == '"') {
			*raw = span_of(start, (size_t)(j->p - start));
			j->p++;
			return 0;
		}
		if (c < 0x20)
			break;
		if (c == '\\') {
			if (j->end - j->p < 2)
				break;
			uint8_t e = j->p[1];
			if (e == 'u') {
				uint32_t u;
				if (j->end - j->p < 6 || !hex4(j->p + 2, &u))
					break;
				j->p += 6;
			} else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
				   e == 't') {
				j->p += 2;
			} else {
				break;
			}
			continue;
		}
		int n = utf8_len(j->p, j->end);
		if (!n)
			break;
		j->p += n;
	}
	fail(j);
	return j->err;
}

/* Scans a number per the JSON grammar; *is_uint says whether it was a plain non-negative integer. */
static int scan_number(jr *j, int *is_uint)
{
	const uint8_t *p = j->p, *e = j->end;
	*is_uint = 1;
	if (p < e && *p == '-')
		p++, *is_uint = 0;
	if (p == e || *p < '0' || *p > '9')
		goto bad;
	if (*p == '0')
		p++;
	else
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	if (p < e && *p == '.') {
		p++, *is_uint = 0;
		if (p == e || *p < '0' || *p > '9')
			goto bad;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++, *is_uint = 0;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p == e || *p < '0' || *p > '9')
			goto bad;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	j->p = p;
	return 0;
bad:
	fail(j);
	return j->err;
}

int jr_uint(jr *j, uint64_t max, uint64_t *out)
{
	int is_uint;
	if (peek(j) < 0) {
		fail(j);
		return j->err;
	}
	const uint8_t *start = j->p;
	if (scan_number(j, &is_uint))
		return j->err;
	if (!is_uint) {
		fail(j);
		return j->err;
	}
	uint64_t v = 0;
	for (const uint8_t *p = start; p < j->p; p++) {
		if (v > (max - (uint64_t)(*p - '0')) / 10) {
			fail(j);
			return j->err;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

static int literal(jr *j, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, s, n) != 0) {
		fail(j);
		return j->err;
	}
	j->p += n;
	return 0;
}

int jr_obj_next(jr *j, int *n, span *key)
{
	if (j->err)
		return 0;
	if (*n == 0) {
		if (!expect(j, '{'))
			return 0;
		if (++j->depth > JR_MAX_DEPTH) {
			fail(j);
			return 0;
		}
		if (peek(j) == '}') {
			j->p++;
			j->depth--;
			return 0;
		}
	} else {
		int c = peek(j);
		if (c == '}') {
			j->p++;
			j->depth--;
			return 0;
		}
		if (!expect(j, ','))
			return 0;
	}
	if (jr_str(j, key) || !expect(j, ':'))
		return 0;
	(*n)++;
	return 1;
}

int jr_arr_next(jr *j, int *n)
{
	if (j->err)
		return 0;
	if (*n == 0) {
		if (!expect(j, '['))
			return 0;
		if (++j->depth > JR_MAX_DEPTH) {
			fail(j);
			return 0;
		}
		if (peek(j) == ']') {
			j->p++;
			j->depth--;
			return 0;
		}
	} else {
		int c = peek(j);
		if (c == ']') {
			j->p++;
			j->depth--;
			return 0;
		}
		if (!expect(j, ','))
			return 0;
	}
	(*n)++;
	return 1;
}

int jr_skip(jr *j)
{
	int c = peek(j), n = 0, is_uint;
	span s;
	switch (c) {
	case '{':
		while (jr_obj_next(j, &n, &s))
			jr_skip(j);
		break;
	case '[':
		while (jr_arr_next(j, &n))
			jr_skip(j);
		break;
	case '"':
		jr_str(j, &s);
		break;
	case 't':
		literal(j, "true");
		break;
	case 'f':
		literal(j, "false");
		break;
	case 'n':
		literal(j, "null");
		break;
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			scan_number(j, &is_uint);
		else
			fail(j);
	}
	return j->err;
}

int jr_end(jr *j)
{
	ws(j);
	if (j->p != j->end)
		fail(j);
	return j->err;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int jr_unescape(span raw, char *out, size_t cap, size_t *out_len)
{
	size_t n = 0;
	const uint8_t *p = raw.p, *e = raw.p + raw.len;
	while (p < e) {
		char tmp[4];
		size_t k = 1;
		if (*p != '\\') {
			tmp[0] = (char)*p++;
		} else {
			uint8_t c = p[1];
			p += 2;
			switch (c) {
			case 'b': tmp[0] = '\b'; break;
			case 'f': tmp[0] = '\f'; break;
			case 'n': tmp[0] = '\n'; break;
			case 'r': tmp[0] = '\r'; break;
			case 't': tmp[0] = '\t'; break;
			case 'u': {
				uint32_t u, lo;
				if (e - p < 4 || !hex4(p, &u))
					return VOUCH_E_JSON;
				p += 4;
				if (u >= 0xd800 && u <= 0xdbff) {
					if (e - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &lo) || lo < 0xdc00 ||
					    lo > 0xdfff)
						return VOUCH_E_JSON;
					p += 6;
					u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				} else if (u >= 0xdc00 && u <= 0xdfff) {
					return VOUCH_E_JSON;
				}
				k = put_utf8(tmp, u);
				break;
			}
			default: tmp[0] = (char)c;
			}
		}
		if (n + k >= cap)
			return VOUCH_E_LIMIT;
		memcpy(out + n, tmp, k);
		n += k;
	}
	out[n] = 0;
	if (out_len)
		*out_len = n;
	return 0;
}

int jr_str_eq(span raw, const char *s)
{
	size_t i = 0;
	for (; i < raw.len; i++) {
		if (raw.p[i] == '\\')
			goto escaped;
		if ((uint8_t)s[i] != raw.p[i]) /* also stops at the end of s */
			return 0;
	}
	return s[i] == 0;
escaped:;
	char buf[256];
	size_t n;
	return jr_unescape(raw, buf, sizeof buf, &n) == 0 && n == strlen(s) && memcmp(buf, s, n) == 0;
}

/* Members are found by their decoded name ("\u0069d" is "id", as every JSON reader sees it). A second member
 * of the name asked for is refused: RFC 8259 §4 leaves duplicate names to the reader, and readers differ
 * (JSON.parse and Python take the last, this reader would take the first, jansson's JSON_REJECT_DUPLICATES
 * refuses), so a value taken from such a text may not be the one its other readers see. */
int vouch_json_member_string(char *out, size_t cap, const char *text, size_t len, const char *key)
{
	jr j = jr_init(text, len);
	int n = 0, found = 0, e = 0;
	span k;
	if (cap)
		out[0] = 0;
	while (!e && jr_obj_next(&j, &n, &k)) {
		if (!jr_str_eq(k, key)) {
			e = jr_skip(&j) ? VOUCH_E_JSON : 0;
			continue;
		}
		span raw;
		size_t got;
		if (found++ || jr_str(&j, &raw))
			e = VOUCH_E_JSON;
		else if (!(e = jr_unescape(raw, out, cap, &got)) && strlen(out) != got)
			e = VOUCH_E_JSON;
	}
	if (!e && (j.err || jr_end(&j) || !found))
		e = VOUCH_E_JSON;
	if (e && cap)
		vouch_wipe(out, cap); /* never half-written */
	return e;
}

int vouch_json_member_count(const char *text, size_t len, const char *key)
{
	jr j = jr_init(text, len);
	int n = 0, count = 0;
	span k;
	while (jr_obj_next(&j, &n, &k)) {
		count += jr_str_eq(k, key);
		if (jr_skip(&j))
			return VOUCH_E_JSON;
	}
	return j.err || jr_end(&j) ? VOUCH_E_JSON : count;
}
