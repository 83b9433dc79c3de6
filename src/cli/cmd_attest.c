/* vouch verify --attestation FILE: a dstack GetQuote/Attest response — the quote (DCAP) and the event log
 * replayed against RTMR0–3 — reported in dstack-verifier's /verify shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "verify_common.h"
#include "vouch/dstack.h"
#include "vouch/err.h"
#include "vouch/util.h"

static void print_human(const vouch_dstack_result *r, const vouch_verdict *v, int rejected, const char *pin_error,
			const struct verify_args *a)
{
	if (v->simulated)
		printf("SIMULATED: the trust anchor is not Intel's SGX Root CA; this proves nothing about real hardware\n");
	if (!r->is_valid)
		printf("INVALID: %s\n", r->reason);
	else if (pin_error)
		printf("INVALID: %s\n", pin_error);
	else if (rejected)
		printf("REJECTED by --accept: status %s is not accepted\n", vouch_tcb_status_name(v->status.status));
	else
		printf("VERIFIED%s\n", v->no_collateral ? " WITHOUT COLLATERAL (TCB status Unknown)" : "");
	printf("  %-14s %s (%s)\n", "quote", r->quote_verified ? "verified" : "NOT verified",
	       vouch_tcb_status_name(v->status.status));
	printf("  %-14s %s\n", "event log", r->event_log_verified ? "replays to RTMR0-3" : "does NOT replay");
	char h[2 * 48 + 1];
	for (int i = 0; i < 4 && v->quote.td.mr_td; i++) {
		if (r->rtmr_match[i])
			continue; /* the quote's value, listed below */
		vouch_hex_encode(h, r->rtmr_replayed[i], 48);
		printf("  rtmr%d replayed %s != the quote's\n", i, h);
	}
	struct identity id;
	identity_from_dstack(&id, r, v);
	identity_print(&id, &a->pins, 14);
	const vouch_app_info *ai = &r->app;
	vouch_hex_encode(h, ai->instance_id, ai->instance_id_len);
	printf("  %-14s %s\n", "instance_id", h);
	vouch_hex_encode(h, ai->mr_aggregated, 32);
	printf("  %-14s %s\n", "mr_aggregated", h);
	vouch_hex_encode(h, ai->os_image_hash, ai->os_image_hash_len);
	printf("  %-14s %s (not verified: no OS image to measure)\n", "os_image_hash", h);
	printf("  not checked:  os image measurement, ACPI tables");
	for (int i = 0; i < VOUCH_CHECK_COUNT; i++)
		if (v->checks[i].state == VOUCH_CHECK_SKIPPED)
			printf(", %s", vouch_check_name((vouch_check_id)i));
	printf("\n");
}

/* The k-th certificate (from 0) of a PEM text as DER (malloc'd), or, for k = 0, a copy of the buffer when it
 * is DER (a SEQUENCE: never searched for PEM, since an RA-TLS certificate carries a quote whose PCK chain is
 * PEM). NULL when there is no such certificate. */
static uint8_t *nth_cert(const uint8_t *buf, size_t n, unsigned k, size_t *out_len)
{
	static const char BEGIN[] = "-----BEGIN CERTIFICATE-----", END[] = "-----END CERTIFICATE-----";
	const char *p = (const char *)buf, *end = p + n;
	if (n && buf[0] == 0x30) {
		uint8_t *der = k == 0 ? malloc(n) : NULL;
		if (der)
			memcpy(der, buf, n);
		*out_len = n;
		return der;
	}
	for (unsigned i = 0;; i++) {
		const char *b = memmem(p, (size_t)(end - p), BEGIN, sizeof BEGIN - 1);
		const char *e = b ? memmem(b, (size_t)(end - b), END, sizeof END - 1) : NULL;
		if (!b || !e)
			return NULL;
		b += sizeof BEGIN - 1;
		if (i == k) {
			uint8_t *der = malloc((size_t)(e - b));
			if (der && vouch_base64_decode(der, (size_t)(e - b), out_len, b, (size_t)(e - b))) {
				free(der);
				der = NULL;
			}
			return der;
		}
		p = e + sizeof END - 1;
	}
}

/* --ratls: the certificate checked as a certificate (dates, signature, profile), then its evidence. The issuer
 * is --ca's first certificate, else the second of a PEM chain (GetTlsKey's certificate_chain), else none. */
static int ratls_load(const struct verify_args *a, const uint8_t *buf, size_t n, vouch_dstack_evidence *ev,
		      vouch_ratls_cert *rc, char *msg, size_t cap)
{
	size_t len, ilen = 0, cn;
	uint8_t *der = nth_cert(buf, n, 0, &len), *issuer = NULL, *cabuf = NULL;
	if (!der) {
		snprintf(msg, cap, "not a certificate");
		return EXIT_INVALID;
	}
	if (a->ca) {
		if (!(cabuf = read_file(a->ca, 1u << 20, &cn))) {
			free(der);
			return EXIT_NOINPUT;
		}
		if (!(issuer = nth_cert(cabuf, cn, 0, &ilen)))
			snprintf(msg, cap, "--ca %s: not a certificate", a->ca);
	} else {
		issuer = nth_cert(buf, n, 1, &ilen);
	}
	int err = a->ca && !issuer ? VOUCH_E_PEM
				   : vouch_ratls_check_cert(rc, der, len, issuer, ilen, a->now, msg, cap);
	if (!err)
		err = vouch_ratls_evidence(ev, der, len, msg, cap);
	free(der);
	free(issuer);
	free(cabuf);
	return err ? EXIT_INVALID : 0;
}

