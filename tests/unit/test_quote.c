/* Quote decoding on the real vectors, on v5 quotes built from them, and on broken inputs. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test.h"
#include "vouch/quote.h"
#include "vouch/util.h"

static void sgx_v3_vector_parses_with_every_field(void)
{
	size_t n;
	uint8_t *b = test_read_quote("dcap/sgx_quote", &n);
	vouch_quote q;
	CHECK_OK(vouch_quote_parse(&q, b, n));
	CHECK_INT(n, 4600);
	CHECK_INT(q.version, 3);
	CHECK_INT(q.att_key_type, 2);
	CHECK_INT(q.tee_type, VOUCH_TEE_SGX);
	CHECK_INT(q.qe_svn, 10);
	CHECK_INT(q.pce_svn, 15);
	CHECK_HEX(q.qe_vendor_id, 16, "939a7233f79c4ca9940a0db3957f0607");
	CHECK_INT(q.body_type, VOUCH_BODY_SGX);
	CHECK_INT(q.signed_len, 432);
	CHECK_INT(q.sig_data_len, 4164);
	CHECK_INT(q.sgx.isv_prod_id, 0);
	CHECK(memcmp(q.sgx.report_data, "Hello, world!", 13) == 0);
	CHECK(q.report_data == q.sgx.report_data);
	CHECK_INT(q.qe_report.isv_prod_id, 1);
	CHECK_INT(q.qe_report.isv_svn, 10);
	CHECK_INT(q.qe_auth_len, 32);
	CHECK_INT(q.cert_type, 5);
	CHECK_INT(q.cert_len, 3548);
	CHECK(q.cert_data == b + 1052);
	CHECK_INT(q.trailing, 0);
	CHECK_INT(q.outer_cert_type, 0);
	free(b);
}

static void tdx_v4_vector_parses_with_every_field(void)
{
	size_t n;
	uint8_t *b = test_read_quote("dcap/tdx_quote", &n);
	vouch_quote q;
	CHECK_OK(vouch_quote_parse(&q, b, n));
	CHECK_INT(q.version, 4);
	CHECK_INT(q.tee_type, VOUCH_TEE_TDX);
	CHECK_INT(q.body_type, VOUCH_BODY_TD10);
	CHECK_INT(q.signed_len, 632);
	CHECK_INT(q.sig_data_len, 4300);
	CHECK_INT(q.outer_cert_type, 6);
	CHECK_INT(q.outer_cert_size, 4166);
	CHECK(q.qe_report.raw == b + 770);
	CHECK_INT(q.qe_auth_len, 32);
	CHECK_INT(q.cert_type, 5);
	CHECK_INT(q.cert_len, 3678);
	CHECK_INT(q.total_len, 4936);
	CHECK_INT(q.trailing, 70);
	CHECK_HEX(q.td.tee_tcb_svn, 4, "06010300");
	CHECK_HEX(q.td.td_attributes, 8, "0000001000000000");
	CHECK_HEX(q.td.xfam, 8, "e702060000000000");
	CHECK(q.td.report_data == b + 568);
	CHECK(q.td.mr_service_td == NULL);
	CHECK(all_zero(q.td.rtmr[3], 48));
	free(b);
}

static void hex_vectors_parse(void)
{
	const char *files[] = {"dcap/tdx-quote.hex", "dcap/quote-from-tappd.hex"};
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		size_t n;
		uint8_t *b = test_read_quote(files[i], &n);
		vouch_quote q;
		CHECK_OK(vouch_quote_parse(&q, b, n));
		CHECK_INT(n, 5006);
		CHECK_INT(q.version, 4);
		CHECK_INT(q.att_key_type, 2);
		CHECK_INT(q.body_type, VOUCH_BODY_TD10);
		CHECK_INT(q.sig_data_len, 4300);
		CHECK_INT(q.trailing, 70);
		free(b);
	}
}

/* Builds a v5 quote from the v4 vector: the 6-byte body descriptor goes after the header; TD 1.5 also
 * gets TEE_TCB_SVN_2 and MRSERVICETD. Signatures no longer verify, which decoding does not look at. */
