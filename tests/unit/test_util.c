/* Hex, time, the bounds-checked reader and the error table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test.h"
#include "vouch/util.h"

static void hex_decodes_with_prefix_case_and_whitespace(void)
{
	uint8_t out[8];
	size_t n;
	CHECK_OK(vouch_hex_decode(out, sizeof out, &n, " 0xDEad be\nEF\r\n", 15));
	CHECK_INT(n, 4);
	CHECK_HEX(out, 4, "deadbeef");
	CHECK_OK(vouch_hex_decode(out, sizeof out, &n, "", 0));
	CHECK_INT(n, 0);
	CHECK_OK(vouch_hex_decode(out, sizeof out, &n, "0x", 2));
	CHECK_INT(n, 0);
}

static void hex_rejects_odd_digits_bad_chars_and_overflow(void)
{
	uint8_t out[2];
	size_t n = 99;
	CHECK_ERR(vouch_hex_decode(out, sizeof out, &n, "abc", 3), VOUCH_E_HEX);
	CHECK_INT(n, 0);
	CHECK_ERR(vouch_hex_decode(out, sizeof out, &n, "zz", 2), VOUCH_E_HEX);
	CHECK_ERR(vouch_hex_decode(out, sizeof out, &n, "a b", 3), VOUCH_E_HEX); /* split pair */
	CHECK_ERR(vouch_hex_decode(out, sizeof out, &n, "0x0x00", 6), VOUCH_E_HEX);
	CHECK_ERR(vouch_hex_decode(out, sizeof out, &n, "000000", 6), VOUCH_E_LIMIT);
}

static void hex_decodes_in_place(void)
{
	char buf[] = "0x00ff10";
	size_t n;
	CHECK_OK(vouch_hex_decode((uint8_t *)buf, sizeof buf, &n, buf, strlen(buf)));
	CHECK_INT(n, 3);
	CHECK_HEX((uint8_t *)buf, 3, "00ff10");
}

static void time_parses_rfc3339_as_intel_writes_it(void)
{
	int64_t t;
	CHECK_OK(vouch_time_parse(&t, "2025-07-19T10:00:35Z", 20));
	CHECK_INT(t, 1752919235);
	CHECK_OK(vouch_time_parse(&t, "1970-01-01T00:00:00Z", 20));
	CHECK_INT(t, 0);
	CHECK_OK(vouch_time_parse(&t, "2024-02-29T23:59:59.123Z", 24));
	CHECK_INT(t, 1709251199);
	CHECK_OK(vouch_time_parse(&t, "2049-12-31T23:59:59+00:00", 25));
	CHECK_INT(t, 2524607999);
}

static void time_rejects_malformed_and_impossible_dates(void)
{
	int64_t t = 7;
	const char *bad[] = {"2025-07-19 10:00:35Z", "2025-07-19T10:00:35", "2025-13-01T00:00:00Z",
			     "2023-02-29T00:00:00Z", "2025-07-19T24:00:00Z", "2025-07-19T10:00:35+01:00",
			     "2025-07-19T10:00:35.Z", "2025-7-19T10:00:35Z", "20250719T100035Z"};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		CHECK_ERR(vouch_time_parse(&t, bad[i], strlen(bad[i])), VOUCH_E_TIME);
	CHECK_INT(t, 7);
}

static void time_formats_round_trip(void)
{
	char buf[21];
	int64_t samples[] = {0, 951782400 /* 2000-02-29 */, 1752919235, 2524607999, 4102444800};
	for (size_t i = 0; i < ARRAY_LEN(samples); i++) {
		int64_t t;
		vouch_time_format(buf, samples[i]);
		CHECK_OK(vouch_time_parse(&t, buf, strlen(buf)));
		CHECK_INT(t, samples[i]);
	}
	vouch_time_format(buf, 1752919235);
	CHECK_STR(buf, "2025-07-19T10:00:35Z");
}

