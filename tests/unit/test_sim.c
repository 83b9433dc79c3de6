/* The checks real vectors cannot reach, on the simulated platform (its own root, validly signed variants):
 * revoked PCK, FMSPC and PCE-ID mismatches, debug and attribute rules for TDs and enclaves, MRSERVICETD and
 * v5 quotes, QE identity policy, TCB level matching, TDX module identity, status merging. Every variant
 * is signed correctly, so each test reaches the one check it is about. */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"
#include "test.h"
#include "vouch/util.h"

#define NOW 1780272000 /* 2026-06-01 */

static vouch_sim *sim;         /* the default platform */
static vouch_verdict verdict;
static uint8_t quote[8192];
static size_t quote_len;

static vouch_verify_opts opts(unsigned flags)
{
	vouch_bytes r = vouch_sim_root(sim);
	vouch_verify_opts o = {r.p, r.len, flags};
	return o;
}

static void td_quote(const vouch_sim *s, const vouch_sim_td *td)
{
	if (vouch_sim_tdx_quote(quote, sizeof quote, &quote_len, s, td))
		abort();
}

/* Verifies quote with collateral texts (NULL: the simulator's) under s's root; checks error and check. */
static int expect(const vouch_sim *s, int tdx, const char *tcb_info, const char *qe_identity, unsigned flags,
		  int want, vouch_check_id check, int line)
{
	vouch_collateral_src c;
	if (sim_collateral_with(&c, s, tdx, tcb_info, qe_identity))
		abort();
	vouch_bytes r = vouch_sim_root(s);
	vouch_verify_opts o = {r.p, r.len, flags};
	int err = vouch_verify_with(&verdict, &o, &c, quote, quote_len, NOW);
	vouch_collateral_src_free(&c);
	if (err != want) {
		test_failf(__FILE__, line, "verify = %s (%s), expected %s", vouch_errname(err), verdict.error,
			   vouch_errname(want));
		return 0;
	}
	if (want && verdict.checks[check].state != VOUCH_CHECK_FAIL) {
		test_failf(__FILE__, line, "%s is %s (%s)", vouch_check_name(check),
			   vouch_check_state_name(verdict.checks[check].state), verdict.error);
		return 0;
	}
	if (!verdict.simulated) {
		test_failf(__FILE__, line, "a simulated root must give simulated = 1");
		return 0;
	}
	return 1;
}
#define EXPECT(s, tdx, ti, qi, flags, err, check)                                                                 \
	do {                                                                                                       \
		if (!expect(s, tdx, ti, qi, flags, err, check, __LINE__))                                          \
			return;                                                                                    \
	} while (0)

/* text with the first occurrence of `from` replaced by `to` (malloc'd) */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	if (!at)
		abort();
	size_t a = (size_t)(at - text), f = strlen(from), t = strlen(to), n = strlen(text);
	char *out = malloc(n - f + t + 1);
	memcpy(out, text, a);
	memcpy(out + a, to, t);
	memcpy(out + a + t, at + f, n - a - f + 1);
	return out;
}

/* every occurrence replaced, scanning past each replacement */
static char *replaced_all(const char *text, const char *from, const char *to)
{
	size_t f = strlen(from), t = strlen(to), n = 0;
	for (const char *p = text; (p = strstr(p, from)); p += f)
		n++;
	char *out = malloc(strlen(text) + n * t + 1), *o = out;
	const char *p = text, *at;
	while ((at = strstr(p, from))) {
		memcpy(o, p, (size_t)(at - p));
		o += at - p;
		memcpy(o, to, t);
		o += t;
		p = at + f;
	}
	strcpy(o, p);
	return out;
}