static uint8_t *make_v5(const uint8_t *v4, size_t n4, uint16_t body_type, uint32_t declared, size_t *out_n)
{
	size_t extra = body_type == VOUCH_BODY_TD15 ? 64 : 0;
	uint8_t *b = calloc(1, n4 + 6 + extra);
	memcpy(b, v4, 48);
	b[0] = 5;
	b[48] = (uint8_t)body_type;
	b[49] = (uint8_t)(body_type >> 8);
	b[50] = (uint8_t)declared;
	b[51] = (uint8_t)(declared >> 8);
	b[52] = (uint8_t)(declared >> 16);
	b[53] = (uint8_t)(declared >> 24);
	memcpy(b + 54, v4 + 48, 584);
	memset(b + 54 + 584, 0xab, extra);
	memcpy(b + 54 + 584 + extra, v4 + 632, n4 - 632);
	*out_n = n4 + 6 + extra;
	return b;
}

static void v5_quotes_with_td10_and_td15_bodies_parse(void)
{
	size_t n4, n;
	uint8_t *v4 = test_read_quote("dcap/tdx_quote", &n4);
	uint8_t *b = make_v5(v4, n4, VOUCH_BODY_TD10, 584, &n);
	vouch_quote q;
	CHECK_OK(vouch_quote_parse(&q, b, n));
	CHECK_INT(q.version, 5);
	CHECK_INT(q.body_type, VOUCH_BODY_TD10);
	CHECK_INT(q.signed_len, 638);
	CHECK(q.td.report_data == b + 54 + 520);
	free(b);
	b = make_v5(v4, n4, VOUCH_BODY_TD15, 648, &n);
	CHECK_OK(vouch_quote_parse(&q, b, n));
	CHECK_INT(q.body_type, VOUCH_BODY_TD15);
	CHECK_INT(q.signed_len, 702);
	CHECK(q.td.mr_service_td == b + 54 + 600);
	CHECK_INT(q.td.mr_service_td[0], 0xab);
	CHECK_INT(q.trailing, 70);
	free(b);
	free(v4);
}

static void v5_body_descriptor_is_checked(void)
{
	size_t n4, n;
	uint8_t *v4 = test_read_quote("dcap/tdx_quote", &n4);
	vouch_quote q;
	uint8_t *b = make_v5(v4, n4, VOUCH_BODY_TD10, 648, &n);
	CHECK_ERR(vouch_quote_parse(&q, b, n), VOUCH_E_QUOTE_BODY_SIZE);
	free(b);
	b = make_v5(v4, n4, 4, 584, &n);
	CHECK_ERR(vouch_quote_parse(&q, b, n), VOUCH_E_QUOTE_BODY_TYPE);
	free(b);
	b = make_v5(v4, n4, VOUCH_BODY_SGX, 384, &n); /* TDX TEE type with an SGX body */
	CHECK_ERR(vouch_quote_parse(&q, b, n), VOUCH_E_QUOTE_BODY_TYPE);
	free(b);
	free(v4);
}

static void header_version_and_tee_type_are_decoding_errors(void)
{
	size_t n;
	uint8_t *b = test_read_quote("dcap/tdx_quote", &n);
	vouch_quote q;
	b[0] = 3; /* N09: a TDX quote claiming v3 */
	CHECK_ERR(vouch_quote_parse(&q, b, n), VOUCH_E_QUOTE_TEE_TYPE);
	b[0] = 6;
	CHECK_ERR(vouch_quote_parse(&q, b, n), VOUCH_E_QUOTE_VERSION);
	b[0] = 4;
	b[4] = 0x82;
	CHECK_ERR(vouch_quote_parse(&q, b, n), VOUCH_E_QUOTE_TEE_TYPE);
	free(b);
}

static void every_truncation_fails_cleanly(void)
{
	const char *files[] = {"dcap/sgx_quote", "dcap/tdx_quote"};
	for (size_t f = 0; f < ARRAY_LEN(files); f++) {
		size_t n;
		uint8_t *b = test_read_quote(files[f], &n);
		vouch_quote full;
		CHECK_OK(vouch_quote_parse(&full, b, n));
		for (size_t cut = 0; cut < full.total_len; cut++) {
			/* a fresh heap copy per length so ASan catches any read past the end */
			uint8_t *c = malloc(cut ? cut : 1);
			memcpy(c, b, cut);
			vouch_quote q;
			int err = vouch_quote_parse(&q, c, cut);
			free(c);
			if (err != VOUCH_E_QUOTE_TRUNCATED && err != VOUCH_E_QUOTE_FIELD_SIZE) {
				test_failf(__FILE__, __LINE__, "%s cut at %zu: %s", files[f], cut, vouch_errname(err));
				free(b);
				return;
			}
			CHECK_INT(q.version, 0); /* output left zeroed */
		}
		free(b);
	}
}

