/* The adversarial generator over quotes and collateral: seeded random mutations (bit flips, truncations,
 * field swaps) of the real TDX and SGX vectors and of their collateral, each verified, counting accepted and
 * rejected. A mutation that touches a signed region (the quote's header and body, its signature and
 * attestation key, the QE report, its signature and auth data; the TCB info and QE identity texts and
 * signatures; the CRLs) must be rejected; the count of accepted mutations elsewhere is printed. Reproducible:
 * the seed is printed, and VOUCH_MUTATION_SEED / VOUCH_MUTATIONS set it and the count (default 2,000).
 * Also: a quote is not a unique byte string (ECDSA s → n−s verifies), and quote_id stays the same. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "vouch/dcap.h"

#define TDX_NOW 1752919234
#define SGX_NOW 1752919277

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t below(size_t n)
{
	return n ? (size_t)(next() % n) : 0;
}

struct region {
	size_t off, len;
};

struct vector {
	const char *quote_file, *coll_file;
	int64_t now;
	uint8_t *quote;
	size_t len;
	char *coll_text;
	vouch_collateral_src coll;
	struct region signed_parts[6];
	size_t n_signed;
	size_t end; /* where the quote's structure ends: bytes after it (dcap-qvl allows them) are no part of it */
};

static int in_signed(const struct vector *v, size_t off)
{
	for (size_t i = 0; i < v->n_signed; i++)
		if (off >= v->signed_parts[i].off && off < v->signed_parts[i].off + v->signed_parts[i].len)
			return 1;
	return 0;
}

static int load(struct vector *v)
{
	char msg[256];
	size_t n;
	v->quote = test_read_quote(v->quote_file, &v->len);
	v->coll_text = (char *)test_read(v->coll_file, &n);
	if (vouch_collateral_parse_json(&v->coll, v->coll_text, n, msg, sizeof msg))
		return -1;
	vouch_quote q;
	if (vouch_quote_parse(&q, v->quote, v->len))
		return -1;
#define PART(p, l) v->signed_parts[v->n_signed++] = (struct region){(size_t)((p) - v->quote), (l)}
	PART(q.signed_data, q.signed_len);
	PART(q.signature, 64);
	PART(q.attest_key, 64);
	PART(q.qe_report.raw, 384);
	PART(q.qe_report_sig, 64);
	PART(q.qe_auth, q.qe_auth_len);
#undef PART
	v->end = (size_t)(q.cert_data + q.cert_len - v->quote);
	return 0;
}

static int verifies(const vouch_collateral_src *src, const uint8_t *quote, size_t len, int64_t now)
{
	static vouch_verdict v;
	return vouch_verify_with(&v, NULL, src, quote, len, now) == 0;
}

struct counts {
	unsigned long tried, rejected, accepted_unsigned, accepted_signed;
};

/* One mutation of the quote: a bit flip, a truncation, or two 16-byte fields swapped. Returns whether it
 * touched a signed region (a truncation does unless it only cuts trailing bytes: it cuts the structure that
 * carries the signatures and the PCK chain). */
static int mutate_quote(const struct vector *v, uint8_t *q, size_t *len, char *what, size_t cap)
{
	memcpy(q, v->quote, v->len);
	*len = v->len;
	switch (below(3)) {
	case 0: {
		size_t off = below(v->len);
		q[off] ^= (uint8_t)(1u << below(8));
		snprintf(what, cap, "quote bit flip at %zu", off);
		return in_signed(v, off);
	}
	case 1:
		*len = below(v->len);
		snprintf(what, cap, "quote truncated to %zu", *len);
		return *len < v->end;
	default: {
		size_t a = below(v->len - 16), b = below(v->len - 16);
		if (memcmp(q + a, q + b, 16) == 0)
			b = (a + 16) % (v->len - 16);
		uint8_t t[16];
		memcpy(t, q + a, 16);
		memmove(q + a, q + b, 16);
		memcpy(q + b, t, 16);
		snprintf(what, cap, "quote fields at %zu and %zu swapped", a, b);
		int changed = memcmp(q, v->quote, v->len) != 0;
		int sig = 0;
		for (size_t i = 0; i < 16; i++)
			sig |= (q[a + i] != v->quote[a + i] && in_signed(v, a + i)) ||
			       (q[b + i] != v->quote[b + i] && in_signed(v, b + i));
		return changed && sig;
	}
	}
}

/* One mutation of a signed collateral part (into buf, which src then points at): a bit flip or a truncation. */
static void mutate_collateral(const struct vector *v, vouch_collateral_src *src, uint8_t *buf, char *what, size_t cap)
{
	*src = v->coll;
	src->owned = NULL;
	vouch_bytes *parts[] = {&src->tcb_info, &src->qe_identity, &src->pck_crl, &src->root_ca_crl};
	static const char *const names[] = {"tcb_info", "qe_identity", "pck_crl", "root_ca_crl", "tcb_info_signature",
					     "qe_identity_signature"};
	size_t k = below(6);
	if (k >= 4) {
		uint8_t *sig = k == 4 ? src->tcb_info_signature : src->qe_identity_signature;
		size_t off = below(64);
		sig[off] ^= (uint8_t)(1u << below(8));
		snprintf(what, cap, "%s bit flip at %zu", names[k], off);
		return;
	}
	vouch_bytes *p = parts[k];
	memcpy(buf, p->p, p->len);
	size_t len = p->len;
	if (below(4) == 0) {
		len = below(p->len);
		snprintf(what, cap, "%s truncated to %zu", names[k], len);
	} else {
		size_t off = below(p->len);
		buf[off] ^= (uint8_t)(1u << below(8));
		snprintf(what, cap, "%s bit flip at %zu", names[k], off);
	}
	*p = (vouch_bytes){buf, len};
}