static void a_simulated_quote_verifies_and_says_so(void)
{
	vouch_sim_td td;
	vouch_sim_td_default(&td);
	memset(td.report_data, 0x42, 64);
	td_quote(sim, &td);
	vouch_collateral_src c;
	CHECK_OK(vouch_sim_collateral(&c, sim, 1));
	vouch_verify_opts o = opts(0);
	CHECK_OK(vouch_verify_with(&verdict, &o, &c, quote, quote_len, NOW));
	CHECK(verdict.simulated);
	CHECK_INT(verdict.status.status, VOUCH_TCB_UP_TO_DATE);
	CHECK_INT(verdict.quote.report_data[63], 0x42);
	for (int i = 0; i < VOUCH_CHECK_COUNT; i++)
		CHECK(verdict.checks[i].state == VOUCH_CHECK_PASS || verdict.checks[i].state == VOUCH_CHECK_NA);
	/* Intel's root does not trust it: the collateral has no CRL of Intel's root */
	CHECK_ERR(vouch_verify_with(&verdict, NULL, &c, quote, quote_len, NOW), VOUCH_E_CRL_UNKNOWN);
	CHECK(!verdict.simulated);
	/* nor without collateral: the chain does not reach Intel's root */
	CHECK_ERR(vouch_verify_with(&verdict, NULL, NULL, quote, quote_len, NOW), VOUCH_E_CERT_UNKNOWN_ISSUER);
	vouch_collateral_src_free(&c);
	/* SGX as well */
	CHECK_OK(vouch_sim_sgx_quote(quote, sizeof quote, &quote_len, sim, NULL, NULL, NULL, NULL));
	EXPECT(sim, 0, NULL, NULL, 0, 0, 0);
}

static void a_revoked_pck_is_refused(void)
{
	vouch_sim_config c;
	vouch_sim_config_default(&c, NOW);
	c.revoke_pck = 1;
	vouch_sim *s;
	CHECK_OK(vouch_sim_new(&s, &c));
	vouch_sim_td td;
	vouch_sim_td_default(&td);
	td_quote(s, &td);
	EXPECT(s, 1, NULL, NULL, 0, VOUCH_E_CERT_REVOKED, VOUCH_CHECK_PCK_REVOCATION);
	CHECK(strstr(verdict.error, "is revoked by the CRL") != NULL);
	/* without collateral the revocation cannot be known: skipped and named, not passed */
	vouch_verify_opts o = opts(0);
	vouch_bytes r = vouch_sim_root(s);
	o.root_der = r.p, o.root_der_len = r.len;
	CHECK_OK(vouch_verify_with(&verdict, &o, NULL, quote, quote_len, NOW));
	CHECK_INT(verdict.checks[VOUCH_CHECK_PCK_REVOCATION].state, VOUCH_CHECK_SKIPPED);
	vouch_sim_free(s);
}

static void td_attributes_rules(void)
{
	vouch_sim_td td;
	struct {
		int byte;
		uint8_t set, clear;
		unsigned flags;
		int err;
		vouch_check_id check;
	} cases[] = {
		{0, 0x01, 0, 0, VOUCH_E_DEBUG, VOUCH_CHECK_DEBUG},                  /* TUD.DEBUG */
		{0, 0x01, 0, VOUCH_ALLOW_DEBUG, 0, 0},                              /* allowed by option */
		{0, 0x02, 0, VOUCH_ALLOW_DEBUG, VOUCH_E_TD_RESERVED, VOUCH_CHECK_TD_ATTRIBUTES}, /* TUD bit 1 */
		{1, 0x01, 0, 0, VOUCH_E_TD_RESERVED, VOUCH_CHECK_TD_ATTRIBUTES},    /* SEC bit 8 */
		{3, 0x20, 0, 0, VOUCH_E_TD_RESERVED, VOUCH_CHECK_TD_ATTRIBUTES},    /* SEC bit 29 */
		{5, 0x10, 0, 0, VOUCH_E_TD_RESERVED, VOUCH_CHECK_TD_ATTRIBUTES},    /* OTHER bit 44 */
		{3, 0, 0x10, 0, VOUCH_E_SEPT_VE, VOUCH_CHECK_TD_ATTRIBUTES},        /* SEPT_VE_DISABLE clear */
		{3, 0xc0, 0, 0, 0, 0},                                              /* PKS and KL are allowed */
		{7, 0x80, 0, 0, 0, 0},                                              /* PERFMON is allowed */
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		vouch_sim_td_default(&td);
		td.td_attributes[cases[i].byte] |= cases[i].set;
		td.td_attributes[cases[i].byte] &= (uint8_t)~cases[i].clear;
		td_quote(sim, &td);
		EXPECT(sim, 1, NULL, NULL, cases[i].flags, cases[i].err, cases[i].check);
	}
}

static void sgx_debug_enclaves(void)
{
	uint8_t attr[16] = {0x07}; /* INIT | DEBUG | MODE64BIT */
	CHECK_OK(vouch_sim_sgx_quote(quote, sizeof quote, &quote_len, sim, attr, NULL, NULL, NULL));
	EXPECT(sim, 0, NULL, NULL, 0, VOUCH_E_DEBUG, VOUCH_CHECK_DEBUG);
	EXPECT(sim, 0, NULL, NULL, VOUCH_ALLOW_DEBUG, 0, 0);
	CHECK_INT(verdict.checks[VOUCH_CHECK_TD_ATTRIBUTES].state, VOUCH_CHECK_NA);
}

