/* An RA-TLS certificate checked as a certificate (RFC 5280), beside its attestation (vouch_ratls_evidence):
 * its dates, its signature, and the profile of x509.c (which refuses duplicate extensions, §4.2). */
#include "crypto.h"
#include "vouch/dstack.h"
#include "x509.h"

static int validity(const cert *c, int64_t now, const char *which, char *msg, size_t cap)
{
	char t[21];
	if (now < c->not_before) {
		fmt_time(t, c->not_before);
		msgf(msg, cap, "%s: not valid before %s (--now is earlier)", which, t);
		return VOUCH_E_CERT_NOT_YET_VALID;
	}
	if (now > c->not_after) {
		fmt_time(t, c->not_after);
		msgf(msg, cap, "%s: expired at %s", which, t);
		return VOUCH_E_CERT_EXPIRED;
	}
	return 0;
}

static int signed_by(const cert *c, const uint8_t pub[static 65])
{
	uint8_t digest[32];
	sha256(digest, c->tbs.p, c->tbs.len);
	return p256_verify_der(NULL, pub, digest, c->sig.p, c->sig.len);
}

int vouch_ratls_check_cert(vouch_ratls_cert *out, const uint8_t *der, size_t len, const uint8_t *issuer_der,
			   size_t issuer_len, int64_t now, char *msg, size_t cap)
{
	cert c, ca;
	memset(out, 0, sizeof *out);
	int err = cert_parse(&c, der, len);
	if (err) {
		msgf(msg, cap, "RA-TLS certificate: %s%s", vouch_strerror(err),
		     err == VOUCH_E_CERT_PARSE ? " (outside the profile, or an extension present twice)" : "");
		return err;
	}
	out->not_before = c.not_before;
	out->not_after = c.not_after;
	out->self_issued = span_eq(c.issuer, c.subject);
	if ((err = validity(&c, now, "RA-TLS certificate", msg, cap)))
		return err;
	if (issuer_der) {
		if ((err = cert_parse(&ca, issuer_der, issuer_len))) {
			msgf(msg, cap, "issuer certificate: %s", vouch_strerror(err));
			return err;
		}
		if (!span_eq(ca.subject, c.issuer)) {
			msgf(msg, cap, "issuer certificate: its subject is not the RA-TLS certificate's issuer");
			return VOUCH_E_CERT_UNKNOWN_ISSUER;
		}
		if (!ca.is_ca || (ca.has_key_usage && !(ca.key_usage & KU_KEY_CERT_SIGN))) {
			msgf(msg, cap, "issuer certificate: not a CA (basicConstraints cA, keyCertSign)");
			return VOUCH_E_CERT_LEAF_AS_CA;
		}
		if ((err = validity(&ca, now, "issuer certificate", msg, cap)))
			return err;
		if (!signed_by(&c, ca.pub)) {
			msgf(msg, cap, "RA-TLS certificate: its signature does not verify under the issuer's key");
			return VOUCH_E_CERT_SIGNATURE;
		}
		out->signature = VOUCH_RATLS_SIG_ISSUER;
	} else if (out->self_issued) {
		if (!signed_by(&c, c.pub)) {
			msgf(msg, cap, "RA-TLS certificate: self-issued, and its signature does not verify under its own key");
			return VOUCH_E_CERT_SIGNATURE;
		}
		out->signature = VOUCH_RATLS_SIG_SELF;
	} else {
		out->signature = VOUCH_RATLS_SIG_UNCHECKED;
	}
	return 0;
}
