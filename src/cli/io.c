/* File and argument helpers shared by the verbs. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
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
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vouch: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	size_t cap = 65536, n = 0;
	uint8_t *buf = malloc(cap + 1);
	while (buf) {
		if (n == cap) {
			if (cap >= max) {
				fprintf(stderr, "vouch: %s is larger than %zu bytes\n", path, max);
				goto fail;
			}
			cap = cap * 2 > max ? max : cap * 2;
			uint8_t *b = realloc(buf, cap + 1);
			if (!b)
				goto fail;
			buf = b;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "vouch: cannot read %s: %s\n", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (!buf) {
		fprintf(stderr, "vouch: out of memory reading %s\n", path);
		goto fail;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
fail:
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return NULL;
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