static void v5_quotes_and_mr_service_td(void)
{
	vouch_sim_td td;
	vouch_sim_td_default(&td);
	td.version = 5;
	td_quote(sim, &td); /* v5, TD 1.0 body */
	EXPECT(sim, 1, NULL, NULL, 0, 0, 0);
	CHECK_INT(verdict.quote.version, 5);
	CHECK_INT(verdict.checks[VOUCH_CHECK_SERVICE_TD].state, VOUCH_CHECK_NA);
	td.body = VOUCH_BODY_TD15;
	td_quote(sim, &td); /* TD 1.5, MRSERVICETD zero */
	EXPECT(sim, 1, NULL, NULL, 0, 0, 0);
	CHECK_INT(verdict.quote.body_type, VOUCH_BODY_TD15);
	td.mr_service_td[7] = 1;
	td_quote(sim, &td);
	EXPECT(sim, 1, NULL, NULL, 0, VOUCH_E_SERVICE_TD, VOUCH_CHECK_SERVICE_TD);
	EXPECT(sim, 1, NULL, NULL, VOUCH_ALLOW_SERVICE_TD, 0, 0);
	CHECK_INT(verdict.checks[VOUCH_CHECK_SERVICE_TD].state, VOUCH_CHECK_PASS);
	/* the service TD check comes before the other attribute rules (dcap-qvl's order) */
	td.td_attributes[0] = 1;
	td_quote(sim, &td);
	EXPECT(sim, 1, NULL, NULL, 0, VOUCH_E_SERVICE_TD, VOUCH_CHECK_SERVICE_TD);
}

static void platform_identity_mismatches(void)
{
	vouch_sim_td td;
	vouch_sim_td_default(&td);
	td_quote(sim, &td);
	char *text = sim_tcb_info_text(sim, 1), *t;
	/* a TCB info for another FMSPC, validly signed */
	t = replaced(text, "\"fmspc\":\"00906ED50000\"", "\"fmspc\":\"00906ED50001\"");
	EXPECT(sim, 1, t, NULL, 0, VOUCH_E_FMSPC_MISMATCH, VOUCH_CHECK_FMSPC);
	free(t);
	/* another PCE ID: beyond dcap-qvl, so it is the last check to run */
	t = replaced(text, "\"pceId\":\"0000\"", "\"pceId\":\"0001\"");
	EXPECT(sim, 1, t, NULL, 0, VOUCH_E_PCEID_MISMATCH, VOUCH_CHECK_PCE_ID);
	CHECK_INT(verdict.checks[VOUCH_CHECK_TD_ATTRIBUTES].state, VOUCH_CHECK_PASS);
	free(t);
	/* SGX TCB info for a TDX quote */
	char *sgx = sim_tcb_info_text(sim, 0);
	EXPECT(sim, 1, sgx, NULL, 0, VOUCH_E_TCB_INFO_MISMATCH, VOUCH_CHECK_TCB_INFO_TEE_TYPE);
	free(sgx);
	free(text);
}

