/* File and argument helpers shared by the verbs. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vouch/err.h"
#include "vouch/quote.h"
#include "vouch/util.h"

void errorf(const char *verb, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vouch %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint8_t *read_file(const char *path, size_t max, size_t *len)
{
	uint8_t *buf;
	int err = vouch_file_read(path, max, &buf, len);
	if (err == VOUCH_E_LIMIT)
		fprintf(stderr, "vouch: %s is larger than %zu bytes\n", path, max);
	else if (err)
		fprintf(stderr, "vouch: cannot read %s: %s\n", path, err == VOUCH_E_IO ? strerror(errno) : vouch_strerror(err));
	return err ? NULL : buf;
}

uint8_t *read_quote(const char *path, size_t *len, int *rc)
{
	uint8_t *q = read_file(path, 2 * VOUCH_QUOTE_MAX_SIZE + 16, len);
	*rc = EXIT_NOINPUT;
	if (!q)
		return NULL;
	if (vouch_quote_unhex(q, *len, len) != 0) {
		/* readable, but not a quote: invalid input (2), not unreadable (66) */
		fprintf(stderr, "vouch: %s looks like hex but is not valid hex (odd length or a non-hex character)\n", path);
		*rc = EXIT_INVALID;
		free(q);
		return NULL;
	}
	*rc = 0;
	return q;
}

int write_file(const char *path, const void *p, size_t len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wbe");
	if (!f) {
		fprintf(stderr, "vouch: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	int ok = fwrite(p, 1, len, f) == len;
	ok &= f == stdout ? fflush(f) == 0 : fclose(f) == 0;
	if (!ok) {
		fprintf(stderr, "vouch: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* RFC 3339 with a numeric offset and/or fractional seconds: "2025-07-19T12:00:34.5+02:00". The fraction is
 * dropped (the verification time is whole seconds, rounded toward the past). */
static int parse_rfc3339_offset(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec, n = 0;
	if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -1;
	const char *p = s + n;
	if (*p == '.') {
		if (!(p[1] >= '0' && p[1] <= '9'))
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	long off = 0;
	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		off = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		/* digits only: sscanf's %2d would take "+-1:00" and "+ 1:00" (RFC 3339: time-numoffset) */
		for (int i = 1; i < 6; i++)
			if (i != 3 && !(p[i] >= '0' && p[i] <= '9'))
				return -1;
		int oh = (p[1] - '0') * 10 + (p[2] - '0'), om = (p[4] - '0') * 10 + (p[5] - '0');
		if (oh > 23 || om > 59)
			return -1;
		off = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
	} else {
		return -1;
	}
	char z[21];
	snprintf(z, sizeof z, "%.19sZ", s);
	z[10] = 'T';
	int64_t t;
	if (vouch_time_parse(&t, z, 20) != 0)
		return -1;
	*out = t - off;
	return 0;
}

int parse_now(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*s && !*end && !errno && v >= 0) {
		*out = v;
		return 0;
	}
	if (vouch_time_parse(out, s, strlen(s)) == 0)
		return 0;
	return parse_rfc3339_offset(s, out);
}
