/* Collateral: dcap-qvl's JSON form (QuoteCollateralV3) in and out, and the handle that caches its parsing
 * and signature checks across verifications. */
#include <stdlib.h>

#include <jansson.h>

#include "collateral.h"
#include "vouch/util.h"

/* Field order of dcap-qvl's JSON. `hex` fields are binary in the struct. */
static const struct field {
	const char *name;
	size_t off;    /* offset of the vouch_bytes in vouch_collateral_src, or of the 64-byte signature */
	int hex;       /* 1: hex → bytes; 2: hex → fixed 64-byte signature */
	int required;
} FIELDS[] = {
	{"pck_crl_issuer_chain", offsetof(vouch_collateral_src, pck_crl_issuer_chain), 0, 1},
	{"root_ca_crl", offsetof(vouch_collateral_src, root_ca_crl), 1, 1},
	{"pck_crl", offsetof(vouch_collateral_src, pck_crl), 1, 1},
	{"tcb_info_issuer_chain", offsetof(vouch_collateral_src, tcb_info_issuer_chain), 0, 1},
	{"tcb_info", offsetof(vouch_collateral_src, tcb_info), 0, 1},
	{"tcb_info_signature", offsetof(vouch_collateral_src, tcb_info_signature), 2, 1},
	{"qe_identity_issuer_chain", offsetof(vouch_collateral_src, qe_identity_issuer_chain), 0, 1},
	{"qe_identity", offsetof(vouch_collateral_src, qe_identity), 0, 1},
	{"qe_identity_signature", offsetof(vouch_collateral_src, qe_identity_signature), 2, 1},
	{"pck_certificate_chain", offsetof(vouch_collateral_src, pck_certificate_chain), 0, 0},
};

int vouch_collateral_parse_json(vouch_collateral_src *out, const char *text, size_t len, char *msg, size_t cap)
{
	if (!out || !text)
		return VOUCH_E_ARG;
	memset(out, 0, sizeof *out);
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		msgf(msg, cap, "collateral is not a JSON object%s%s", root ? "" : ": ", root ? "" : jerr.text);
		json_decref(root);
		return VOUCH_E_JSON;
	}
	/* one allocation for every field: sizes are bounded by the text length */
	size_t total = 0;
	for (size_t i = 0; i < ARRAY_LEN(FIELDS); i++) {
		json_t *v = json_object_get(root, FIELDS[i].name);
		if (!v || json_is_null(v)) {
			if (FIELDS[i].required) {
				msgf(msg, cap, "collateral field %s is missing", FIELDS[i].name);
				json_decref(root);
				return VOUCH_E_COLLATERAL;
			}
			continue;
		}
		if (!json_is_string(v)) {
			msgf(msg, cap, "collateral field %s is not a string", FIELDS[i].name);
			json_decref(root);
			return VOUCH_E_COLLATERAL;
		}
		total += json_string_length(v) + 1;
	}
	uint8_t *buf = malloc(total ? total : 1), *p = buf;
	if (!buf) {
		json_decref(root);
		return VOUCH_E_NOMEM;
	}
	int err = 0;
	for (size_t i = 0; i < ARRAY_LEN(FIELDS) && !err; i++) {
		json_t *v = json_object_get(root, FIELDS[i].name);
		if (!v || json_is_null(v))
			continue;
		const char *s = json_string_value(v);
		size_t n = json_string_length(v), got;
		void *slot = (uint8_t *)out + FIELDS[i].off;
		if (FIELDS[i].hex == 2) {
			if (vouch_hex_decode(slot, 64, &got, s, n) || got != 64) {
				msgf(msg, cap, "collateral field %s must be 64 bytes of hex", FIELDS[i].name);
				err = VOUCH_E_HEX;
			}
		} else if (FIELDS[i].hex == 1) {
			if (vouch_hex_decode(p, n, &got, s, n)) {
				msgf(msg, cap, "collateral field %s is not hex", FIELDS[i].name);
				err = VOUCH_E_HEX;
			}
			*(vouch_bytes *)slot = (vouch_bytes){p, got};
			p += got;
		} else {
			memcpy(p, s, n);
			p[n] = 0;
			*(vouch_bytes *)slot = (vouch_bytes){p, n};
			p += n + 1;
		}
	}
	json_decref(root);
	if (err) {
		free(buf);
		memset(out, 0, sizeof *out);
		return err;
	}
	out->owned = buf;
	return 0;
}

void vouch_collateral_src_free(vouch_collateral_src *c)
{
	if (!c)
		return;
	free(c->owned);
	memset(c, 0, sizeof *c);
}

