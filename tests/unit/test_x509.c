/* DER, X.509, CRL, PEM and the SGX extension on Intel's real certificates, plus malformed encodings. */
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "crypto.h"
#include "test.h"
#include "vouch/dcap.h"
#include "vouch/quote.h"
#include "vouch/util.h"

static void der_lengths_must_be_minimal_and_definite(void)
{
	span c;
	const uint8_t ok_short[] = {0x04, 0x02, 0xaa, 0xbb};
	rd r = rd_init(ok_short, sizeof ok_short);
	CHECK_OK(der_read(&r, DER_OCTET_STRING, &c));
	CHECK_INT(c.len, 2);
	uint8_t long_form[3 + 200] = {0x04, 0x81, 200};
	r = rd_init(long_form, sizeof long_form);
	CHECK_OK(der_read(&r, DER_OCTET_STRING, &c));
	CHECK_INT(c.len, 200);
	const uint8_t non_minimal[] = {0x04, 0x81, 0x02, 0xaa, 0xbb}; /* short form was possible */
	r = rd_init(non_minimal, sizeof non_minimal);
	CHECK_ERR(der_read(&r, DER_OCTET_STRING, &c), VOUCH_E_DER);
	const uint8_t leading_zero[] = {0x04, 0x82, 0x00, 0x02, 0xaa, 0xbb};
	r = rd_init(leading_zero, sizeof leading_zero);
	CHECK_ERR(der_read(&r, DER_OCTET_STRING, &c), VOUCH_E_DER);
	const uint8_t indefinite[] = {0x30, 0x80, 0x00, 0x00};
	r = rd_init(indefinite, sizeof indefinite);
	CHECK_ERR(der_read(&r, DER_SEQUENCE, &c), VOUCH_E_DER);
	const uint8_t too_long[] = {0x04, 0x05, 0xaa};
	r = rd_init(too_long, sizeof too_long);
	CHECK_ERR(der_read(&r, DER_OCTET_STRING, &c), VOUCH_E_DER);
	const uint8_t wrong_tag[] = {0x02, 0x01, 0x00};
	r = rd_init(wrong_tag, sizeof wrong_tag);
	CHECK_ERR(der_read(&r, DER_OCTET_STRING, &c), VOUCH_E_DER);
	const uint8_t high_tag[] = {0x1f, 0x81, 0x01, 0x00};
	r = rd_init(high_tag, sizeof high_tag);
	CHECK_ERR(der_read(&r, 0x1f, &c), VOUCH_E_DER);
}

static void der_integers_and_times(void)
{
	uint64_t v;
	CHECK_OK(der_uint(span_of("\x00\x80", 2), &v));
	CHECK_INT(v, 128);
	CHECK_ERR(der_uint(span_of("\x00\x01", 2), &v), VOUCH_E_DER); /* non-minimal */
	CHECK_ERR(der_uint(span_of("\x80", 1), &v), VOUCH_E_DER);     /* negative */
	CHECK_ERR(der_uint(span_of("", 0), &v), VOUCH_E_DER);
	int64_t t;
	const uint8_t utc[] = "\x17\x0d" "491231235959Z";
	rd r = rd_init(utc, 15);
	CHECK_OK(der_time(&r, &t));
	CHECK_INT(t, 2524607999);
	const uint8_t utc50[] = "\x17\x0d" "500101000000Z"; /* YY >= 50 is 19YY */
	r = rd_init(utc50, 15);
	CHECK_ERR(der_time(&r, &t), VOUCH_E_DER); /* before 1970: refused */
	const uint8_t gen[] = "\x18\x0f" "20500101000000Z";
	r = rd_init(gen, 17);
	CHECK_OK(der_time(&r, &t));
	CHECK_INT(t, 2524608000);
	const uint8_t local[] = "\x17\x0d" "491231235959+";
	r = rd_init(local, 15);
	CHECK_ERR(der_time(&r, &t), VOUCH_E_DER);
	const uint8_t feb30[] = "\x17\x0d" "250230000000Z";
	r = rd_init(feb30, 15);
	CHECK_ERR(der_time(&r, &t), VOUCH_E_DER);
}

static void intel_root_parses_as_a_ca(void)
{
	cert c;
	CHECK_OK(cert_parse(&c, vouch_intel_root_der, vouch_intel_root_der_len));
	CHECK(c.is_ca);
	CHECK_INT(c.path_len, 1);
	CHECK(c.has_key_usage && (c.key_usage & KU_CRL_SIGN) && (c.key_usage & KU_KEY_CERT_SIGN));
	CHECK_INT(c.not_before, 1526899510);
	CHECK_INT(c.not_after, 2524607999);
	CHECK_HEX(c.serial.p, 4, "22650cd6");
	CHECK(span_eq(c.issuer, c.subject));
	char cn[64];
	name_cn(cn, sizeof cn, c.subject);
	CHECK_STR(cn, "Intel SGX Root CA");
	/* its self-signature verifies */
	CHECK(sig_verify(NULL, NULL, c.pub, c.tbs, c.sig));
	uint8_t h[32];
	sha256(h, vouch_intel_root_der, vouch_intel_root_der_len);
	CHECK(memcmp(h, vouch_intel_root_sha256, 32) == 0);
}

