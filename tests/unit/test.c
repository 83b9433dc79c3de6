#include "test.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/quote.h"

int test_failed;

void test_failf(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	test_failed = 1;
}

int test_main(int argc, char **argv, const struct test *tests, size_t n)
{
	int fails = 0, run = 0;
	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		test_failed = 0;
		tests[i].fn();
		run++;
		printf("%s %s\n", test_failed ? "FAIL" : "ok  ", tests[i].name);
		fails += test_failed;
	}
	printf("%d/%d passed\n", run - fails, run);
	return fails ? 1 : run == 0;
}

uint8_t *test_read(const char *rel, size_t *len)
{
	char path[1024];
	if (rel[0] == '/')
		snprintf(path, sizeof path, "%s", rel);
	else
		snprintf(path, sizeof path, "%s/%s", VOUCH_VECTORS_DIR, rel);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open test vector %s\n", path);
		abort();
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

uint8_t *test_read_quote(const char *rel, size_t *len)
{
	uint8_t *buf = test_read(rel, len);
	if (vouch_quote_unhex(buf, *len, len) != 0)
		abort();
	return buf;
}