char *vouch_collateral_to_json(const vouch_collateral_src *c)
{
	json_t *o = json_object();
	char *out = NULL;
	if (!o)
		return NULL;
	for (size_t i = 0; i < ARRAY_LEN(FIELDS); i++) {
		const void *slot = (const uint8_t *)c + FIELDS[i].off;
		const vouch_bytes *b = slot;
		json_t *v;
		if (FIELDS[i].hex == 2) {
			char hex[129];
			vouch_hex_encode(hex, slot, 64);
			v = json_string(hex);
		} else if (!b->p) {
			continue;
		} else if (FIELDS[i].hex == 1) {
			char *hex = malloc(2 * b->len + 1);
			if (!hex)
				goto out;
			vouch_hex_encode(hex, b->p, b->len);
			v = json_string(hex);
			free(hex);
		} else {
			v = json_stringn((const char *)b->p, b->len);
		}
		if (!v || json_object_set_new(o, FIELDS[i].name, v))
			goto out;
	}
	out = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2));
out:
	json_decref(o);
	return out;
}

static void load_chain(int *err, char *msg, cert_chain *ch, vouch_bytes pem)
{
	char m[PART_MSG];
	*err = chain_load(ch, (const char *)pem.p, pem.len, m, sizeof m);
	if (*err)
		msgf(msg, PART_MSG, "%s", m);
}

void collateral_parse(struct vouch_collateral *c)
{
	if (c->parsed)
		return;
	c->parsed = 1;
	const vouch_collateral_src *s = &c->src;
	const char *names[2] = {"root CA CRL", "PCK CRL"};
	vouch_bytes ders[2] = {s->root_ca_crl, s->pck_crl};
	c->crl_err = 0;
	for (int i = 0; i < 2 && !c->crl_err; i++) {
		c->crl_err = crl_parse(&c->crls[i], ders[i].p, ders[i].len);
		if (c->crl_err) {
			msgf(c->crl_msg, PART_MSG, "%s: %s", names[i], vouch_strerror(c->crl_err));
			c->crl_err = VOUCH_E_CRL_PARSE;
		}
	}
	c->tcb_err = tcb_info_parse(&c->tcb, (const char *)s->tcb_info.p, s->tcb_info.len, c->tcb_msg, PART_MSG);
	c->qe_err = qe_identity_parse(&c->qe, (const char *)s->qe_identity.p, s->qe_identity.len, c->qe_msg, PART_MSG);
	load_chain(&c->tcb_chain_err, c->tcb_chain_msg, &c->tcb_chain, s->tcb_info_issuer_chain);
	load_chain(&c->qe_chain_err, c->qe_chain_msg, &c->qe_chain, s->qe_identity_issuer_chain);
	if (s->pck_certificate_chain.p)
		load_chain(&c->pck_chain_err, c->pck_chain_msg, &c->pck_chain, s->pck_certificate_chain);
}

int vouch_collateral_open(vouch_collateral **out, const vouch_collateral_src *src)
{
	if (!out || !src)
		return VOUCH_E_ARG;
	/* malloc, not calloc: the DER buffers need no zeroing; collateral_reset sets every other field */
	struct vouch_collateral *c = malloc(sizeof *c);
	if (!c)
		return VOUCH_E_NOMEM;
	c->keys.n = 0;
	collateral_reset(c, src);
	*out = c;
	return 0;
}

void collateral_reset(struct vouch_collateral *c, const vouch_collateral_src *src)
{
	c->src = *src;
	c->parsed = 0;
	c->cache.n = c->cache.next = 0;
	keycache_clear(&c->keys);
	c->tcb_chain.n = c->qe_chain.n = c->pck_chain.n = c->quote_chain.n = 0;
	c->pck_chain_err = 0;
}

void vouch_collateral_close(vouch_collateral *c)
{
	if (!c)
		return;
	keycache_clear(&c->keys);
	free(c);
}

int vouch_collateral_expiry(int64_t *out, const vouch_collateral_src *src)
{
	vouch_collateral *c;
	int err = vouch_collateral_open(&c, src);
	if (err)
		return err;
	collateral_parse(c);
	err = c->crl_err ? c->crl_err : c->tcb_err ? c->tcb_err : c->qe_err;
	if (!err) {
		int64_t t = c->tcb.next_update;
		if (c->qe.next_update < t)
			t = c->qe.next_update;
		for (int i = 0; i < 2; i++)
			if (c->crls[i].next_update < t)
				t = c->crls[i].next_update;
		*out = t;
	}
	vouch_collateral_close(c);
	return err;
}
