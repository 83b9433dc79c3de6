/* X.509 certificates (RFC 5280), CRLs and the Intel SGX extension, parsed in place. The profile is what
 * webpki accepts, narrowed to the one algorithm Intel uses (ECDSA P-256 / SHA-256). */
#include "x509.h"

static const uint8_t OID_ECDSA_SHA256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t OID_EC_PUBLIC_KEY[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t OID_P256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t OID_SERVER_AUTH[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
static const uint8_t OID_SGX_EXT[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

/* id-ce extensions are 2.5.29.n = 55 1d n */
enum {
	CE_KEY_USAGE = 15,
	CE_SAN = 17,
	CE_BASIC_CONSTRAINTS = 19,
	CE_CRL_NUMBER = 20,
	CE_REASON_CODE = 21,
	CE_INVALIDITY_DATE = 24,
	CE_DELTA_CRL = 27,
	CE_IDP = 28,
	CE_CERT_ISSUER = 29,
	CE_NAME_CONSTRAINTS = 30,
	CE_AKI = 35,
	CE_EKU = 37,
};

static int oid_is(span oid, const uint8_t *want, size_t n)
{
	return oid.len == n && memcmp(oid.p, want, n) == 0;
}

/* The n of an id-ce OID 2.5.29.n, or -1. */
static int ce_id(span oid)
{
	return oid.len == 3 && oid.p[0] == 0x55 && oid.p[1] == 0x1d && oid.p[2] < 0x80 ? oid.p[2] : -1;
}

/* AlgorithmIdentifier for ecdsa-with-SHA256: the OID and no parameters (RFC 5758 §3.2). */
static int read_sig_alg(rd *r, span *whole)
{
	span alg, oid;
	if (der_read_tlv(r, DER_SEQUENCE, &alg, whole))
		return r->err;
	rd a = rd_init(alg.p, alg.len);
	if (der_read(&a, DER_OID, &oid) || rd_left(&a) || !oid_is(oid, OID_ECDSA_SHA256, sizeof OID_ECDSA_SHA256))
		return a.err ? VOUCH_E_DER : VOUCH_E_CERT_ALGORITHM;
	return 0;
}

/* BIT STRING with no unused bits; the content after the unused-bits byte. */
static int read_bits(rd *r, span *out)
{
	span b;
	if (der_read(r, DER_BIT_STRING, &b))
		return r->err;
	if (b.len < 1 || b.p[0] != 0) {
		rd_fail(r, VOUCH_E_DER);
		return r->err;
	}
	*out = span_of(b.p + 1, b.len - 1);
	return 0;
}

/* An optional DER BOOLEAN (Extension.critical, BasicConstraints.cA). */
static int read_opt_bool(rd *r, int *out)
{
	*out = 0;
	if (der_peek(r) != DER_BOOLEAN)
		return 0;
	span b;
	if (der_read(r, DER_BOOLEAN, &b))
		return r->err;
	if (b.len != 1 || (b.p[0] != 0 && b.p[0] != 0xff)) {
		rd_fail(r, VOUCH_E_DER);
		return r->err;
	}
	*out = b.p[0] == 0xff;
	return 0;
}

/* Reads one Extension; *id gets the OID, *value the extnValue content. */
static int read_extension(rd *r, span *id, int *critical, span *value)
{
	span ext;
	if (der_read(r, DER_SEQUENCE, &ext))
		return r->err;
	rd e = rd_init(ext.p, ext.len);
	der_read(&e, DER_OID, id);
	read_opt_bool(&e, critical);
	der_read(&e, DER_OCTET_STRING, value);
	if (e.err || rd_left(&e))
		return VOUCH_E_DER;
	return 0;
}

static int parse_basic_constraints(cert *c, span v)
{
	span seq;
	rd r = rd_init(v.p, v.len);
	if (der_read(&r, DER_SEQUENCE, &seq) || rd_left(&r))
		return VOUCH_E_CERT_PARSE;
	rd s = rd_init(seq.p, seq.len);
	read_opt_bool(&s, &c->is_ca);
	if (der_peek(&s) == DER_INTEGER) {
		span n;
		uint64_t pl;
		der_read(&s, DER_INTEGER, &n);
		if (s.err || der_uint(n, &pl) || pl > 255)
			return VOUCH_E_CERT_PARSE;
		c->path_len = (int)pl;
	}
	return s.err || rd_left(&s) ? VOUCH_E_CERT_PARSE : 0;
}

static int parse_key_usage(cert *c, span v)
{
	span b;
	rd r = rd_init(v.p, v.len);
	if (der_read(&r, DER_BIT_STRING, &b) || rd_left(&r) || b.len < 2 || b.len > 3 || b.p[0] > 7)
		return VOUCH_E_CERT_PARSE;
	/* bit 0 is the most significant bit of the first content byte */
	unsigned bits = 0;
	for (size_t i = 1; i < b.len; i++)
		for (int k = 0; k < 8; k++)
			if (b.p[i] & (0x80 >> k))
				bits |= 1u << ((i - 1) * 8 + (size_t)k);
	c->has_key_usage = 1;
	c->key_usage = bits;
	return 0;
}

static int parse_eku(cert *c, span v)
{
	span seq, oid;
	rd r = rd_init(v.p, v.len);
	if (der_read(&r, DER_SEQUENCE, &seq) || rd_left(&r) || seq.len == 0)
		return VOUCH_E_CERT_PARSE;
	rd s = rd_init(seq.p, seq.len);
	c->has_eku = 1;
	while (rd_left(&s)) {
		if (der_read(&s, DER_OID, &oid))
			return VOUCH_E_CERT_PARSE;
		if (oid_is(oid, OID_SERVER_AUTH, sizeof OID_SERVER_AUTH))
			c->eku_server_auth = 1;
	}
	return 0;
}

/* 1 when an extension before `id` (which points into seq, the Extensions content) has the same OID. The
 * extensions were read once already up to id, so they parse. */
static int ext_seen_before(span seq, span id)
{
	rd s = rd_init(seq.p, seq.len);
	while (rd_left(&s)) {
		span other, value;
		int critical;
		if (read_extension(&s, &other, &critical, &value) || other.p >= id.p)
			return 0;
		if (span_eq(other, id))
			return 1;
	}
	return 0;
}

static int parse_cert_extensions(cert *c, span exts)
{
	rd r = rd_init(exts.p, exts.len);
	span seq;
	if (der_read(&r, DER_SEQUENCE, &seq) || rd_left(&r) || seq.len == 0)
		return VOUCH_E_DER;
	rd s = rd_init(seq.p, seq.len);
	uint64_t seen = 0; /* id-ce extensions seen, to refuse duplicates */
	int seen_sgx = 0, count = 0;
	while (rd_left(&s)) {
		span id, value;
		int critical, err;
		if ((err = read_extension(&s, &id, &critical, &value)))
			return err;
		/* the duplicate check looks back over the extensions before: bounded, so that a certificate of tens
		 * of thousands of tiny extensions cannot make it quadratic (Intel's certificates carry under 10) */
		if (++count > 64)
			return VOUCH_E_CERT_PARSE;
		int ce = ce_id(id);
		if (ce >= 0 && ce < 64) {
			if (seen & (1ull << ce))
				return VOUCH_E_CERT_PARSE;
			seen |= 1ull << ce;
		} else if (!oid_is(id, OID_SGX_EXT, sizeof OID_SGX_EXT) && ext_seen_before(seq, id)) {
			return VOUCH_E_CERT_PARSE; /* RFC 5280 §4.2: at most one instance of an extension */
		}
		switch (ce) {
		case CE_BASIC_CONSTRAINTS:
			err = parse_basic_constraints(c, value);
			break;
		case CE_KEY_USAGE:
			err = parse_key_usage(c, value);
			break;
		case CE_EKU:
			err = parse_eku(c, value);
			break;
		case CE_SAN:
			break; /* understood by webpki; names are not used by DCAP */
		case CE_NAME_CONSTRAINTS:
			/* Not implemented, so refused rather than ignored: Intel's PKI has none. */
			return VOUCH_E_CERT_CRITICAL_EXT;
		default:
			if (oid_is(id, OID_SGX_EXT, sizeof OID_SGX_EXT)) {
				if (seen_sgx++) /* dcap-qvl: a duplicate SGX extension is an error */
					return VOUCH_E_PCK_EXTENSION;
				c->sgx_ext = value;
			} else if (critical) {
				return VOUCH_E_CERT_CRITICAL_EXT;
			}
		}
		if (err)
			return err;
	}
	return 0;
}

static int parse_spki(cert *c, span spki)
{
	rd r = rd_init(spki.p, spki.len);
	span alg = {0}, oid = {0}, curve = {0}, key = {0};
	der_read(&r, DER_SEQUENCE, &alg);
	read_bits(&r, &key);
	if (r.err || rd_left(&r))
		return VOUCH_E_DER;
	rd a = rd_init(alg.p, alg.len);
	der_read(&a, DER_OID, &oid);
	der_read(&a, DER_OID, &curve);
	if (a.err || rd_left(&a) || !oid_is(oid, OID_EC_PUBLIC_KEY, sizeof OID_EC_PUBLIC_KEY) ||
	    !oid_is(curve, OID_P256, sizeof OID_P256))
		return VOUCH_E_CERT_ALGORITHM;
	if (key.len != 65 || key.p[0] != 0x04)
		return VOUCH_E_CERT_ALGORITHM;
	c->pub = key.p;
	return 0;
}

int cert_parse(cert *out, const uint8_t *der, size_t len)
{
	cert c;
	memset(&c, 0, sizeof c);
	memset(out, 0, sizeof *out);
	c.path_len = -1;
	rd top = rd_init(der, len);
	span body, tbs, version, exts = {0};
	int err;
	if (der_read_tlv(&top, DER_SEQUENCE, &body, &c.der) || rd_left(&top))
		return VOUCH_E_DER;
	rd r = rd_init(body.p, body.len);
	if (der_read_tlv(&r, DER_SEQUENCE, &tbs, &c.tbs))
		return VOUCH_E_DER;
	if ((err = read_sig_alg(&r, NULL)))
		return err;
	read_bits(&r, &c.sig);
	if (r.err || rd_left(&r))
		return VOUCH_E_DER;

	rd t = rd_init(tbs.p, tbs.len);
	/* version [0] EXPLICIT INTEGER: webpki accepts only v3 */
	if (der_read(&t, DER_CTX(0), &version))
		return VOUCH_E_DER;
	if (version.len != 3 || version.p[0] != DER_INTEGER || version.p[1] != 1 || version.p[2] != 2)
		return VOUCH_E_CERT_PARSE;
	if (der_read(&t, DER_INTEGER, &c.serial))
		return VOUCH_E_DER;
	/* RFC 5280 §4.1.2.2: positive, at most 20 octets (21 with the sign byte) */
	if (c.serial.len == 0 || c.serial.len > 21 || (c.serial.p[0] & 0x80))
		return VOUCH_E_CERT_PARSE;
	if ((err = read_sig_alg(&t, NULL)))
		return err;
	span validity, spki;
	der_read_tlv(&t, DER_SEQUENCE, NULL, &c.issuer);
	der_read(&t, DER_SEQUENCE, &validity);
	der_read_tlv(&t, DER_SEQUENCE, NULL, &c.subject);
	der_read_tlv(&t, DER_SEQUENCE, &spki, &c.spki);
	if (t.err)
		return VOUCH_E_DER;
	rd v = rd_init(validity.p, validity.len);
	der_time(&v, &c.not_before);
	der_time(&v, &c.not_after);
	if (v.err || rd_left(&v))
		return VOUCH_E_DER;
	/* issuerUniqueID [1] / subjectUniqueID [2] are not part of the profile */
	if (der_peek(&t) == DER_CTX(3) && der_read(&t, DER_CTX(3), &exts))
		return VOUCH_E_DER;
	if (rd_left(&t))
		return VOUCH_E_CERT_PARSE;
	if ((err = parse_spki(&c, span_of(spki.p, spki.len))))
		return err;
	c.exts = exts;
	if (exts.p && (err = parse_cert_extensions(&c, exts)))
		return err;
	*out = c;
	return 0;
}

int cert_find_ext(const cert *c, const uint8_t *oid, size_t oid_len, span *value)
{
	rd r = rd_init(c->exts.p, c->exts.len);
	span seq;
	if (!c->exts.p || der_read(&r, DER_SEQUENCE, &seq))
		return 0;
	rd s = rd_init(seq.p, seq.len);
	while (rd_left(&s)) {
		span id, v;
		int critical;
		if (read_extension(&s, &id, &critical, &v))
			return 0;
		if (oid_is(id, oid, oid_len)) {
			*value = v;
			return 1;
		}
	}
	return 0;
}

/* One revokedCertificates entry: serial, date, optional entry extensions. */
static int check_crl_entry(span entry)
{
	rd e = rd_init(entry.p, entry.len);
	span serial, exts;
	int64_t when;
	der_read(&e, DER_INTEGER, &serial);
	der_time(&e, &when);
	if (e.err || serial.len == 0)
		return VOUCH_E_DER;
	if (!rd_left(&e))
		return 0;
	if (der_read(&e, DER_SEQUENCE, &exts) || rd_left(&e))
		return VOUCH_E_DER;
	rd x = rd_init(exts.p, exts.len);
	while (rd_left(&x)) {
		span id, value;
		int critical;
		if (read_extension(&x, &id, &critical, &value))
			return VOUCH_E_DER;
		int ce = ce_id(id);
		if (ce == CE_CERT_ISSUER) /* indirect CRL entries are not supported (webpki neither) */
			return VOUCH_E_CRL_PARSE;
		if (ce != CE_REASON_CODE && ce != CE_INVALIDITY_DATE && critical)
			return VOUCH_E_CRL_PARSE;
	}
	return 0;
}

static int parse_crl_extensions(crl *c, span exts)
{
	rd r = rd_init(exts.p, exts.len);
	span seq;
	if (der_read(&r, DER_SEQUENCE, &seq) || rd_left(&r))
		return VOUCH_E_DER;
	rd s = rd_init(seq.p, seq.len);
	uint64_t seen = 0;
	while (rd_left(&s)) {
		span id, value;
		int critical;
		if (read_extension(&s, &id, &critical, &value))
			return VOUCH_E_DER;
		int ce = ce_id(id);
		if (ce >= 0 && ce < 64) {
			if (seen & (1ull << ce))
				return VOUCH_E_CRL_PARSE;
			seen |= 1ull << ce;
		}
		switch (ce) {
		case CE_CRL_NUMBER: {
			span n;
			rd v = rd_init(value.p, value.len);
			/* RFC 5280 §5.2.3: a non-negative INTEGER of at most 20 octets */
			if (der_read(&v, DER_INTEGER, &n) || rd_left(&v) || n.len == 0 || n.len > 21 ||
			    (n.p[0] & 0x80))
				return VOUCH_E_CRL_PARSE;
			break;
		}
		case CE_AKI:
			break;
		case CE_IDP:
			c->has_idp = 1;
			break;
		case CE_DELTA_CRL:
			return VOUCH_E_CRL_PARSE;
		default:
			if (critical)
				return VOUCH_E_CRL_PARSE;
		}
	}
	return 0;
}

int crl_parse(crl *out, const uint8_t *der, size_t len)
{
	crl c;
	memset(&c, 0, sizeof c);
	memset(out, 0, sizeof *out);
	rd top = rd_init(der, len);
	span body, tbs, version, exts;
	if (der_read_tlv(&top, DER_SEQUENCE, &body, &c.der) || rd_left(&top))
		return VOUCH_E_DER;
	rd r = rd_init(body.p, body.len);
	if (der_read_tlv(&r, DER_SEQUENCE, &tbs, &c.tbs))
		return VOUCH_E_DER;
	int err = read_sig_alg(&r, NULL);
	if (err)
		return err == VOUCH_E_CERT_ALGORITHM ? VOUCH_E_CRL_PARSE : err;
	read_bits(&r, &c.sig);
	if (r.err || rd_left(&r))
		return VOUCH_E_DER;

	rd t = rd_init(tbs.p, tbs.len);
	/* version INTEGER 1 (v2): required by webpki */
	if (der_read(&t, DER_INTEGER, &version) || version.len != 1 || version.p[0] != 1)
		return VOUCH_E_CRL_PARSE;
	if ((err = read_sig_alg(&t, NULL)))
		return err == VOUCH_E_CERT_ALGORITHM ? VOUCH_E_CRL_PARSE : err;
	der_read_tlv(&t, DER_SEQUENCE, NULL, &c.issuer);
	der_time(&t, &c.this_update);
	if (t.err)
		return VOUCH_E_DER;
	if (der_peek(&t) != DER_UTC_TIME && der_peek(&t) != DER_GEN_TIME)
		return VOUCH_E_CRL_PARSE; /* nextUpdate is required */
	if (der_time(&t, &c.next_update))
		return VOUCH_E_DER;
	if (der_peek(&t) == DER_SEQUENCE) {
		if (der_read(&t, DER_SEQUENCE, &c.revoked))
			return VOUCH_E_DER;
		rd e = rd_init(c.revoked.p, c.revoked.len);
		while (rd_left(&e)) {
			span entry;
			if (der_read(&e, DER_SEQUENCE, &entry))
				return VOUCH_E_DER;
			if ((err = check_crl_entry(entry)))
				return err;
			c.n_revoked++;
		}
	}
	if (der_peek(&t) != DER_CTX(0))
		return VOUCH_E_CRL_PARSE; /* crlExtensions are required (v2 CRLs carry cRLNumber) */
	if (der_read(&t, DER_CTX(0), &exts) || rd_left(&t))
		return VOUCH_E_DER;
	if ((err = parse_crl_extensions(&c, exts)))
		return err;
	*out = c;
	return 0;
}

int crl_lists(const crl *c, span serial)
{
	rd e = rd_init(c->revoked.p, c->revoked.len);
	while (rd_left(&e)) {
		span entry, s;
		der_read(&e, DER_SEQUENCE, &entry);
		rd x = rd_init(entry.p, entry.len);
		if (der_read(&x, DER_INTEGER, &s))
			return 0; /* cannot happen: validated by crl_parse */
		if (span_eq(s, serial))
			return 1;
	}
	return 0;
}

/* ---- Intel SGX extension (OID 1.2.840.113741.1.13.1) ---- */

/* sub-OIDs are the extension OID followed by one or two arcs */
static int sgx_arc(span oid, int *a, int *b)
{
	size_t n = sizeof OID_SGX_EXT;
	if (oid.len < n + 1 || oid.len > n + 2 || memcmp(oid.p, OID_SGX_EXT, n) != 0)
		return 0;
	*a = oid.p[n];
	*b = oid.len == n + 2 ? oid.p[n + 1] : -1;
	return *a < 0x80 && *b < 0x80;
}

static int octets(span v, uint8_t *out, size_t n)
{
	if (v.len != n)
		return VOUCH_E_PCK_EXTENSION;
	memcpy(out, v.p, n);
	return 0;
}

static int small_uint(span v, unsigned max, unsigned *out)
{
	uint64_t x;
	if (der_uint(v, &x) || x > max)
		return VOUCH_E_PCK_EXTENSION;
	*out = (unsigned)x;
	return 0;
}

static int parse_sgx_tcb(sgx_ext *o, span seq)
{
	rd r = rd_init(seq.p, seq.len);
	uint32_t seen = 0;
	while (rd_left(&r)) {
		span item, oid, val;
		if (der_read(&r, DER_SEQUENCE, &item))
			return VOUCH_E_PCK_EXTENSION;
		rd i = rd_init(item.p, item.len);
		der_read(&i, DER_OID, &oid);
		int a, b, tag = der_peek(&i);
		if (i.err || !sgx_arc(oid, &a, &b) || a != 2 || b < 1 || b > 18 || (seen & (1u << b)))
			return VOUCH_E_PCK_EXTENSION;
		seen |= 1u << b;
		if (der_read(&i, b == 18 ? DER_OCTET_STRING : DER_INTEGER, &val) || rd_left(&i) ||
		    (tag != DER_OCTET_STRING && tag != DER_INTEGER))
			return VOUCH_E_PCK_EXTENSION;
		unsigned u;
		if (b <= 16) {
			if (small_uint(val, 255, &u))
				return VOUCH_E_PCK_EXTENSION;
			o->comp_svn[b - 1] = (uint8_t)u;
		} else if (b == 17) {
			/* PCESVN: 1-2 content bytes, big-endian */
			if (small_uint(val, 65535, &u))
				return VOUCH_E_PCK_EXTENSION;
			o->pcesvn = (uint16_t)u;
		} else if (octets(val, o->cpusvn, 16)) {
			return VOUCH_E_PCK_EXTENSION;
		}
	}
	/* dcap-qvl requires PCESVN and CPUSVN; the 16 component INTEGERs are Intel's and always present */
	return (seen & 0x7fffe) == 0x7fffe ? 0 : VOUCH_E_PCK_EXTENSION;
}

int sgx_ext_parse(sgx_ext *out, span value)
{
	sgx_ext o;
	memset(&o, 0, sizeof o);
	memset(out, 0, sizeof *out);
	rd top = rd_init(value.p, value.len);
	span seq;
	if (!value.p || der_read(&top, DER_SEQUENCE, &seq) || rd_left(&top))
		return VOUCH_E_PCK_EXTENSION;
	rd r = rd_init(seq.p, seq.len);
	unsigned seen = 0;
	while (rd_left(&r)) {
		span item, oid, val;
		if (der_read(&r, DER_SEQUENCE, &item))
			return VOUCH_E_PCK_EXTENSION;
		rd i = rd_init(item.p, item.len);
		int a, b, err = 0;
		der_read(&i, DER_OID, &oid);
		if (i.err || !sgx_arc(oid, &a, &b) || b != -1)
			return VOUCH_E_PCK_EXTENSION;
		if (a < 16) {
			if (seen & (1u << a))
				return VOUCH_E_PCK_EXTENSION; /* duplicate item */
			seen |= 1u << a;
		}
		unsigned u;
		switch (a) {
		case 1:
			err = der_read(&i, DER_OCTET_STRING, &val) || octets(val, o.ppid, 16);
			break;
		case 2:
			err = der_read(&i, DER_SEQUENCE, &val) || parse_sgx_tcb(&o, val);
			break;
		case 3:
			err = der_read(&i, DER_OCTET_STRING, &val) || octets(val, o.pceid, 2);
			break;
		case 4:
			err = der_read(&i, DER_OCTET_STRING, &val) || octets(val, o.fmspc, 6);
			break;
		case 5:
			err = der_read(&i, DER_ENUMERATED, &val) || small_uint(val, 2, &u);
			o.sgx_type = err ? 0 : (int)u;
			break;
		case 6:
			err = der_read(&i, DER_OCTET_STRING, &val) || octets(val, o.platform_instance_id, 16);
			o.has_platform_instance_id = !err;
			break;
		default: /* .7 Configuration and anything newer: not used for verification */
			i.p = i.end;
		}
		if (err || i.err || rd_left(&i))
			return VOUCH_E_PCK_EXTENSION;
	}
	if ((seen & 0x3e) != 0x3e) /* PPID, TCB, PCE-ID, FMSPC and SGX type are required */
		return VOUCH_E_PCK_EXTENSION;
	*out = o;
	return 0;
}
