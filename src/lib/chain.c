/* Path building and revocation. Semantics follow webpki 0.103 as used by dcap-qvl: the anchor's own dates
 * are not checked; every other certificate needs notBefore <= now <= notAfter; a leaf may not be a CA and an
 * issuer must be one (pathLen honoured); an EKU, when present, must allow serverAuth; revocation covers
 * every certificate below the anchor with "unknown status = deny" and "expired CRL = error". */
#include <stdio.h>

#include "chain.h"
#include "crypto.h"

static const uint8_t OID_CN[] = {0x55, 0x04, 0x03};

void name_cn(char *out, size_t cap, span name)
{
	rd r = rd_init(name.p, name.len);
	span seq, set, atv, oid, val;
	snprintf(out, cap, "?");
	if (der_read(&r, DER_SEQUENCE, &seq))
		return;
	rd s = rd_init(seq.p, seq.len);
	while (rd_left(&s) && !der_read(&s, DER_SET, &set)) {
		rd a = rd_init(set.p, set.len);
		while (rd_left(&a) && !der_read(&a, DER_SEQUENCE, &atv)) {
			rd v = rd_init(atv.p, atv.len);
			if (der_read(&v, DER_OID, &oid) || oid.len != 3 || memcmp(oid.p, OID_CN, 3) != 0)
				continue;
			int tag = der_peek(&v);
			if (tag < 0 || der_read(&v, (uint8_t)tag, &val))
				return;
			size_t n = val.len < cap - 1 ? val.len : cap - 1;
			for (size_t i = 0; i < n; i++) /* printable ASCII only: this goes into messages */
				out[i] = val.p[i] >= 0x20 && val.p[i] < 0x7f ? (char)val.p[i] : '?';
			out[n] = 0;
			return;
		}
	}
}

int sig_verify(sigcache *cache, keycache *kc, const uint8_t pub[static 65], span msg, span sig)
{
	uint8_t digest[32], key[32];
	sha256(digest, msg.p, msg.len);
	if (cache) {
		uint8_t buf[65 + 32 + 80];
		if (sig.len > 80)
			return 0; /* longer than any P-256 DER signature */
		memcpy(buf, pub, 65);
		memcpy(buf + 65, digest, 32);
		memcpy(buf + 97, sig.p, sig.len);
		sha256(key, buf, 97 + sig.len);
		for (unsigned i = 0; i < cache->n; i++)
			if (memcmp(cache->key[i], key, 32) == 0)
				return 1;
	}
	if (!p256_verify_der(kc, pub, digest, sig.p, sig.len))
		return 0;
	if (cache) {
		memcpy(cache->key[cache->next], key, 32);
		cache->next = (cache->next + 1) % SIGCACHE_SLOTS;
		if (cache->n < SIGCACHE_SLOTS)
			cache->n++;
	}
	return 1;
}

int chain_load(cert_chain *out, const char *pem, size_t len, char *msg, size_t cap)
{
	const char *pos = pem, *end = pem + len;
	size_t used = 0;
	out->n = 0;
	for (;;) {
		size_t n;
		int r = pem_next(&pos, end, out->der + used, sizeof out->der - used, &n);
		if (r == 0)
			break;
		if (r < 0) {
			msgf(msg, cap, "certificate %zu: %s", out->n, vouch_strerror(r));
			return r;
		}
		if (out->n == CHAIN_MAX_CERTS) {
			msgf(msg, cap, "more than %d certificates", CHAIN_MAX_CERTS);
			return VOUCH_E_CHAIN_TOO_LONG;
		}
		int err = cert_parse(&out->certs[out->n], out->der + used, n);
		if (err) {
			msgf(msg, cap, "certificate %zu: %s", out->n, vouch_strerror(err));
			return err;
		}
		used += n;
		out->n++;
	}
	if (out->n == 0) {
		msgf(msg, cap, "no certificate");
		return VOUCH_E_CHAIN_TOO_SHORT;
	}
	return 0;
}