static void tcb_level_matching_and_status_merging(void)
{
	vouch_sim_td td;
	vouch_sim_td_default(&td);
	td_quote(sim, &td);
	/* the platform's level says OutOfDate with advisories; the QE's says SWHardeningNeeded */
	vouch_sim_config c;
	vouch_sim_config_default(&c, NOW);
	c.platform_status = VOUCH_TCB_OUT_OF_DATE;
	c.advisory_ids = "INTEL-SA-00837,INTEL-SA-00615";
	c.qe_status = VOUCH_TCB_SW_HARDENING_NEEDED;
	vouch_sim *s;
	CHECK_OK(vouch_sim_new(&s, &c));
	td_quote(s, &td);
	EXPECT(s, 1, NULL, NULL, 0, 0, 0);
	CHECK_INT(verdict.status.status, VOUCH_TCB_OUT_OF_DATE);
	CHECK_INT(verdict.status.n_advisories, 2);
	CHECK_STR(verdict.status.advisory_ids[0], "INTEL-SA-00837");
	CHECK_STR(verdict.status.advisory_ids[1], "INTEL-SA-00615");
	CHECK_INT(verdict.qe.status, VOUCH_TCB_SW_HARDENING_NEEDED);
	vouch_sim_free(s);
	/* a Revoked level fails, and the verdict still names the status */
	vouch_sim_config_default(&c, NOW);
	c.platform_status = VOUCH_TCB_REVOKED;
	CHECK_OK(vouch_sim_new(&s, &c));
	td_quote(s, &td);
	EXPECT(s, 1, NULL, NULL, 0, VOUCH_E_TCB_REVOKED, VOUCH_CHECK_TCB_STATUS);
	CHECK_INT(verdict.status.status, VOUCH_TCB_REVOKED);
	/* a TCB info whose own level needs a newer TDX TCB: the older (OutOfDate) level matches; the module's
	 * identity level is then also below (isvsvn 9 > 3) and merges OutOfDate with its own advisory */
	vouch_sim tmp = *s;
	tmp.cfg.tee_tcb_svn[0] = 9;
	tmp.cfg.platform_status = VOUCH_TCB_UP_TO_DATE;
	char *text = sim_tcb_info_text(&tmp, 1);
	td_quote(sim, &td);
	EXPECT(sim, 1, text, NULL, 0, 0, 0);
	CHECK_INT(verdict.platform.status, VOUCH_TCB_OUT_OF_DATE);
	CHECK_STR(verdict.status.advisory_ids[0], "INTEL-SA-00000");
	/* no level at all when the older one is removed */
	char *cut = strdup(text);
	char *older = strstr(cut, "},{\"tcb\":{\"sgxtcbcomponents\"");
	strcpy(older, "}]}");
	EXPECT(sim, 1, cut, NULL, 0, VOUCH_E_NO_TCB_LEVEL, VOUCH_CHECK_TCB_LEVEL);
	free(cut);
	free(text);
	vouch_sim_free(s);
}

static void component_counts_must_be_sixteen(void)
{
	vouch_sim_td td;
	vouch_sim_td_default(&td);
	td_quote(sim, &td);
	char *text = sim_tcb_info_text(sim, 1);
	char *fewer = replaced(text, "{\"svn\":4},{\"svn\":4},", "{\"svn\":4},"); /* 15 SGX components */
	EXPECT(sim, 1, fewer, NULL, 0, VOUCH_E_SGX_COMPONENTS, VOUCH_CHECK_TCB_LEVEL);
	char *more = replaced(text, "\"tdxtcbcomponents\":[", "\"tdxtcbcomponents\":[{\"svn\":0},"); /* 17 TDX */
	EXPECT(sim, 1, more, NULL, 0, VOUCH_E_TDX_COMPONENTS, VOUCH_CHECK_TCB_LEVEL);
	free(fewer);
	free(more);
	free(text);
}

static void tdx_module_identity(void)
{
	vouch_sim_td td;
	vouch_sim_td_default(&td);
	td.mr_signer_seam[0] = 1;
	td_quote(sim, &td);
	EXPECT(sim, 1, NULL, NULL, 0, VOUCH_E_TDX_MODULE_MRSIGNER, VOUCH_CHECK_TDX_MODULE);
	vouch_sim_td_default(&td);
	td.seam_attributes[2] = 4;
	td_quote(sim, &td);
	EXPECT(sim, 1, NULL, NULL, 0, VOUCH_E_TDX_MODULE_ATTRIBUTES, VOUCH_CHECK_TDX_MODULE);
	vouch_sim_td_default(&td);
	td_quote(sim, &td);
	char *text = sim_tcb_info_text(sim, 1);
	/* the quote's module version 1 has no identity when the TCB info only knows TDX_05 */
	char *t = replaced(text, "\"id\":\"TDX_01\"", "\"id\":\"TDX_05\"");
	EXPECT(sim, 1, t, NULL, 0, VOUCH_E_TDX_MODULE_ID, VOUCH_CHECK_TDX_MODULE);
	free(t);
	/* every module level above the quote's ISVSVN (3) */
	t = replaced_all(text, "{\"isvsvn\":", "{\"isvsvn\":1");
	EXPECT(sim, 1, t, NULL, 0, VOUCH_E_TDX_MODULE_ISVSVN, VOUCH_CHECK_TDX_MODULE_TCB);
	free(t);
	/* no tdxModule at all */
	char *start = strstr(text, ",\"tdxModule\":{"), *end = strstr(start, "},\"tdxModuleIdentities\"");
	char *no_module = malloc(strlen(text));
	memcpy(no_module, text, (size_t)(start - text));
	strcpy(no_module + (start - text), end + 1);
	EXPECT(sim, 1, no_module, NULL, 0, VOUCH_E_TDX_MODULE_MISSING, VOUCH_CHECK_TDX_MODULE);
	free(no_module);
	free(text);
}

