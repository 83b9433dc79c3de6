/* The strict JSON pull reader and the TCB info / QE identity decoders built on it. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tcbinfo.h"
#include "test.h"

static int valid(const char *s)
{
	jr j = jr_init(s, strlen(s));
	jr_skip(&j);
	jr_end(&j);
	return j.err == 0;
}

static void accepts_rfc8259_values(void)
{
	const char *ok[] = {"{}", "[]", "0", "-0.5e+3", "\"a\\u00e9\\ud83d\\ude00\"", "true", " null ",
			    "{\"a\":[1,{\"b\":false}],\"c\":\"\\\\\"}", "\"\xc3\xa9\""};
	for (size_t i = 0; i < ARRAY_LEN(ok); i++)
		CHECK(valid(ok[i]));
}

static void refuses_what_rfc8259_refuses(void)
{
	const char *bad[] = {"{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "+1", "\"\\x\"", "\"a\nb\"",
			     "tru", "{\"a\" 1}", "{1:2}", "[1 2]", "\"\xc3\"", "\"\xed\xa0\x80\"", "1 2", "\"\\u12g4\"",
			     "\"\xc0\xaf\""};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		if (valid(bad[i])) {
			test_failf(__FILE__, __LINE__, "accepted %s", bad[i]);
			return;
		}
}

static void nesting_is_limited(void)
{
	char deep[2 * JR_MAX_DEPTH + 3];
	memset(deep, '[', JR_MAX_DEPTH + 1);
	memset(deep + JR_MAX_DEPTH + 1, ']', JR_MAX_DEPTH + 1);
	deep[2 * JR_MAX_DEPTH + 2] = 0;
	CHECK(!valid(deep));
	memset(deep, '[', JR_MAX_DEPTH);
	memset(deep + JR_MAX_DEPTH, ']', JR_MAX_DEPTH);
	deep[2 * JR_MAX_DEPTH] = 0;
	CHECK(valid(deep));
}

static void unsigned_integers_are_range_checked(void)
{
	uint64_t v;
	jr j = jr_init("255", 3);
	CHECK_OK(jr_uint(&j, 255, &v));
	CHECK_INT(v, 255);
	j = jr_init("256", 3);
	CHECK_ERR(jr_uint(&j, 255, &v), VOUCH_E_JSON);
	j = jr_init("18446744073709551616", 20);
	CHECK_ERR(jr_uint(&j, UINT64_MAX, &v), VOUCH_E_JSON);
	j = jr_init("1.0", 3);
	CHECK_ERR(jr_uint(&j, 255, &v), VOUCH_E_JSON);
	j = jr_init("-1", 2);
	CHECK_ERR(jr_uint(&j, 255, &v), VOUCH_E_JSON);
}

static void strings_unescape_and_compare(void)
{
	char out[16];
	size_t n;
	CHECK_OK(jr_unescape(span_of("a\\u0062\\n", 9), out, sizeof out, &n));
	CHECK_STR(out, "ab\n");
	CHECK(jr_str_eq(span_of("\\u0069d", 7), "id"));
	CHECK(!jr_str_eq(span_of("idx", 3), "id"));
	CHECK_ERR(jr_unescape(span_of("abcdefgh", 8), out, 4, &n), VOUCH_E_LIMIT);
	CHECK_ERR(jr_unescape(span_of("\\udc00", 6), out, sizeof out, &n), VOUCH_E_JSON);
}

#define LEVELS_TDX                                                                                                 \
	"{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"2025-06-19T10:16:03Z\",\"nextUpdate\":\"2025-07-19T10:16:03Z\"," \
	"\"fmspc\":\"B0C06F000000\",\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":17,"                  \
	"\"tcbLevels\":[%s]}"

static int parse_levels(tcb_info *t, const char *levels)
{
	char text[4096], msg[128];
	snprintf(text, sizeof text, LEVELS_TDX, levels);
	return tcb_info_parse(t, text, strlen(text), msg, sizeof msg);
}

#define L(sgx, pce, tdx, st) \
	"{\"tcb\":{\"sgxtcbcomponents\":[" sgx "],\"pcesvn\":" #pce ",\"tdxtcbcomponents\":[" tdx "]},\"tcbDate\":\"x\",\"tcbStatus\":\"" st "\"}"
#define C16(a) "{\"svn\":" #a "},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}," \
	"{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}"

static void tcb_levels_are_sorted_canonically(void)
{
	static tcb_info t;
	CHECK_OK(parse_levels(&t, L(C16(1), 5, C16(0), "OutOfDate") "," L(C16(3), 5, C16(0), "UpToDate") ","
				  L(C16(3), 7, C16(0), "SWHardeningNeeded") "," L(C16(3), 7, C16(2), "Revoked")));
	CHECK_INT(t.n_levels, 4);
	CHECK_INT(t.levels[0].status, VOUCH_TCB_REVOKED);          /* sgx 3, pce 7, tdx 2 */
	CHECK_INT(t.levels[1].status, VOUCH_TCB_SW_HARDENING_NEEDED);
	CHECK_INT(t.levels[2].status, VOUCH_TCB_UP_TO_DATE);
	CHECK_INT(t.levels[3].status, VOUCH_TCB_OUT_OF_DATE);
	CHECK(tcb_info_is_tdx(&t));
	/* equal keys keep JSON order (stable) */
	CHECK_OK(parse_levels(&t, L(C16(1), 5, C16(0), "OutOfDate") "," L(C16(1), 5, C16(0), "UpToDate")));
	CHECK_INT(t.levels[0].status, VOUCH_TCB_OUT_OF_DATE);
}

