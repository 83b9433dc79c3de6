/* Helpers for the JSON libvouch writes. */
#include <stdlib.h>

#include "jsonout.h"
#include "vouch/util.h"

json_t *json_hex(const uint8_t *p, size_t n)
{
	char small[2 * 64 + 1], *b = n <= 64 ? small : malloc(2 * n + 1);
	if (!b)
		return NULL;
	vouch_hex_encode(b, p, n);
	json_t *s = json_stringn(b, 2 * n);
	if (b != small)
		free(b);
	return s;
}
