/* A JSON text writer for the large responses on hot paths (quotes, event logs): one growing buffer, no
 * node per value. Strings are escaped to ASCII (\uXXXX beyond, surrogate pairs above U+FFFF), as dstack's
 * JS client needs. Errors (memory, invalid UTF-8) stick and make jw_finish return NULL. */
#ifndef VOUCH_JSONW_H
#define VOUCH_JSONW_H

#include "internal.h"

typedef struct jw {
	char *p;
	size_t n, cap;
	int err;
} jw;

void jw_raw(jw *w, const char *s, size_t n);
void jw_lit(jw *w, const char *s);
void jw_str(jw *w, const char *s, size_t n);
void jw_hex(jw *w, const uint8_t *p, size_t n);
void jw_uint(jw *w, uint64_t v);
/* The text (malloc'd, NUL-terminated), or NULL after an error. */
char *jw_finish(jw *w);

#endif