static void certificates_outside_the_profile_are_refused(void)
{
	uint8_t *d = malloc(vouch_intel_root_der_len);
	cert c;
	memcpy(d, vouch_intel_root_der, vouch_intel_root_der_len);
	CHECK_ERR(cert_parse(&c, d, vouch_intel_root_der_len - 1), VOUCH_E_DER); /* truncated */
	d[10] = 0x01;                                                         /* version v2 */
	CHECK_ERR(cert_parse(&c, d, vouch_intel_root_der_len), VOUCH_E_CERT_PARSE);
	memcpy(d, vouch_intel_root_der, vouch_intel_root_der_len);
	/* the signature algorithm OID's last arc 2 (SHA-256) becomes 3 (SHA-384) */
	uint8_t *oid = memmem(d, 60, "\x2a\x86\x48\xce\x3d\x04\x03\x02", 8);
	CHECK(oid != NULL);
	oid[7] = 3;
	CHECK_ERR(cert_parse(&c, d, vouch_intel_root_der_len), VOUCH_E_CERT_ALGORITHM);
	memcpy(d, vouch_intel_root_der, vouch_intel_root_der_len);
	/* mark the non-critical SKI extension (55 1d 0e) critical is impossible in place; turn the critical
	 * Key Usage OID into an unknown one instead (2.5.29.15 -> 2.5.29.127) */
	uint8_t *ku = memmem(d, vouch_intel_root_der_len, "\x06\x03\x55\x1d\x0f\x01\x01\xff", 8);
	CHECK(ku != NULL);
	ku[4] = 0x7f;
	CHECK_ERR(cert_parse(&c, d, vouch_intel_root_der_len), VOUCH_E_CERT_CRITICAL_EXT);
	free(d);
}

static void pck_chain_in_a_quote_parses_with_its_sgx_extension(void)
{
	size_t n;
	uint8_t *q = test_read_quote("dcap/tdx_quote", &n);
	vouch_quote quote;
	CHECK_OK(vouch_quote_parse(&quote, q, n));
	/* the chain ends with "\n\0": the PEM reader tolerates it */
	CHECK_INT(quote.cert_data[quote.cert_len - 1], 0);
	static cert_chain ch;
	char msg[128];
	CHECK_OK(chain_load(&ch, (const char *)quote.cert_data, quote.cert_len, msg, sizeof msg));
	CHECK_INT(ch.n, 3);
	char cn[64];
	name_cn(cn, sizeof cn, ch.certs[0].subject);
	CHECK_STR(cn, "Intel SGX PCK Certificate");
	name_cn(cn, sizeof cn, ch.certs[1].subject);
	CHECK_STR(cn, "Intel SGX PCK Platform CA");
	CHECK(!ch.certs[0].is_ca);
	CHECK(ch.certs[1].is_ca);
	sgx_ext e;
	CHECK_OK(sgx_ext_parse(&e, ch.certs[0].sgx_ext));
	CHECK_HEX(e.fmspc, 6, "b0c06f000000");
	CHECK_INT(e.pcesvn, 11);
	CHECK_HEX(e.ppid, 16, "811dca2a26b952e85bb6448b097ba4fd");
	CHECK_HEX(e.pceid, 2, "0000");
	CHECK_INT(e.sgx_type, 1);
	CHECK(e.has_platform_instance_id);
	/* the CPUSVN octet string and the 16 component INTEGERs agree on Intel's certificates */
	CHECK(memcmp(e.cpusvn, e.comp_svn, 16) == 0);
	CHECK_ERR(sgx_ext_parse(&e, span_of(NULL, 0)), VOUCH_E_PCK_EXTENSION);
	/* one byte short of the FMSPC: every truncation fails cleanly */
	span v = ch.certs[0].sgx_ext;
	for (size_t cut = 0; cut < v.len; cut++)
		CHECK_ERR(sgx_ext_parse(&e, span_of(v.p, cut)), VOUCH_E_PCK_EXTENSION);
	free(q);
}