static void qe_identity_policy(void)
{
	vouch_sim_td td;
	vouch_sim_td_default(&td);
	td_quote(sim, &td);
	char *text = sim_qe_identity_text(sim, 1), mrsigner[65];
	vouch_hex_encode(mrsigner, sim->qe_mrsigner, 32);
	char other[65];
	memcpy(other, mrsigner, 65);
	other[0] = other[0] == '0' ? '1' : '0';
	struct {
		const char *from, *to;
		int err;
		vouch_check_id check;
	} cases[] = {
		{mrsigner, other, VOUCH_E_QE_MRSIGNER, VOUCH_CHECK_QE_POLICY},
		{"\"isvprodid\":2", "\"isvprodid\":3", VOUCH_E_QE_ISVPRODID, VOUCH_CHECK_QE_POLICY},
		{"\"miscselect\":\"00000000\"", "\"miscselect\":\"00000001\"", VOUCH_E_QE_MISCSELECT, VOUCH_CHECK_QE_POLICY},
		{"\"attributes\":\"11", "\"attributes\":\"13", VOUCH_E_QE_ATTRIBUTES, VOUCH_CHECK_QE_POLICY},
		{"{\"isvsvn\":4}", "{\"isvsvn\":5}", 0, 0}, /* below the first level: the second (OutOfDate) applies */
		{"\"tcbLevels\":[{\"tcb\":{\"isvsvn\":4}", "\"x\":[{\"tcb\":{\"isvsvn\":4}", VOUCH_E_QE_ID_PARSE, VOUCH_CHECK_QE_ID_DECODE},
		{"\"id\":\"TD_QE\"", "\"id\":\"QE\"", VOUCH_E_QE_ID_MISMATCH, VOUCH_CHECK_QE_ID_TEE_TYPE},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *t = replaced(text, cases[i].from, cases[i].to);
		EXPECT(sim, 1, NULL, t, 0, cases[i].err, cases[i].check);
		if (!cases[i].err)
			CHECK_INT(verdict.qe.status, VOUCH_TCB_OUT_OF_DATE);
		free(t);
	}
	/* QE ISVSVN below every level */
	char *t = replaced_all(text, "{\"isvsvn\":", "{\"isvsvn\":1");
	EXPECT(sim, 1, NULL, t, 0, VOUCH_E_QE_ISVSVN, VOUCH_CHECK_QE_TCB);
	free(t);
	free(text);
}

/* Edits the QE report of the current quote and signs it again with the PCK key. */
static void edit_qe_report(size_t off, uint8_t xor)
{
	vouch_quote q;
	if (vouch_quote_parse(&q, quote, quote_len))
		abort();
	uint8_t *qe = (uint8_t *)q.qe_report.raw;
	qe[off] ^= xor;
	if (sim_sign(sim, SIM_KEY_PCK, qe, 384, (uint8_t *)q.qe_report_sig))
		abort();
}

static void qe_report_rules(void)
{
	vouch_sim_td td;
	vouch_sim_td_default(&td);
	td_quote(sim, &td);
	edit_qe_report(48, 0x02); /* the QE in debug mode */
	EXPECT(sim, 1, NULL, NULL, VOUCH_ALLOW_DEBUG, VOUCH_E_QE_DEBUG, VOUCH_CHECK_QE_POLICY);
	td_quote(sim, &td);
	edit_qe_report(320 + 40, 0x01); /* REPORTDATA[32..64] not zero: Intel QVL's rule, checked last */
	EXPECT(sim, 1, NULL, NULL, 0, VOUCH_E_QE_REPORT_DATA, VOUCH_CHECK_QE_REPORT_PADDING);
	td_quote(sim, &td);
	edit_qe_report(320 + 3, 0x01); /* the binding hash itself */
	EXPECT(sim, 1, NULL, NULL, 0, VOUCH_E_QE_REPORT_HASH, VOUCH_CHECK_QE_REPORT_BINDING);
	/* a body edited and signed again verifies: the signature is the only thing that binds it */
	td_quote(sim, &td);
	quote[48 + 136] ^= 1;
	CHECK_OK(sim_resign_quote(sim, quote, quote_len));
	EXPECT(sim, 1, NULL, NULL, 0, 0, 0);
}