static int fail_cert(chain_ctx *cx, int err, const cert *c, const char *detail)
{
	char cn[80];
	name_cn(cn, sizeof cn, c->subject);
	msgf(cx->msg, cx->cap, "%s chain: \"%s\": %s%s", cx->what, cn, vouch_strerror(err), detail);
	return err;
}

/* Checks that do not depend on the issuer (webpki: check_issuer_independent_properties). */
static int check_cert(chain_ctx *cx, const cert *c, size_t depth, size_t sub_ca_count)
{
	char when[48], t[21];
	if (cx->now < c->not_before) {
		fmt_time(t, c->not_before);
		msgf(when, sizeof when, " (notBefore %s)", t);
		return fail_cert(cx, VOUCH_E_CERT_NOT_YET_VALID, c, when);
	}
	if (cx->now > c->not_after) {
		fmt_time(t, c->not_after);
		msgf(when, sizeof when, " (notAfter %s)", t);
		return fail_cert(cx, VOUCH_E_CERT_EXPIRED, c, when);
	}
	if (depth == 0 && c->is_ca)
		return fail_cert(cx, VOUCH_E_CERT_CA_AS_LEAF, c, "");
	if (depth > 0 && !c->is_ca)
		return fail_cert(cx, VOUCH_E_CERT_LEAF_AS_CA, c, "");
	if (depth > 0 && c->path_len >= 0 && sub_ca_count > (size_t)c->path_len)
		return fail_cert(cx, VOUCH_E_CERT_PATHLEN, c, "");
	if (c->has_eku && !c->eku_server_auth)
		return fail_cert(cx, VOUCH_E_CERT_EKU, c, "");
	return 0;
}

/* Depth-first search for an issuer of path[depth]; ranks errors so the most specific one is reported. */
static int build(chain_ctx *cx, const cert_chain *ch, const cert *c, size_t depth, unsigned used)
{
	int err = check_cert(cx, c, depth, depth ? depth - 1 : 0);
	if (err)
		return err;
	cx->path[depth] = c;
	cx->path_len = depth + 1;
	sigcache *cache = depth == 0 && !cx->cache_leaf ? NULL : cx->cache;
	int best = VOUCH_E_CERT_UNKNOWN_ISSUER;
	if (span_eq(c->issuer, cx->anchor->subject)) {
		if (sig_verify(cache, cx->keys, cx->anchor->pub, c->tbs, c->sig))
			return 0;
		best = VOUCH_E_CERT_SIGNATURE;
	}
	if (depth + 1 >= CHAIN_MAX_CERTS)
		return fail_cert(cx, VOUCH_E_CHAIN_TOO_LONG, c, "");
	for (size_t i = 1; i < ch->n; i++) {
		const cert *issuer = &ch->certs[i];
		if ((used & (1u << i)) || !span_eq(c->issuer, issuer->subject))
			continue;
		if (!sig_verify(cache, cx->keys, issuer->pub, c->tbs, c->sig)) {
			best = VOUCH_E_CERT_SIGNATURE;
			continue;
		}
		err = build(cx, ch, issuer, depth + 1, used | (1u << i));
		if (!err)
			return 0;
		best = err;
		cx->path_len = depth + 1;
	}
	if (best == VOUCH_E_CERT_SIGNATURE || best == VOUCH_E_CERT_UNKNOWN_ISSUER) {
		char issuer[80], detail[120];
		name_cn(issuer, sizeof issuer, c->issuer);
		msgf(detail, sizeof detail, " (issuer \"%s\")", issuer);
		return fail_cert(cx, best, c, detail);
	}
	return best;
}

