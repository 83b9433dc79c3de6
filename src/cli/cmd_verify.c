/* vouch verify QUOTE [--collateral FILE | --no-collateral | --pccs URL] …: the DCAP verdict.
 * vouch verify --attestation FILE: a dstack GetQuote/Attest response (quote + event-log replay). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "verify_common.h"
#include "vouch/dcap.h"
#include "vouch/err.h"
#include "vouch/util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vouch verify QUOTE [options]\n"
		"       vouch verify --attestation FILE [options]\n"
		"       vouch verify --ratls CERT [options]\n"
		"\n"
		"Verifies an Intel SGX (v3) or TDX (v4/v5) quote with DCAP, exactly as dcap-qvl does, plus the\n"
		"checks it skips. QUOTE is binary or hex; - reads stdin.\n"
		"\n"
		"collateral (one of; default: fetch into the cache, reusing it until its nextUpdate):\n"
		"  --collateral FILE     collateral in dcap-qvl's JSON format\n"
		"  --no-collateral       verify signatures, QE report and PCK chain only; TCB status Unknown\n"
		"  --pccs URL            fetch from this PCCS instead of Intel PCS ($VOUCH_PCCS_URL)\n"
		"  --cache-dir DIR       collateral cache (default $XDG_CACHE_HOME/vouch or ~/.cache/vouch)\n"
		"  --offline             never touch the network: use the cache or fail\n"
		"policy:\n"
		"  --now TIME            verification time, Unix seconds or RFC 3339 (default: the system clock)\n"
		"  --root DER            trust this root instead of Intel's; the verdict says simulated\n"
		"  --accept LIST         statuses to accept, e.g. UpToDate,SWHardeningNeeded (exit 1 otherwise)\n"
		"  --allow-service-td    accept a non-zero MRSERVICETD (TD 1.5)\n"
		"  --allow-debug         accept a debug enclave/TD (never for production)\n"
		"output:\n"
		"  --json                one JSON object: ok, status, advisory_ids, tee, version, simulated,\n"
		"                        report_data, measurements, checks, …\n"
		"  --attestation FILE    a dstack GetQuote or Attest JSON response, or raw Attest bytes:\n"
		"                        verify the quote and replay the event log; dstack-verifier's shape\n"
		"  --ratls CERT          an RA-TLS certificate (PEM or DER): its attestation extension, bound to\n"
		"                        the certificate's key (SHA-512(\"ratls-cert:\" || SPKI)), verified as above;\n"
		"                        the certificate must be valid at --now, carry no extension twice, and its\n"
		"                        signature verify under its issuer (--ca, or the next certificate of a PEM\n"
		"                        chain) or its own key when self-issued (else: said not checked)\n"
		"  --ca CERT             the issuer of the --ratls certificate (vouchd's app CA)\n"
		"pins (--attestation, --ratls; a bare TDX quote takes --expect-mrtd only):\n"
		PIN_USAGE
		"\n"
		"exit: 0 verified, 1 rejected by --accept, 2 invalid, 64 usage, 66 unreadable, 69 no collateral\n");
}

/* Status names separated by commas into a bitmask over vouch_tcb_status. */
static int parse_accept(const char *s, unsigned *mask)
{
	*mask = 0;
	while (*s) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		vouch_tcb_status st;
		if (vouch_tcb_status_parse(&st, s, n) != 0) {
			fprintf(stderr, "vouch verify: --accept: unknown status \"%.*s\"\n", (int)n, s);
			return -1;
		}
		*mask |= 1u << st;
		s += n + (e ? 1 : 0);
	}
	return 0;
}

static void print_hex(const char *name, const uint8_t *p, size_t n)
{
	char buf[2 * 64 + 1];
	vouch_hex_encode(buf, p, n);
	printf("  %-12s %s\n", name, buf);
}