static void reader_stops_at_the_end_and_keeps_the_first_error(void)
{
	const uint8_t b[] = {1, 2, 3, 4, 5};
	rd r = rd_init(b, sizeof b);
	CHECK_INT(rd_u16(&r, -1), 0x0201);
	CHECK_INT(rd_left(&r), 3);
	CHECK(rd_take(&r, 4, -2) == NULL);
	CHECK_INT(r.err, -2);
	CHECK_INT(rd_u16(&r, -3), 0); /* sticky: later reads yield zero and keep the first error */
	CHECK_INT(r.err, -2);
	CHECK_INT(rd_left(&r), 0);
	rd e = rd_init(b, 0);
	CHECK(rd_take(&e, 0, -1) != NULL || e.err == 0);
	CHECK_INT(rd_u32(&e, -9), 0);
	CHECK_INT(e.err, -9);
}

static void constant_time_helpers_compare_correctly(void)
{
	uint8_t a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3, 4}, z[4] = {0};
	CHECK(ct_eq(a, b, 4));
	b[3] ^= 0x80;
	CHECK(!ct_eq(a, b, 4));
	CHECK(all_zero(z, 4));
	z[0] = 1;
	CHECK(!all_zero(z, 4));
	vouch_wipe(a, sizeof a);
	CHECK(all_zero(a, 4));
}

static void every_error_code_has_a_name_and_a_message(void)
{
	/* Walk the whole negative range: every code the table knows round-trips its name, unknown ones say so. */
	int known = 0;
	for (int e = 0; e >= -700; e--) {
		const char *name = vouch_errname(e);
		if (strcmp(name, "VOUCH_E_UNKNOWN") == 0) {
			CHECK_STR(vouch_strerror(e), "unknown error");
			continue;
		}
		known++;
		CHECK(strncmp(name, "VOUCH_", 6) == 0);
		CHECK(strlen(vouch_strerror(e)) > 3);
	}
	CHECK(known > 90);
	CHECK_STR(vouch_errname(VOUCH_E_CRL_EXPIRED), "VOUCH_E_CRL_EXPIRED");
	CHECK_STR(vouch_strerror(VOUCH_E_NO_TCB_LEVEL), "No matching TCB level found");
}

static void hex_exact_takes_exactly_n_bytes(void)
{
	uint8_t b[4];
	CHECK(vouch_hex_decode_exact(b, 4, "deadBEEF") && b[0] == 0xde && b[3] == 0xef);
	CHECK(vouch_hex_decode_exact(b, 4, "0xdeadbeef"));
	CHECK(!vouch_hex_decode_exact(b, 4, "deadbee"));    /* short */
	CHECK(!vouch_hex_decode_exact(b, 4, "deadbeef00")); /* long */
	CHECK(!vouch_hex_decode_exact(b, 4, "dead beef"));  /* no whitespace */
	CHECK(!vouch_hex_decode_exact(b, 4, "deadbeeg"));
	CHECK(!vouch_hex_decode_exact(b, 4, NULL));
	CHECK(vouch_hex_decode_exact(b, 0, ""));
}

static void json_member_string_reads_the_top_level_only(void)
{
	char out[16];
	const char *t = "{ \"choices\": [{\"id\": \"inner\"}], \"id\" : \"chat\\u002d1\" }";
	CHECK_OK(vouch_json_member_string(out, sizeof out, t, strlen(t), "id"));
	CHECK_STR(out, "chat-1");
	CHECK_ERR(vouch_json_member_string(out, sizeof out, t, strlen(t), "model"), VOUCH_E_JSON);
	CHECK_ERR(vouch_json_member_string(out, 4, t, strlen(t), "id"), VOUCH_E_LIMIT);
	const char *num = "{\"id\":1}", *trail = "{\"id\":\"a\"} x", *nul = "{\"id\":\"a\\u0000b\"}";
	CHECK_ERR(vouch_json_member_string(out, sizeof out, num, strlen(num), "id"), VOUCH_E_JSON);
	CHECK_ERR(vouch_json_member_string(out, sizeof out, trail, strlen(trail), "id"), VOUCH_E_JSON);
	CHECK_ERR(vouch_json_member_string(out, sizeof out, nul, strlen(nul), "id"), VOUCH_E_JSON);
	for (size_t n = 0; n < strlen(t); n++) /* every truncation */
		CHECK(vouch_json_member_string(out, sizeof out, t, n, "id") != 0);
}