int chain_verify(chain_ctx *cx, const cert_chain *ch)
{
	cx->path_len = 0;
	if (ch->n == 0) {
		msgf(cx->msg, cx->cap, "%s chain is empty", cx->what);
		return VOUCH_E_CHAIN_TOO_SHORT;
	}
	int err = build(cx, ch, &ch->certs[0], 0, 1);
	/* beyond webpki: nothing unused rides along, except the anchor itself (Intel's chains end with it) */
	for (size_t i = 0; !err && i < ch->n; i++) {
		size_t k = 0;
		while (k < cx->path_len && cx->path[k] != &ch->certs[i])
			k++;
		if (k == cx->path_len && !span_eq(ch->certs[i].der, cx->anchor->der)) {
			char name[80];
			name_cn(name, sizeof name, ch->certs[i].subject);
			msgf(cx->msg, cx->cap, "%s chain: certificate \"%s\" is neither on the path to the root nor the root itself",
			     cx->what, name);
			err = VOUCH_E_CHAIN_EXTRA;
		}
	}
	return err;
}

/* The revocation status of c, issued by the holder of issuer_pub (issuer_cert for its key usage). Names
 * are only decoded for messages, on failure. */
static int check_revoked(chain_ctx *cx, const cert *c, span issuer_name, const uint8_t *issuer_pub,
			 const cert *issuer_cert, int is_anchor)
{
	char cn[80], icn[80], t[21];
	for (size_t i = 0; i < ARRAY_LEN(cx->crls); i++) {
		const crl *l = cx->crls[i];
		if (!l || l->has_idp || !span_eq(l->issuer, issuer_name))
			continue;
		int err = 0;
		if (!sig_verify(cx->cache, cx->keys, issuer_pub, l->tbs, l->sig))
			err = VOUCH_E_CRL_SIGNATURE;
		else if (cx->now >= l->next_update)
			err = VOUCH_E_CRL_EXPIRED;
		else if (issuer_cert && issuer_cert->has_key_usage && !(issuer_cert->key_usage & KU_CRL_SIGN))
			err = VOUCH_E_CRL_KEY_USAGE;
		else if (crl_lists(l, c->serial))
			err = is_anchor ? VOUCH_E_ROOT_REVOKED : VOUCH_E_CERT_REVOKED;
		if (!err)
			return 0;
		name_cn(icn, sizeof icn, l->issuer);
		name_cn(cn, sizeof cn, c->subject);
		if (err == VOUCH_E_CRL_SIGNATURE) {
			msgf(cx->msg, cx->cap, "%s chain: CRL of \"%s\": signature invalid", cx->what, icn);
		} else if (err == VOUCH_E_CRL_EXPIRED) {
			fmt_time(t, l->next_update);
			msgf(cx->msg, cx->cap, "%s chain: CRL of \"%s\" expired at %s (nextUpdate)", cx->what, icn, t);
		} else if (err == VOUCH_E_CRL_KEY_USAGE) {
			msgf(cx->msg, cx->cap, "%s chain: \"%s\" may not sign CRLs", cx->what, icn);
		} else {
			char serial[2 * 21 + 1];
			hex_lower(serial, c->serial.p, c->serial.len);
			msgf(cx->msg, cx->cap, "%s chain: \"%s\" (serial %s) is revoked by the CRL of \"%s\"", cx->what,
			     cn, serial, icn);
		}
		return err;
	}
	name_cn(icn, sizeof icn, issuer_name);
	name_cn(cn, sizeof cn, c->subject);
	msgf(cx->msg, cx->cap, "%s chain: no CRL from \"%s\" for \"%s\": revocation status unknown", cx->what, icn, cn);
	return VOUCH_E_CRL_UNKNOWN;
}

int chain_revocation(chain_ctx *cx)
{
	for (size_t i = 0; i < cx->path_len; i++) {
		const cert *c = cx->path[i];
		const cert *issuer = i + 1 < cx->path_len ? cx->path[i + 1] : cx->anchor;
		int err = check_revoked(cx, c, c->issuer, issuer->pub, issuer, 0);
		if (err)
			return err;
	}
	return 0;
}

int anchor_revocation(chain_ctx *cx)
{
	const cert *a = cx->anchor;
	return check_revoked(cx, a, a->issuer, a->pub, a, 1);
}
