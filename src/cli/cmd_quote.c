/* vouch quote show FILE [--json]: every field of a quote, named as in Intel's layouts. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vouch/err.h"
#include "vouch/quote.h"
#include "vouch/util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: vouch quote show FILE [--json]\n"
		   "  FILE     a quote, binary or hex (\"0x\" and whitespace allowed); - for stdin\n"
		   "  --json   one JSON object with every field (byte strings as lowercase hex)\n"
		   "Parses only: use `vouch verify` to check signatures and collateral.\n");
}

static void hexline(const char *name, const uint8_t *p, size_t n)
{
	char buf[2 * 128 + 1];
	vouch_hex_encode(buf, p, n);
	printf("  %-22s %s\n", name, buf);
}

static void show_sgx(const char *title, const vouch_sgx_report *r)
{
	printf("%s\n", title);
	hexline("cpu_svn", r->cpu_svn, 16);
	printf("  %-22s 0x%08x\n", "misc_select", r->misc_select);
	hexline("attributes", r->attributes, 16);
	hexline("mr_enclave", r->mr_enclave, 32);
	hexline("mr_signer", r->mr_signer, 32);
	printf("  %-22s %u\n  %-22s %u\n", "isv_prod_id", r->isv_prod_id, "isv_svn", r->isv_svn);
	hexline("report_data", r->report_data, 64);
}

static void show(const vouch_quote *q)
{
	printf("header\n");
	printf("  %-22s %u\n", "version", q->version);
	printf("  %-22s %u%s\n", "attestation_key_type", q->att_key_type, q->att_key_type == 2 ? " (ECDSA P-256)" : "");
	printf("  %-22s 0x%08x (%s)\n", "tee_type", q->tee_type,
	       q->tee_type == VOUCH_TEE_TDX ? "TDX" : q->tee_type == VOUCH_TEE_SGX ? "SGX" : "?");
	printf("  %-22s %u\n  %-22s %u\n", "qe_svn", q->qe_svn, "pce_svn", q->pce_svn);
	hexline("qe_vendor_id", q->qe_vendor_id, 16);
	hexline("user_data", q->user_data, 20);
	if (q->body_type == VOUCH_BODY_SGX) {
		show_sgx("report (SgxEnclave)", &q->sgx);
	} else {
		const vouch_td_report *t = &q->td;
		printf("report (%s, %zu bytes)\n", vouch_body_name(q->body_type), t->len);
		hexline("tee_tcb_svn", t->tee_tcb_svn, 16);
		hexline("mr_seam", t->mr_seam, 48);
		hexline("mr_signer_seam", t->mr_signer_seam, 48);
		hexline("seam_attributes", t->seam_attributes, 8);
		hexline("td_attributes", t->td_attributes, 8);
		hexline("xfam", t->xfam, 8);
		hexline("mr_td", t->mr_td, 48);
		hexline("mr_config_id", t->mr_config_id, 48);
		hexline("mr_owner", t->mr_owner, 48);
		hexline("mr_owner_config", t->mr_owner_config, 48);
		for (int i = 0; i < 4; i++) {
			char n[8];
			snprintf(n, sizeof n, "rt_mr%d", i);
			hexline(n, t->rtmr[i], 48);
		}
		hexline("report_data", t->report_data, 64);
		if (t->mr_service_td) {
			hexline("tee_tcb_svn2", t->tee_tcb_svn2, 16);
			hexline("mr_service_td", t->mr_service_td, 48);
		}
	}
	printf("signature data (%u bytes)\n", q->sig_data_len);
	hexline("ecdsa_signature", q->signature, 64);
	hexline("ecdsa_attestation_key", q->attest_key, 64);
	if (q->version != 3)
		printf("  %-22s %u (%u bytes)\n", "outer_cert_type", q->outer_cert_type, q->outer_cert_size);
	show_sgx("qe_report", &q->qe_report);
	hexline("qe_report_signature", q->qe_report_sig, 64);
	printf("  %-22s %u bytes\n", "qe_auth_data", q->qe_auth_len);
	printf("  %-22s %u%s (%u bytes)\n", "cert_type", q->cert_type, q->cert_type == 5 ? " (PCK chain, PEM)" : "",
	       q->cert_len);
	printf("signed bytes %zu, structure %zu bytes, trailing %zu bytes (ignored)\n", q->signed_len, q->total_len,
	       q->trailing);
}

int cmd_quote(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "show") != 0) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return EXIT_USAGE;
	}
	static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0}};
	int json = 0, c;
	optind = 1;
	argc--, argv++;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	size_t n;
	int read_rc;
	uint8_t *buf = read_quote(argv[optind], &n, &read_rc);
	if (!buf)
		return read_rc;
	vouch_quote q;
	int err = vouch_quote_parse(&q, buf, n);
	if (err) {
		errorf("quote show", "%s: %s", argv[optind], vouch_strerror(err));
		free(buf);
		return EXIT_INVALID;
	}
	if (json) {
		char *s = vouch_quote_json(&q);
		if (s)
			puts(s);
		free(s);
	} else {
		show(&q);
	}
	free(buf);
	return 0;
}
