/* vouch verify-response: an answer from an attested inference gateway (vouch-gateway, or vllm-proxy) checked
 * end to end (libvouch's receipt.h): the signed text is the hashes of the exact request and response bytes; the
 * signature recovers (ECDSA, EIP-191) or verifies (Ed25519) under the signing address; the attestation report is
 * for that address; its quote verifies (DCAP, event log); the quote's report data binds the address (v1: padded
 * address; v2: with the TLS key's fingerprint) and the nonce. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "verify_common.h"
#include "vouch/dstack.h"
#include "vouch/receipt.h"
#include "vouch/util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vouch verify-response --request F --response F --signature F --report F [options]\n"
		"  --request F     the request body exactly as sent\n"
		"  --response F    the response exactly as received (JSON, or the whole SSE stream)\n"
		"  --signature F   GET /v1/signature/{chat_id} (its signing_algo decides the check)\n"
		"  --report F      GET /v1/attestation/report (same signing_algo)\n"
		"  --nonce HEX     the nonce you sent for the report (64 hex): it must be the one bound\n"
		"  --tls-fingerprint HEX  SHA-256 of the server certificate's SPKI you connected to (report v2)\n"
		PIN_USAGE
		"  and the quote options of vouch verify: --collateral F | --pccs URL | --cache-dir D | --offline,\n"
		"  --root DER, --now TIME, --allow-debug, --json\n"
		"exit: 0 verified, 2 not verified, 64 usage, 66 unreadable, 69 no collateral\n");
}


/* The quote step: the report's evidence parsed and verified as vouch verify --attestation does; rd gets the
 * verified quote's report data (the verdict points into the evidence, freed here). Returns 0 when it ran (its
 * verdict recorded in c), or an exit code when it could not (no collateral, ...). */
static int check_quote(vouch_receipt_check *c, const struct verify_args *a, vouch_verdict *v, uint8_t rd[64],
		       struct identity *id, int *have_id)
{
	vouch_dstack_evidence ev;
	char msg[256];
	if (vouch_dstack_evidence_parse(&ev, (const uint8_t *)c->evidence, c->evidence_len, msg, sizeof msg)) {
		char d[300];
		snprintf(d, sizeof d, "the report's quote and event log: %s", msg);
		vouch_receipt_check_quote(c, 0, d);
		return 0;
	}
	vouch_dstack_result *dr = malloc(sizeof *dr);
	int e = dr ? verify_evidence(a, &ev, dr, v) : EXIT_UNAVAILABLE;
	char pin_msg[320] = "";
	if (e == -1 && dr->is_valid) {
		memcpy(rd, v->quote.td.report_data, 64);
		identity_from_dstack(id, dr, v);
		*have_id = 1;
		/* which app made the quote: the pins, or the output says any is accepted */
		if (pins_check(&a->pins, id, pin_msg, sizeof pin_msg))
			dr->is_valid = 0;
	}
	if (e == -1)
		vouch_receipt_check_quote(c, dr->is_valid, dr->is_valid ? (v->simulated ? "simulated TDX quote verified, "
											    "event log replayed"
											  : "TDX quote verified, event log replayed")
							 : *pin_msg ? pin_msg : dr->reason);
	free(dr);
	vouch_dstack_evidence_free(&ev);
	return e == -1 ? 0 : e;
}