static void crls_parse_with_their_entries(void)
{
	size_t n;
	char *text = (char *)test_read("dcap/tdx_quote_collateral.json", &n);
	vouch_collateral_src c;
	char msg[128];
	CHECK_OK(vouch_collateral_parse_json(&c, text, n, msg, sizeof msg));
	crl l;
	CHECK_OK(crl_parse(&l, c.pck_crl.p, c.pck_crl.len));
	CHECK_INT(l.n_revoked, 44);
	CHECK_INT(l.this_update, 1750327235);
	CHECK_INT(l.next_update, 1752919235);
	CHECK(crl_lists(&l, span_of("\x6f\xc3\x4e\x50\x23\xe7\x28\x92\x34\x35\xd6\x1a\xa4\xb8\x3c\x61\x81\x66\xad\x35", 20)));
	CHECK(!crl_lists(&l, span_of("\x01", 1)));
	CHECK_OK(crl_parse(&l, c.root_ca_crl.p, c.root_ca_crl.len));
	CHECK_INT(l.n_revoked, 0);
	char cn[64];
	name_cn(cn, sizeof cn, l.issuer);
	CHECK_STR(cn, "Intel SGX Root CA");
	/* every truncation of the PCK CRL fails */
	for (size_t cut = 0; cut < c.pck_crl.len; cut += 7)
		CHECK(crl_parse(&l, c.pck_crl.p, cut) != 0);
	/* version 1 CRLs are refused */
	uint8_t *d = malloc(c.root_ca_crl.len);
	memcpy(d, c.root_ca_crl.p, c.root_ca_crl.len);
	uint8_t *ver = memmem(d, 12, "\x02\x01\x01", 3);
	CHECK(ver != NULL);
	ver[2] = 0;
	CHECK_ERR(crl_parse(&l, d, c.root_ca_crl.len), VOUCH_E_CRL_PARSE);
	free(d);
	vouch_collateral_src_free(&c);
	free(text);
}

static void pem_blocks_and_base64_are_strict(void)
{
	uint8_t out[64];
	size_t n;
	const char *good = "-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n\0";
	const char *pos = good;
	CHECK_INT(pem_next(&pos, good + strlen(good) + 1, out, sizeof out, &n), 1);
	CHECK_INT(n, 4);
	CHECK_HEX(out, 4, "00010203");
	CHECK_INT(pem_next(&pos, good + strlen(good) + 1, out, sizeof out, &n), 0); /* trailing NUL is blank */
	const char *bad[] = {
		"-----BEGIN CERTIFICATE-----\nAAE\n-----END CERTIFICATE-----",     /* 3 chars, no padding */
		"-----BEGIN CERTIFICATE-----\nAA=C\n-----END CERTIFICATE-----",    /* padding in the middle */
		"-----BEGIN CERTIFICATE-----\nAAB=\n-----END CERTIFICATE-----",    /* non-zero unused bits */
		"-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----",    /* bad character */
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		pos = bad[i];
		CHECK_ERR(pem_next(&pos, bad[i] + strlen(bad[i]), out, sizeof out, &n), VOUCH_E_BASE64);
	}
	const char *unterminated = "-----BEGIN CERTIFICATE-----\nAAEC\n";
	pos = unterminated;
	CHECK_ERR(pem_next(&pos, unterminated + strlen(unterminated), out, sizeof out, &n), VOUCH_E_PEM);
	const char *junk = "hello";
	pos = junk;
	CHECK_ERR(pem_next(&pos, junk + 5, out, sizeof out, &n), VOUCH_E_PEM);
	const char *big = "-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----";
	pos = big;
	CHECK_ERR(pem_next(&pos, big + strlen(big), out, 4, &n), VOUCH_E_LIMIT);
}

static void ecdsa_raw_signatures_encode_as_minimal_der(void)
{
	uint8_t rs[64], der[72];
	memset(rs, 0, 64);
	size_t n = ecdsa_raw_to_der(der, rs);
	CHECK_INT(n, 8);
	CHECK_HEX(der, 8, "3006020100020100"); /* zero encodes as 02 01 00 */
	memset(rs, 0xff, 64);
	n = ecdsa_raw_to_der(der, rs);
	CHECK_INT(n, 72);
	CHECK_HEX(der, 5, "3046022100"); /* a set top bit gets a 0x00 prefix */
	memset(rs, 0, 64);
	rs[31] = 0x80;
	rs[63] = 0x01;
	n = ecdsa_raw_to_der(der, rs);
	CHECK_HEX(der, n, "300702020080020101"); /* leading zeros stripped */
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(der_lengths_must_be_minimal_and_definite),
		T(der_integers_and_times),
		T(intel_root_parses_as_a_ca),
		T(certificates_outside_the_profile_are_refused),
		T(pck_chain_in_a_quote_parses_with_its_sgx_extension),
		T(crls_parse_with_their_entries),
		T(pem_blocks_and_base64_are_strict),
		T(ecdsa_raw_signatures_encode_as_minimal_der),
	};
	return test_main(argc, argv, tests, ARRAY_LEN(tests));
}