static void trailing_bytes_are_counted_not_rejected(void)
{
	size_t n;
	uint8_t *b = test_read_quote("dcap/tdx_quote", &n);
	uint8_t *c = malloc(n + 100);
	memcpy(c, b, n);
	memset(c + n, 0xff, 100);
	vouch_quote q;
	CHECK_OK(vouch_quote_parse(&q, c, n + 100)); /* N21 */
	CHECK_INT(q.trailing, 170);
	CHECK_OK(vouch_quote_parse(&q, c, 4936)); /* N20 */
	CHECK_INT(q.trailing, 0);
	free(c);
	free(b);
}

static void length_fields_must_agree(void)
{
	size_t n;
	uint8_t *b = test_read_quote("dcap/tdx_quote", &n);
	vouch_quote q;
	/* signature data length 1 MiB + 1 (dcap-qvl: data_decode_rejects_overlong_length) */
	uint8_t save[4];
	memcpy(save, b + 632, 4);
	b[632] = 0x01, b[633] = 0x00, b[634] = 0x10, b[635] = 0x00;
	CHECK_ERR(vouch_quote_parse(&q, b, n), VOUCH_E_QUOTE_FIELD_SIZE);
	/* signature data claims more than the file holds */
	b[632] = 0xff, b[633] = 0xff, b[634] = 0x00, b[635] = 0x00;
	CHECK_ERR(vouch_quote_parse(&q, b, n), VOUCH_E_QUOTE_TRUNCATED);
	/* one byte longer than its contents: the trailing zero is swallowed and left unconsumed */
	memcpy(b + 632, save, 4);
	b[632]++;
	CHECK_ERR(vouch_quote_parse(&q, b, n), VOUCH_E_QUOTE_FIELD_SIZE);
	b[632]--;
	/* outer certification type must be 6 */
	b[764] = 5;
	CHECK_ERR(vouch_quote_parse(&q, b, n), VOUCH_E_QUOTE_CERT_TYPE);
	b[764] = 6;
	/* QE auth length larger than the type-6 body */
	b[1218] = 0xff, b[1219] = 0xff;
	CHECK_ERR(vouch_quote_parse(&q, b, n), VOUCH_E_QUOTE_TRUNCATED);
	b[1218] = 32, b[1219] = 0;
	/* inner certification data size past the outer body */
	b[1254] += 1;
	CHECK_ERR(vouch_quote_parse(&q, b, n), VOUCH_E_QUOTE_TRUNCATED);
	b[1254] -= 1;
	CHECK_OK(vouch_quote_parse(&q, b, n));
	free(b);
}

static void unhex_detects_binary_and_hex(void)
{
	uint8_t bin[] = {4, 0, 2, 0, 0x81, 0, 0, 0};
	size_t n;
	CHECK_OK(vouch_quote_unhex(bin, sizeof bin, &n));
	CHECK_INT(n, sizeof bin);
	CHECK_INT(bin[0], 4);
	uint8_t hex[] = "0x04000200\n";
	CHECK_OK(vouch_quote_unhex(hex, sizeof hex - 1, &n));
	CHECK_INT(n, 4);
	CHECK_HEX(hex, 4, "04000200");
	uint8_t odd[] = "abc";
	CHECK_ERR(vouch_quote_unhex(odd, 3, &n), VOUCH_E_HEX);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(sgx_v3_vector_parses_with_every_field),
		T(tdx_v4_vector_parses_with_every_field),
		T(hex_vectors_parse),
		T(v5_quotes_with_td10_and_td15_bodies_parse),
		T(v5_body_descriptor_is_checked),
		T(header_version_and_tee_type_are_decoding_errors),
		T(every_truncation_fails_cleanly),
		T(trailing_bytes_are_counted_not_rejected),
		T(length_fields_must_agree),
		T(unhex_detects_binary_and_hex),
	};
	return test_main(argc, argv, tests, ARRAY_LEN(tests));
}
