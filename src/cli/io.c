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

uint8_t *read_quote(const char *path, size_t *len)
{
	uint8_t *q = read_file(path, 2 * VOUCH_QUOTE_MAX_SIZE + 16, len);
	if (!q)
		return NULL;
	if (vouch_quote_unhex(q, *len, len) != 0) {
		fprintf(stderr, "vouch: %s looks like hex but is not valid hex\n", path);
		free(q);
		return NULL;
	}
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

int parse_now(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*s && !*end && !errno && v >= 0) {
		*out = v;
		return 0;
	}
	return vouch_time_parse(out, s, strlen(s)) == 0 ? 0 : -1;
}