static const char *ratls_signature(const vouch_ratls_cert *c)
{
	return c->signature == VOUCH_RATLS_SIG_ISSUER ? "verified under the issuer certificate's key"
	       : c->signature == VOUCH_RATLS_SIG_SELF ? "self-issued, verified under its own key"
						      : "NOT checked: the issuer's certificate was not given (--ca CERT, or a PEM chain)";
}

int verify_attestation(const struct verify_args *a)
{
	size_t n;
	const char *file = a->ratls ? a->ratls : a->attestation;
	uint8_t *buf = read_file(file, VOUCH_ATTESTATION_MAX * 2 + 4096, &n);
	if (!buf)
		return EXIT_NOINPUT;
	vouch_dstack_evidence ev;
	vouch_ratls_cert rcert;
	char msg[256];
	int rc = a->ratls ? ratls_load(a, buf, n, &ev, &rcert, msg, sizeof msg)
			  : vouch_dstack_evidence_parse(&ev, buf, n, msg, sizeof msg) ? EXIT_INVALID : 0;
	free(buf);
	if (rc) {
		if (rc == EXIT_INVALID)
			errorf("verify", "%s: %s", file, msg);
		return rc;
	}
	vouch_verdict *v = malloc(sizeof *v);
	vouch_dstack_result *r = malloc(sizeof *r);
	rc = v && r ? verify_evidence(a, &ev, r, v) : EXIT_UNAVAILABLE;
	if (rc == -1) {
		struct identity id;
		identity_from_dstack(&id, r, v);
		char pin_msg[320];
		int pinned_out = r->is_valid && pins_check(&a->pins, &id, pin_msg, sizeof pin_msg);
		int rejected = r->is_valid && !pinned_out && a->have_accept && !(a->accept & (1u << v->status.status));
		/* the key binding holds once the report data was checked against the verified quote's */
		int bound = r->is_valid && r->report_data_verified;
		if (a->json) {
			char *s = identity_add_json(vouch_dstack_result_json(r, v, &ev), &id, &a->pins);
			json_t *o = s ? json_loads(s, 0, NULL) : NULL;
			if (o && pinned_out) {
				json_object_set_new(o, "is_valid", json_false());
				json_object_set_new(o, "reason", json_string(pin_msg));
			}
			if (o && a->ratls) {
				char nb[21], na[21];
				vouch_time_format(nb, rcert.not_before);
				vouch_time_format(na, rcert.not_after);
				json_object_set_new(o, "ratls",
						    json_pack("{s:s, s:s, s:s, s:b}", "not_before", nb, "not_after", na, "signature",
							      rcert.signature == VOUCH_RATLS_SIG_ISSUER ? "issuer"
							      : rcert.signature == VOUCH_RATLS_SIG_SELF ? "self"
													 : "not checked",
							      "bound_to_key", bound));
			}
			char *t = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
			puts(t ? t : s ? s : "");
			free(t);
			free(s);
			json_decref(o);
		} else {
			print_human(r, v, rejected, pinned_out ? pin_msg : NULL, a);
			if (a->ratls) {
				char nb[21], na[21];
				vouch_time_format(nb, rcert.not_before);
				vouch_time_format(na, rcert.not_after);
				printf("  RA-TLS cert    valid %s to %s (checked at --now); signature %s\n", nb, na,
				       ratls_signature(&rcert));
				printf("  RA-TLS binding %s\n", bound ? "the attestation is bound to the certificate's key "
									"(SHA-512(\"ratls-cert:\" || SPKI) = the quote's report data)"
								      : "NOT established: the attestation did not verify");
			}
		}
		rc = !r->is_valid || pinned_out ? EXIT_INVALID : rejected ? EXIT_REJECTED : EXIT_VERIFIED;
	}
	free(v);
	free(r);
	vouch_dstack_evidence_free(&ev);
	return rc;
}

int verify_evidence(const struct verify_args *a, const vouch_dstack_evidence *ev, vouch_dstack_result *r,
		    vouch_verdict *v)
{
	vouch_collateral_src src;
	int none, rc = obtain_collateral(a, ev->quote.p, ev->quote.len, &src, &none);
	if (rc >= 0)
		return rc;
	vouch_verify_opts o = {NULL, 0, a->flags};
	uint8_t *root = NULL;
	if (a->root) {
		size_t rn;
		if (!(root = read_file(a->root, 1u << 20, &rn))) {
			vouch_collateral_src_free(&src);
			return EXIT_NOINPUT;
		}
		o.root_der = root, o.root_der_len = rn;
	}
	vouch_collateral *coll = NULL;
	if (rc == -1 && !none && vouch_collateral_open(&coll, &src)) {
		rc = EXIT_UNAVAILABLE;
	} else {
		vouch_dstack_verify(r, v, ev, &o, coll, a->now);
		rc = collateral_was_had(rc, r->quote_verified);
	}
	vouch_collateral_close(coll);
	vouch_collateral_src_free(&src);
	free(root);
	return rc;
}