static void tcb_info_decoding_errors(void)
{
	static tcb_info t;
	CHECK_ERR(parse_levels(&t, L(C16(1), 5, C16(0), "Fine")), VOUCH_E_TCB_INFO_PARSE);     /* unknown status */
	CHECK_ERR(parse_levels(&t, L(C16(256), 5, C16(0), "UpToDate")), VOUCH_E_TCB_INFO_PARSE); /* svn > u8 */
	CHECK_ERR(parse_levels(&t, "{\"tcb\":{\"pcesvn\":1},\"tcbDate\":\"x\",\"tcbStatus\":\"UpToDate\"}"),
		  VOUCH_E_TCB_INFO_PARSE); /* no sgxtcbcomponents */
	CHECK_ERR(parse_levels(&t, L(C16(1), 5, C16(0), "UpToDate") ","), VOUCH_E_TCB_INFO_PARSE);
	/* component counts other than 16 decode; matching rejects them later */
	CHECK_OK(parse_levels(&t, L("{\"svn\":1}", 5, C16(0), "UpToDate")));
	CHECK_INT(t.levels[0].n_sgx, 1);
	char msg[128];
	const char *dup = "{\"id\":\"TDX\",\"id\":\"SGX\"}";
	CHECK_ERR(tcb_info_parse(&t, dup, strlen(dup), msg, sizeof msg), VOUCH_E_TCB_INFO_PARSE);
	CHECK(strstr(msg, "duplicate") != NULL);
	const char *missing = "{\"id\":\"TDX\",\"version\":3}";
	CHECK_ERR(tcb_info_parse(&t, missing, strlen(missing), msg, sizeof msg), VOUCH_E_TCB_INFO_PARSE);
	CHECK(strstr(msg, "missing field issueDate") != NULL);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(accepts_rfc8259_values),
		T(refuses_what_rfc8259_refuses),
		T(nesting_is_limited),
		T(unsigned_integers_are_range_checked),
		T(strings_unescape_and_compare),
		T(tcb_levels_are_sorted_canonically),
		T(tcb_info_decoding_errors),
	};
	return test_main(argc, argv, tests, ARRAY_LEN(tests));
}
