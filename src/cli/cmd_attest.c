/* vouch verify --attestation FILE: a dstack GetQuote/Attest response — the quote (DCAP) and the event log
 * replayed against RTMR0–3 — reported in dstack-verifier's /verify shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "verify_common.h"
#include "vouch/dstack.h"
#include "vouch/err.h"
#include "vouch/util.h"

static void print_human(const vouch_dstack_result *r, const vouch_verdict *v, int rejected)
{
	if (v->simulated)
		printf("SIMULATED: the trust anchor is not Intel's SGX Root CA; this proves nothing about real hardware\n");
	if (!r->is_valid)
		printf("INVALID: %s\n", r->reason);
	else if (rejected)
		printf("REJECTED by --accept: status %s is not accepted\n", vouch_tcb_status_name(v->status.status));
	else
		printf("VERIFIED%s\n", v->no_collateral ? " WITHOUT COLLATERAL (TCB status Unknown)" : "");
	printf("  %-14s %s (%s)\n", "quote", r->quote_verified ? "verified" : "NOT verified",
	       vouch_tcb_status_name(v->status.status));
	printf("  %-14s %s\n", "event log", r->event_log_verified ? "replays to RTMR0-3" : "does NOT replay");
	char h[2 * 48 + 1];
	for (int i = 0; i < 4 && v->quote.td.mr_td; i++) {
		vouch_hex_encode(h, r->rtmr_replayed[i], 48);
		printf("  rtmr%d %-8s %s %s\n", i, "", h, r->rtmr_match[i] ? "=" : "!= quote");
	}
	const vouch_app_info *a = &r->app;
	vouch_hex_encode(h, a->app_id, a->app_id_len);
	printf("  %-14s %s\n", "app_id", h);
	vouch_hex_encode(h, a->compose_hash, a->compose_hash_len);
	printf("  %-14s %s\n", "compose_hash", h);
	vouch_hex_encode(h, a->instance_id, a->instance_id_len);
	printf("  %-14s %s\n", "instance_id", h);
	vouch_hex_encode(h, a->mr_aggregated, 32);
	printf("  %-14s %s\n", "mr_aggregated", h);
	vouch_hex_encode(h, a->os_image_hash, a->os_image_hash_len);
	printf("  %-14s %s (not verified: no OS image to measure)\n", "os_image_hash", h);
	printf("  not checked:  os image measurement, ACPI tables");
	for (int i = 0; i < VOUCH_CHECK_COUNT; i++)
		if (v->checks[i].state == VOUCH_CHECK_SKIPPED)
			printf(", %s", vouch_check_name((vouch_check_id)i));
	printf("\n");
}

/* The first certificate of a PEM file, or the file itself when it is DER. */
static uint8_t *cert_der(uint8_t *buf, size_t n, size_t *out_len)
{
	static const char BEGIN[] = "-----BEGIN CERTIFICATE-----", END[] = "-----END CERTIFICATE-----";
	char *b = memmem(buf, n, BEGIN, sizeof BEGIN - 1), *e = b ? memmem(b, n - (size_t)((uint8_t *)b - buf), END, sizeof END - 1) : NULL;
	if (!b || !e) {
		*out_len = n;
		return buf;
	}
	b += sizeof BEGIN - 1;
	uint8_t *der = malloc((size_t)(e - b));
	if (der && vouch_base64_decode(der, (size_t)(e - b), out_len, b, (size_t)(e - b))) {
		free(der);
		der = NULL;
	}
	free(buf);
	return der;
}

int verify_attestation(const struct verify_args *a)
{
	size_t n;
	const char *file = a->ratls ? a->ratls : a->attestation;
	uint8_t *buf = read_file(file, VOUCH_ATTESTATION_MAX * 2 + 4096, &n);
	if (!buf)
		return EXIT_NOINPUT;
	vouch_dstack_evidence ev;
	char msg[256];
	int err;
	if (a->ratls) {
		buf = cert_der(buf, n, &n);
		err = buf ? vouch_ratls_evidence(&ev, buf, n, msg, sizeof msg) : (snprintf(msg, sizeof msg, "not a certificate"), VOUCH_E_PEM);
	} else {
		err = vouch_dstack_evidence_parse(&ev, buf, n, msg, sizeof msg);
	}
	free(buf);
	if (err) {
		errorf("verify", "%s: %s", file, msg);
		return EXIT_INVALID;
	}
	if (a->ratls && !a->json)
		printf("RA-TLS: the attestation is bound to the certificate's public key\n");
	vouch_verdict *v = malloc(sizeof *v);
	vouch_dstack_result *r = malloc(sizeof *r);
	int rc = v && r ? verify_evidence(a, &ev, r, v) : EXIT_UNAVAILABLE;
	if (rc == -1) {
		int rejected = r->is_valid && a->have_accept && !(a->accept & (1u << v->status.status));
		if (a->json) {
			char *s = vouch_dstack_result_json(r, v, &ev);
			if (s)
				puts(s);
			free(s);
		} else {
			print_human(r, v, rejected);
		}
		rc = !r->is_valid ? EXIT_INVALID : rejected ? EXIT_REJECTED : EXIT_VERIFIED;
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