static void print_human(const vouch_verdict *v, int rejected, unsigned accept)
{
	const vouch_quote *q = &v->quote;
	if (v->simulated)
		printf("SIMULATED: the trust anchor is not Intel's SGX Root CA; this proves nothing about real hardware\n");
	if (!v->ok) {
		printf("INVALID: %s\n", v->error);
	} else if (rejected) {
		printf("REJECTED by --accept: status %s is not accepted\n", vouch_tcb_status_name(v->status.status));
	} else if (v->no_collateral) {
		printf("VERIFIED WITHOUT COLLATERAL: quote signature, QE report and PCK chain only; TCB status Unknown\n");
	} else {
		printf("VERIFIED\n");
	}
	(void)accept;
	if (q->version) {
		printf("  %-12s %s v%u (%s)\n", "quote", q->tee_type == VOUCH_TEE_TDX ? "TDX" : "SGX", q->version,
		       vouch_body_name(q->body_type));
	}
	printf("  %-12s %s", "status", vouch_tcb_status_name(v->status.status));
	for (unsigned i = 0; i < v->status.n_advisories; i++)
		printf("%s%s", i ? ", " : "  advisories: ", v->status.advisory_ids[i]);
	printf("\n");
	if (v->have_pck) {
		char fmspc[13], ppid[33];
		vouch_hex_encode(fmspc, v->fmspc, 6);
		vouch_hex_encode(ppid, v->ppid, 16);
		printf("  %-12s fmspc %s  pcesvn %u  ppid %s\n", "platform", fmspc, v->pcesvn, ppid);
	}
	if (v->quote.version && v->checks[VOUCH_CHECK_QUOTE_DECODE].state == VOUCH_CHECK_PASS) {
		if (q->body_type == VOUCH_BODY_SGX) {
			print_hex("mr_enclave", q->sgx.mr_enclave, 32);
			print_hex("mr_signer", q->sgx.mr_signer, 32);
		} else {
			print_hex("mr_td", q->td.mr_td, 48);
			for (int i = 0; i < 4; i++) {
				char n[8];
				snprintf(n, sizeof n, "rtmr%d", i);
				print_hex(n, q->td.rtmr[i], 48);
			}
		}
		print_hex("report_data", q->report_data, 64);
	}
	if (v->have_quote_id)
		print_hex("quote_id", v->quote_id, 32);
	if (v->collateral_expiry) {
		char t[21];
		vouch_time_format(t, v->collateral_expiry);
		printf("  %-12s %s (earliest nextUpdate)\n", "collateral", t);
	}
	int pass = 0, skipped = 0;
	for (int i = 0; i < VOUCH_CHECK_COUNT; i++) {
		pass += v->checks[i].state == VOUCH_CHECK_PASS;
		skipped += v->checks[i].state == VOUCH_CHECK_SKIPPED;
	}
	printf("  %-12s %d passed, %d skipped (--json lists each)\n", "checks", pass, skipped);
	if (skipped) {
		printf("  not checked:");
		for (int i = 0; i < VOUCH_CHECK_COUNT; i++)
			if (v->checks[i].state == VOUCH_CHECK_SKIPPED)
				printf(" %s", vouch_check_name((vouch_check_id)i));
		printf("\n");
	}
}

int cmd_verify(int argc, char **argv)
{
	enum { O_NOCOLL = 256, O_ACCEPT, O_SVC, O_JSON, O_ATT, O_RATLS, O_CA };
	static const struct option opts[] = {
		VERIFY_QUOTE_OPTIONS,
		{"no-collateral", no_argument, 0, O_NOCOLL},  {"accept", required_argument, 0, O_ACCEPT},
		{"allow-service-td", no_argument, 0, O_SVC},  {"json", no_argument, 0, O_JSON},
		{"attestation", required_argument, 0, O_ATT}, {"ratls", required_argument, 0, O_RATLS},
		{"ca", required_argument, 0, O_CA},           PIN_OPTIONS,
		{"help", no_argument, 0, 'h'},                {0},
	};
	struct verify_args a;
	memset(&a, 0, sizeof a);
	a.now = (int64_t)time(NULL);
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int taken = verify_option(&a, c, optarg, "verify");
		if (taken < 0)
			return EXIT_USAGE;
		if (taken)
			continue;
		switch (c) {
		case O_NOCOLL: a.no_collateral = 1; break;
		case O_ACCEPT:
			if (parse_accept(optarg, &a.accept))
				return EXIT_USAGE;
			a.have_accept = 1;
			break;
		case O_SVC: a.flags |= VOUCH_ALLOW_SERVICE_TD; break;
		case O_JSON: a.json = 1; break;
		case O_ATT: a.attestation = optarg; break;
		case O_RATLS: a.ratls = optarg; break;
		case O_CA: a.ca = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (verify_options_check(&a, "verify"))
		return EXIT_USAGE;
	if (a.ca && !a.ratls) {
		errorf("verify", "--ca is the issuer of a --ratls certificate");
		return EXIT_USAGE;
	}
	if (a.attestation || a.ratls) {
		if (optind != argc) {
			usage(stderr);
			return EXIT_USAGE;
		}
		return verify_attestation(&a);
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (a.pins.compose_hash || a.pins.app_id) {
		errorf("verify", "a quote alone names no app: --expect-compose-hash and --expect-app-id need --attestation or --ratls");
		return EXIT_USAGE;
	}
	size_t qlen;
	int read_rc;
	uint8_t *quote = read_quote(argv[optind], &qlen, &read_rc);
	if (!quote)
		return read_rc;
	vouch_verdict *v = malloc(sizeof *v);
	int rc = v ? verify_quote_bytes(&a, quote, qlen, v) : EXIT_UNAVAILABLE;
	if (rc < 0) {
		/* --expect-mrtd on a bare quote: a TDX quote's MRTD */
		if (v->ok && a.pins.mr_td) {
			struct identity id = {0};
			if (v->quote.td.mr_td)
				memcpy(id.mr_td, v->quote.td.mr_td, 48);
			char m[200];
			if (!v->quote.td.mr_td || pins_check(&a.pins, &id, m, sizeof m)) {
				v->ok = 0;
				v->err = VOUCH_E_JOURNAL_EXPECT;
				snprintf(v->error, sizeof v->error, "%s", v->quote.td.mr_td ? m : "--expect-mrtd: not a TDX quote");
			}
		}
		int rejected = v->ok && a.have_accept && !(a.accept & (1u << v->status.status));
		if (a.json) {
			char *s = vouch_verdict_json(v);
			if (s)
				puts(s);
			free(s);
		} else {
			print_human(v, rejected, a.accept);
		}
		rc = !v->ok ? EXIT_INVALID : rejected ? EXIT_REJECTED : EXIT_VERIFIED;
	}
	free(v);
	free(quote);
	return rc;
}