static void json_member_string_refuses_a_name_given_twice(void)
{
	/* JSON.parse takes the last of duplicate names, a first-match reader the first: neither is taken. Names
	 * compare decoded, so an escaped spelling is the same name. */
	char out[16];
	const char *refused[] = {"{\"id\":\"a\",\"id\":\"b\"}", "{\"id\":\"a\",\"x\":1,\"id\":\"a\"}",
				 "{\"id\":\"a\",\"\\u0069d\":\"b\"}", "{\"i\\u0064\":\"a\",\"id\":\"b\"}",
				 "{\"id\":\"a\",\"id\":5}", "{\"id\":\"a\",\"id\":null}"};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		memset(out, 'x', sizeof out);
		CHECK_ERR(vouch_json_member_string(out, sizeof out, refused[i], strlen(refused[i]), "id"), VOUCH_E_JSON);
		CHECK(out[0] == 0); /* never half-written */
		CHECK(vouch_json_member_count(refused[i], strlen(refused[i]), "id") == 2);
	}
	const char *escaped = "{\"\\u0069d\":\"b\",\"choices\":[{\"id\":\"c\"}],\"ids\":\"d\"}";
	CHECK_OK(vouch_json_member_string(out, sizeof out, escaped, strlen(escaped), "id"));
	CHECK_STR(out, "b");
	CHECK(vouch_json_member_count(escaped, strlen(escaped), "id") == 1);
	CHECK(vouch_json_member_count("{}", 2, "id") == 0);
	CHECK(vouch_json_member_count("[1]", 3, "id") == VOUCH_E_JSON);
	CHECK(vouch_json_member_count("{\"id\":1} x", 10, "id") == VOUCH_E_JSON);
}

static void buf_grows_keeps_a_nul_and_enforces_its_limit(void)
{
	vouch_buf b = {0};
	char chunk[1000];
	memset(chunk, 'x', sizeof chunk);
	for (int i = 0; i < 10; i++)
		CHECK_OK(vouch_buf_add(&b, chunk, sizeof chunk, 10000));
	CHECK(b.len == 10000 && b.cap > b.len && b.p[b.len] == 0 && b.p[9999] == 'x');
	CHECK_ERR(vouch_buf_add(&b, "y", 1, 10000), VOUCH_E_LIMIT);
	CHECK(b.len == 10000);
	CHECK_OK(vouch_buf_add(&b, NULL, 0, 10000));
	vouch_buf_free(&b);
	CHECK(!b.p && !b.len && !b.cap);
	CHECK_ERR(vouch_buf_add(&b, chunk, 10, 5), VOUCH_E_LIMIT); /* more than max at once */
	vouch_buf_free(&b);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(hex_decodes_with_prefix_case_and_whitespace),
		T(hex_rejects_odd_digits_bad_chars_and_overflow),
		T(hex_decodes_in_place),
		T(time_parses_rfc3339_as_intel_writes_it),
		T(time_rejects_malformed_and_impossible_dates),
		T(time_formats_round_trip),
		T(reader_stops_at_the_end_and_keeps_the_first_error),
		T(constant_time_helpers_compare_correctly),
		T(every_error_code_has_a_name_and_a_message),
		T(hex_exact_takes_exactly_n_bytes),
		T(json_member_string_reads_the_top_level_only),
		T(json_member_string_refuses_a_name_given_twice),
		T(buf_grows_keeps_a_nul_and_enforces_its_limit),
	};
	return test_main(argc, argv, tests, ARRAY_LEN(tests));
}