static void crl_this_update_is_checked_last(void)
{
	vouch_sim_td td;
	vouch_sim_td_default(&td);
	td_quote(sim, &td);
	vouch_collateral_src c;
	CHECK_OK(vouch_sim_collateral(&c, sim, 1));
	vouch_verify_opts o = opts(0);
	/* 40 minutes before NOW: TCB info and QE identity issued (NOW - 1 h), the CRLs not yet (NOW - 30 min) */
	CHECK_ERR(vouch_verify_with(&verdict, &o, &c, quote, quote_len, NOW - 2400), VOUCH_E_CRL_NOT_YET_VALID);
	CHECK_INT(verdict.checks[VOUCH_CHECK_CRL_THIS_UPDATE].state, VOUCH_CHECK_FAIL);
	CHECK_INT(verdict.checks[VOUCH_CHECK_TD_ATTRIBUTES].state, VOUCH_CHECK_PASS);
	/* the collateral's expiry: 30 days on; the next second everything expires, the root CRL first */
	CHECK_OK(vouch_verify_with(&verdict, &o, &c, quote, quote_len, NOW));
	CHECK_INT(verdict.collateral_expiry, NOW + 30 * 86400);
	CHECK_ERR(vouch_verify_with(&verdict, &o, &c, quote, quote_len, NOW + 30 * 86400), VOUCH_E_CRL_EXPIRED);
	CHECK_INT(verdict.checks[VOUCH_CHECK_ROOT_CRL].state, VOUCH_CHECK_FAIL);
	vouch_collateral_src_free(&c);
}

static void the_simulator_survives_a_restart(void)
{
	char dir[] = "/tmp/vouch-sim-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	CHECK_OK(vouch_sim_save(sim, dir));
	vouch_sim *again;
	char msg[256];
	CHECK_OK(vouch_sim_load(&again, dir, msg, sizeof msg));
	vouch_bytes a = vouch_sim_root(sim), b = vouch_sim_root(again);
	CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	/* a quote made after the restart verifies under the root saved before it, with fresh collateral */
	vouch_sim_set_time(again, NOW + 365 * 86400);
	vouch_sim_td td;
	vouch_sim_td_default(&td);
	td_quote(again, &td);
	vouch_collateral_src c;
	CHECK_OK(vouch_sim_collateral(&c, again, 1));
	vouch_verify_opts o = opts(0);
	CHECK_OK(vouch_verify_with(&verdict, &o, &c, quote, quote_len, NOW + 365 * 86400));
	CHECK(memcmp(verdict.ppid, sim->ppid, 16) == 0);
	vouch_collateral_src_free(&c);
	vouch_sim_free(again);
	/* a mixed-up directory is refused */
	char keys[300];
	snprintf(keys, sizeof keys, "%s/sim-keys.pem", dir);
	vouch_sim *other;
	vouch_sim_config cfg;
	vouch_sim_config_default(&cfg, NOW);
	CHECK_OK(vouch_sim_new(&other, &cfg));
	char dir2[] = "/tmp/vouch-sim-XXXXXX";
	CHECK(mkdtemp(dir2) != NULL);
	CHECK_OK(vouch_sim_save(other, dir2));
	char other_keys[300], cmd[700];
	snprintf(other_keys, sizeof other_keys, "%s/sim-keys.pem", dir2);
	CHECK(rename(other_keys, keys) == 0);
	CHECK_ERR(vouch_sim_load(&again, dir, msg, sizeof msg), VOUCH_E_COLLATERAL);
	CHECK(strstr(msg, "do not match") != NULL);
	CHECK_ERR(vouch_sim_load(&again, "/nonexistent/vouch", msg, sizeof msg), VOUCH_E_IO);
	vouch_sim_free(other);
	snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, dir2);
	CHECK(system(cmd) == 0);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(a_simulated_quote_verifies_and_says_so),
		T(a_revoked_pck_is_refused),
		T(td_attributes_rules),
		T(sgx_debug_enclaves),
		T(v5_quotes_and_mr_service_td),
		T(platform_identity_mismatches),
		T(tcb_level_matching_and_status_merging),
		T(component_counts_must_be_sixteen),
		T(tdx_module_identity),
		T(qe_identity_policy),
		T(qe_report_rules),
		T(crl_this_update_is_checked_last),
		T(the_simulator_survives_a_restart),
	};
	vouch_sim_config c;
	vouch_sim_config_default(&c, NOW);
	if (vouch_sim_new(&sim, &c))
		return 1;
	int rc = test_main(argc, argv, tests, ARRAY_LEN(tests));
	vouch_sim_free(sim);
	return rc;
}
