/* Request fields, as prpc decodes them: every field optional with a default, unknown fields ignored, bytes
 * as hex (0x optional, either case); from a GET query, values are strings and are converted (serde_qs). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "vouch/err.h"
#include "vouch/util.h"

static int bad(char *err, size_t cap, const char *name, const char *want)
{
	snprintf(err, cap, "Failed to decode request: invalid type for %s: expected %s", name, want);
	return -1;
}

int req_str(const req *r, const char *name, const char **out, size_t *len, char *err, size_t cap)
{
	json_t *v = json_object_get(r->body, name);
	*out = "";
	if (len)
		*len = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(err, cap, name, "a string");
	*out = json_string_value(v);
	if (len)
		*len = json_string_length(v);
	return 0;
}

int req_hex(const req *r, const char *name, uint8_t *out, size_t max, size_t *len, char *err, size_t cap)
{
	const char *s;
	size_t n;
	*len = 0;
	if (req_str(r, name, &s, &n, err, cap))
		return bad(err, cap, name, "a hex string");
	int e = vouch_hex_decode(out, max, len, s, n);
	if (e == VOUCH_E_LIMIT) {
		snprintf(err, cap, "Failed to decode request: %s is longer than %zu bytes", name, max);
		return -1;
	}
	if (e) {
		snprintf(err, cap, "Failed to decode request: %s is not valid hex", name);
		return -1;
	}
	return 0;
}

int req_bool(const req *r, const char *name, int *out, char *err, size_t cap)
{
	json_t *v = json_object_get(r->body, name);
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (r->from_query && json_is_string(v)) {
		const char *s = json_string_value(v);
		if (!strcmp(s, "true") || !strcmp(s, "1") || !*s)
			*out = 1;
		else if (strcmp(s, "false") && strcmp(s, "0"))
			return bad(err, cap, name, "a boolean");
		return 0;
	}
	return bad(err, cap, name, "a boolean");
}

int req_u64(const req *r, const char *name, uint64_t *out, int *present, char *err, size_t cap)
{
	json_t *v = json_object_get(r->body, name);
	*out = 0;
	*present = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		*present = 1;
		return 0;
	}
	if (r->from_query && json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		errno = 0;
		unsigned long long x = strtoull(s, &end, 10);
		if (*s && !*end && !errno && *s != '-') {
			*out = x;
			*present = 1;
			return 0;
		}
	}
	return bad(err, cap, name, "an unsigned integer");
}

int req_strs(const req *r, const char *name, const char **items, size_t max, size_t *n, char *err, size_t cap)
{
	json_t *v = json_object_get(r->body, name);
	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return bad(err, cap, name, "an array of strings");
	if (json_array_size(v) > max) {
		snprintf(err, cap, "Failed to decode request: %s has more than %zu entries", name, max);
		return -1;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *s = json_array_get(v, i);
		if (!json_is_string(s))
			return bad(err, cap, name, "an array of strings");
		items[(*n)++] = json_string_value(s);
	}
	return 0;
}
