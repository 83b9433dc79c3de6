/* The CLI's argument parsers: --now (Unix seconds or RFC 3339, with a numeric offset or Z, fractions dropped;
 * io.c) and the identity pins --expect-compose-hash, --expect-app-id, --expect-mrtd (pins.c). Input: one byte
 * choosing the option (0 --now, 1 compose hash, 2 app id, 3 MRTD, modulo 4), then the argument's text.
 * Invariants: an RFC 3339 time with an offset is the same time with Z, less the offset; a pin taken matches an
 * identity with exactly its bytes and not one with a byte changed or a length changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pins.h"

static FILE *report; /* the real stderr */

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(report ? report : stderr, "fuzz_cli_args: invariant broken: %s\n", what);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	/* pin_option says what is wrong on stderr, once per input: send that (stdio's stderr) to /dev/null.
	 * libFuzzer's and the sanitizers' reports are unaffected (libFuzzer took stderr at start; ASan writes
	 * to fd 2). */
	FILE *null = fopen("/dev/null", "w");
	report = stderr;
	if (null)
		stderr = null;
	return 0;
}

static void now_case(const char *s)
{
	int64_t t;
	if (parse_now(s, &t))
		return;
	size_t n = strlen(s);
	const char *off = n >= 6 ? s + n - 6 : NULL;
	if (off && (off[0] == '+' || off[0] == '-') && off[3] == ':' && n > 19 && s[4] == '-') {
		char z[64];
		int64_t tz;
		if (n - 6 + 2 > sizeof z)
			return;
		memcpy(z, s, n - 6);
		memcpy(z + n - 6, "Z", 2);
		check(parse_now(z, &tz) == 0, "a time with an offset parses with Z");
		int64_t secs = ((off[1] - '0') * 10 + (off[2] - '0')) * 3600 + ((off[4] - '0') * 10 + (off[5] - '0')) * 60;
		check(tz - t == (off[0] == '-' ? -secs : secs), "an offset moves the time by itself");
	}
}

static void pin_case(int which, const char *s)
{
	static const int opts[3] = {VO_PIN_COMPOSE, VO_PIN_APP, VO_PIN_MRTD};
	struct pins p = {0};
	struct identity id = {0};
	char msg[512];
	int rc = pin_option(&p, opts[which], s, "fuzz");
	check(rc == 1 || rc == -1, "a pin option is taken or refused");
	check(rc == 1 || !pins_any(&p), "a refused pin pins nothing");
	if (rc != 1)
		return;
	check(pins_any(&p), "a pin taken pins");
	uint8_t *field = which == 0 ? id.compose_hash : which == 1 ? id.app_id : id.mr_td;
	size_t len = which == 0 ? 32 : which == 1 ? p.app_id_len : 48;
	memcpy(field, which == 0 ? p.compose_hash : which == 1 ? p.app_id : p.mr_td, len);
	id.compose_hash_len = which == 0 ? 32 : 0;
	id.app_id_len = which == 1 ? len : 0;
	check(pins_check(&p, &id, msg, sizeof msg) == 0, "a pin matches its own bytes");
	field[len - 1] ^= 1;
	check(pins_check(&p, &id, msg, sizeof msg) == -1 && msg[0], "a pin refuses another value");
	field[len - 1] ^= 1;
	if (which == 1 && len < sizeof id.app_id) {
		id.app_id_len = len + 1;
		check(pins_check(&p, &id, msg, sizeof msg) == -1, "an app id pin refuses a longer app id");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 512)
		return 0;
	char s[512];
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	if (data[0] % 4 == 0)
		now_case(s);
	else
		pin_case(data[0] % 4 - 1, s);
	return 0;
}