static void random_mutations_of_signed_regions_are_rejected(void)
{
	const char *s = getenv("VOUCH_MUTATION_SEED"), *c = getenv("VOUCH_MUTATIONS");
	uint64_t seed = s ? strtoull(s, NULL, 0) : 0x5eed0f9a11ce5ULL;
	unsigned long count = c ? strtoul(c, NULL, 10) : 2000;
	rng = seed ? seed : 1;
	static struct vector vs[2] = {{.quote_file = "dcap/tdx_quote", .coll_file = "dcap/tdx_quote_collateral.json", .now = TDX_NOW},
				      {.quote_file = "dcap/sgx_quote", .coll_file = "dcap/sgx_quote_collateral.json", .now = SGX_NOW}};
	for (int i = 0; i < 2; i++)
		if (!vs[i].quote)
			CHECK(load(&vs[i]) == 0);
	for (int i = 0; i < 2; i++)
		CHECK(verifies(&vs[i].coll, vs[i].quote, vs[i].len, vs[i].now)); /* the originals verify */
	struct counts quote = {0}, coll = {0};
	size_t cap = 0;
	for (int i = 0; i < 2; i++) {
		cap = vs[i].len > cap ? vs[i].len : cap;
		cap = vs[i].coll.tcb_info.len > cap ? vs[i].coll.tcb_info.len : cap;
		cap = vs[i].coll.qe_identity.len > cap ? vs[i].coll.qe_identity.len : cap;
		cap = vs[i].coll.pck_crl.len > cap ? vs[i].coll.pck_crl.len : cap;
		cap = vs[i].coll.root_ca_crl.len > cap ? vs[i].coll.root_ca_crl.len : cap;
	}
	uint8_t *buf = malloc(cap);
	CHECK(buf);
	char what[128];
	for (unsigned long n = 0; n < count; n++) {
		struct vector *v = &vs[below(2)];
		if (below(3) != 0) {
			size_t len;
			int sig = mutate_quote(v, buf, &len, what, sizeof what);
			int ok = verifies(&v->coll, buf, len, v->now);
			quote.tried++;
			if (!ok)
				quote.rejected++;
			else if (sig)
				quote.accepted_signed++, fprintf(stderr, "  ACCEPTED (%s): %s\n", v->quote_file, what);
			else
				quote.accepted_unsigned++;
		} else {
			vouch_collateral_src src;
			mutate_collateral(v, &src, buf, what, sizeof what);
			int ok = verifies(&src, v->quote, v->len, v->now);
			coll.tried++;
			if (!ok)
				coll.rejected++;
			else
				coll.accepted_signed++, fprintf(stderr, "  ACCEPTED (%s): %s\n", v->coll_file, what);
		}
	}
	free(buf);
	printf("  mutations (seed %#llx): quote %lu tried, %lu rejected, %lu accepted outside signed regions, %lu "
	       "accepted in them; collateral %lu tried, %lu rejected, %lu accepted\n",
	       (unsigned long long)seed, quote.tried, quote.rejected, quote.accepted_unsigned, quote.accepted_signed,
	       coll.tried, coll.rejected, coll.accepted_signed);
	CHECK_INT(quote.accepted_signed, 0);
	CHECK_INT(coll.accepted_signed, 0);
	CHECK(quote.tried + coll.tried == count);
}

/* n − s for the P-256 group order n (big-endian, 32 bytes). */
static void negate_s(uint8_t s[32])
{
	static const uint8_t N[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
				      0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
				      0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
	int borrow = 0;
	for (int i = 31; i >= 0; i--) {
		int d = N[i] - s[i] - borrow;
		borrow = d < 0;
		s[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

static void a_malleated_signature_verifies_with_the_same_quote_id(void)
{
	static struct vector v = {.quote_file = "dcap/tdx_quote", .coll_file = "dcap/tdx_quote_collateral.json", .now = TDX_NOW};
	CHECK(load(&v) == 0);
	static vouch_verdict a, b;
	CHECK_OK(vouch_verify_with(&a, NULL, &v.coll, v.quote, v.len, v.now));
	CHECK(a.have_quote_id);
	uint8_t *m = malloc(v.len);
	memcpy(m, v.quote, v.len);
	/* the quote signature's s (bytes 32..64 of r ‖ s) → n − s: another byte string, the same signed quote */
	negate_s(m + v.signed_parts[1].off + 32);
	CHECK(memcmp(m, v.quote, v.len) != 0);
	CHECK_OK(vouch_verify_with(&b, NULL, &v.coll, m, v.len, v.now));
	CHECK(b.ok && b.have_quote_id && memcmp(a.quote_id, b.quote_id, 32) == 0);
	/* the QE report signature too */
	negate_s(m + v.signed_parts[4].off + 32);
	CHECK_OK(vouch_verify_with(&b, NULL, &v.coll, m, v.len, v.now));
	CHECK(memcmp(a.quote_id, b.quote_id, 32) == 0);
	/* and quote_id is in the JSON verdict */
	char *j = vouch_verdict_json(&b), hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", a.quote_id[i]);
	CHECK(j && strstr(j, "\"quote_id\"") && strstr(j, hex));
	free(j);
	free(m);
	vouch_collateral_src_free(&v.coll);
	free(v.coll_text);
	free(v.quote);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(random_mutations_of_signed_regions_are_rejected),
		T(a_malleated_signature_verifies_with_the_same_quote_id),
	};
	return test_main(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
