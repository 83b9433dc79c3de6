/* A minimal test harness: each test is a void function; a failed CHECK reports and returns from it.
 * test_main() runs every test (or those whose name contains argv[1]) and exits non-zero if any failed. */
#ifndef VOUCH_TEST_H
#define VOUCH_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vouch/err.h"

struct test {
	const char *name;
	void (*fn)(void);
};
#define T(fn) {#fn, fn}

extern int test_failed;
void test_failf(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int test_main(int argc, char **argv, const struct test *tests, size_t n);

/* Reads tests/vectors/<rel> (or an absolute path). Aborts the binary if missing: vectors are part of the
 * repository. The buffer is malloc'd with a NUL after the data; free() it. */
uint8_t *test_read(const char *rel, size_t *len);
/* The same, decoded from hex if the file is hex text. */
uint8_t *test_read_quote(const char *rel, size_t *len);

#define CHECK(c)                                                                                                   \
	do {                                                                                                       \
		if (!(c)) {                                                                                        \
			test_failf(__FILE__, __LINE__, "%s", #c);                                                  \
			return;                                                                                    \
		}                                                                                                  \
	} while (0)

#define CHECK_INT(a, b)                                                                                            \
	do {                                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                                \
		if (_a != _b) {                                                                                    \
			test_failf(__FILE__, __LINE__, "%s = %lld, expected %lld", #a, _a, _b);                     \
			return;                                                                                    \
		}                                                                                                  \
	} while (0)

#define CHECK_ERR(expr, code)                                                                                      \
	do {                                                                                                       \
		int _e = (expr);                                                                                   \
		if (_e != (code)) {                                                                                \
			test_failf(__FILE__, __LINE__, "%s = %s (%d), expected %s", #expr, vouch_errname(_e), _e,  \
				   #code);                                                                         \
			return;                                                                                    \
		}                                                                                                  \
	} while (0)

#define CHECK_OK(expr) CHECK_ERR(expr, 0)

#define CHECK_STR(a, b)                                                                                            \
	do {                                                                                                       \
		const char *_a = (a), *_b = (b);                                                                   \
		if (!_a || strcmp(_a, _b) != 0) {                                                                  \
			test_failf(__FILE__, __LINE__, "%s = \"%s\", expected \"%s\"", #a, _a ? _a : "(null)", _b); \
			return;                                                                                    \
		}                                                                                                  \
	} while (0)

#define CHECK_HEX(ptr, n, hexstr)                                                                                  \
	do {                                                                                                       \
		char _h[2 * 128 + 1];                                                                              \
		vouch_hex_encode(_h, (ptr), (n) < 128 ? (n) : 128);                                                \
		CHECK_STR(_h, hexstr);                                                                             \
	} while (0)

#endif
