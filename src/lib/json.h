/* A strict, non-allocating JSON pull reader (RFC 8259) for the signed texts on the verification path
 * (TCB info, QE identity). jansson, used elsewhere, allocates a node per value: parsing one TDX TCB info
 * cost ~80 µs with it, more than a signature verification. This reader walks the text in place.
 *
 * Errors are sticky (VOUCH_E_JSON); nesting deeper than JR_MAX_DEPTH is an error. */
#ifndef VOUCH_JSON_H
#define VOUCH_JSON_H

#include "internal.h"

#define JR_MAX_DEPTH 32

typedef struct jr {
	const uint8_t *p;
	const uint8_t *end;
	int err;
	int depth;
} jr;

static inline jr jr_init(const void *text, size_t len)
{
	jr j = {(const uint8_t *)text, (const uint8_t *)text + len, 0, 0};
	return j;
}

/* Object iteration: `int n = 0; span key; while (jr_obj_next(&j, &n, &key)) { ...read one value... }`.
 * The first call consumes '{'. Returns 1 with *key (raw string contents) and the ':' consumed, 0 at the
 * closing '}' or on error. */
int jr_obj_next(jr *j, int *n, span *key);
/* Array iteration, the same way: returns 1 when an element follows. */
int jr_arr_next(jr *j, int *n);

/* A string value; *raw gets the contents between the quotes, escapes not decoded (validated). */
int jr_str(jr *j, span *raw);
/* An unsigned integer value (no sign, fraction or exponent) not above max. */
int jr_uint(jr *j, uint64_t max, uint64_t *out);
/* Skips any value. */
int jr_skip(jr *j);
/* Only whitespace left. */
int jr_end(jr *j);

/* Decodes a raw string (escapes, \u with surrogate pairs, to UTF-8) into out; NUL-terminates.
 * Returns 0 or VOUCH_E_LIMIT / VOUCH_E_JSON. */
int jr_unescape(span raw, char *out, size_t cap, size_t *out_len);
/* Is the decoded string equal to s? */
int jr_str_eq(span raw, const char *s);

#endif