int cmd_verify_response(int argc, char **argv)
{
	enum { O_REQ = 256, O_RESP, O_SIG, O_REP, O_NONCE, O_FP, O_JSON };
	static const struct option opts[] = {
		VERIFY_QUOTE_OPTIONS,
		{"request", required_argument, 0, O_REQ},  {"response", required_argument, 0, O_RESP},
		{"signature", required_argument, 0, O_SIG}, {"report", required_argument, 0, O_REP},
		{"nonce", required_argument, 0, O_NONCE},  {"tls-fingerprint", required_argument, 0, O_FP},
		{"json", no_argument, 0, O_JSON},          {"help", no_argument, 0, 'h'},
		PIN_OPTIONS,                               {0}};
	const char *req = NULL, *resp = NULL, *sigf = NULL, *repf = NULL, *nonce = NULL, *fp = NULL;
	struct verify_args a;
	memset(&a, 0, sizeof a);
	a.now = (int64_t)time(NULL);
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int taken = verify_option(&a, c, optarg, "verify-response");
		if (taken < 0)
			return EXIT_USAGE;
		if (taken)
			continue;
		switch (c) {
		case O_REQ: req = optarg; break;
		case O_RESP: resp = optarg; break;
		case O_SIG: sigf = optarg; break;
		case O_REP: repf = optarg; break;
		case O_NONCE: nonce = optarg; break;
		case O_FP: fp = optarg; break;
		case O_JSON: a.json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || !req || !resp || !sigf || !repf) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (verify_options_check(&a, "verify-response"))
		return EXIT_USAGE;
	uint8_t nonce_b[32], fp_b[32];
	int bad_nonce = nonce && !vouch_hex_decode_exact(nonce_b, 32, nonce);
	if (bad_nonce || (fp && !vouch_hex_decode_exact(fp_b, 32, fp))) {
		errorf("verify-response", "--%s: expected 64 hex digits", bad_nonce ? "nonce" : "tls-fingerprint");
		return EXIT_USAGE;
	}
	size_t n[4];
	uint8_t *doc[4] = {NULL};
	const char *file[4] = {req, resp, sigf, repf};
	for (int i = 0; i < 4; i++)
		if (!(doc[i] = read_file(file[i], i == 1 ? 512u << 20 : 64u << 20, &n[i]))) {
			while (i--)
				free(doc[i]);
			return EXIT_NOINPUT;
		}
	vouch_receipt_check r = {.failed = -1};
	vouch_verdict *v = calloc(1, sizeof *v);
	int rc = 0;
	int ok = v && !vouch_receipt_check_documents(&r, doc[0], n[0], doc[1], n[1], (const char *)doc[2], n[2],
						     (const char *)doc[3], n[3]);
	uint8_t rd[64];
	struct identity id;
	int have_id = 0;
	if (ok && !(rc = check_quote(&r, &a, v, rd, &id, &have_id)))
		ok = r.state[VOUCH_RECEIPT_QUOTE] == 1 &&
		     !vouch_receipt_check_binding(&r, rd, nonce ? nonce_b : NULL, fp ? fp_b : NULL);
	for (int i = 0; i < 4; i++)
		free(doc[i]);
	if (rc) {
		vouch_receipt_check_free(&r);
		free(v);
		return rc;
	}
	if (a.json) {
		json_t *o = json_pack("{s:b, s:b}", "ok", ok, "simulated", v && v->simulated), *steps = json_array();
		static const char *st[] = {"not run", "pass", "fail"};
		for (int i = 0; i < VOUCH_RECEIPT_STEPS; i++)
			json_array_append_new(steps, json_pack("{s:s, s:s, s:s}", "name", vouch_receipt_step_name(i), "result",
							       st[r.state[i]], "note", r.detail[i]));
		if (!ok && r.failed >= 0)
			json_object_set_new(o, "failed_step", json_string(vouch_receipt_step_name(r.failed)));
		json_object_set_new(o, "steps", steps);
		if (have_id)
			json_object_set_new(o, "identity", identity_json(&id, &a.pins));
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
		json_decref(o);
	} else {
		if (v && v->simulated)
			printf("SIMULATED: the trust anchor is not Intel's SGX Root CA; this proves nothing about real hardware\n");
		printf("%s\n", ok ? "VERIFIED: this answer was signed by a key the TEE's quote binds" : "NOT VERIFIED");
		static const char *mark[] = {"  ", "ok", "!!"};
		for (int i = 0; i < VOUCH_RECEIPT_STEPS; i++)
			printf("  %s %-12s %s\n", mark[r.state[i]], vouch_receipt_step_name(i),
			       r.state[i] ? r.detail[i] : "(not run)");
		if (have_id) {
			printf("  the app whose quote it is:\n");
			identity_print(&id, &a.pins, 14);
		}
	}
	vouch_receipt_check_free(&r);
	free(v);
	return ok ? 0 : EXIT_INVALID;
}
