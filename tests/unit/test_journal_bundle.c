/* Journal proof bundles: a bundle exported by `vouch journal export` from vouchd --tee=sim (the fixture
 * tests/vectors/vouch/journal-bundle.json, with its simulated root), verified offline at its export time;
 * each verification step made to fail on its own; and every part's bytes changed (sampled), each change
 * caught by the step that owns that part. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "vouch/journal_bundle.h"
#include "vouch/util.h"

static uint8_t *bundle, *root;
static size_t bundle_len, root_len;
static int64_t when; /* the export time: the bundle's collateral is fresh then */

static int verify(vouch_journal_verdict *v, const char *text, size_t len, const uint8_t *compose, const uint8_t *mrtd,
		  int intel, int64_t now)
{
	vouch_journal_verify_opts o = {.root_der = intel ? NULL : root, .root_der_len = intel ? 0 : root_len,
				       .expect_compose_hash = compose, .expect_mr_td = mrtd, .now = now};
	int e = vouch_journal_bundle_verify(v, text, len, &o);
	vouch_journal_verdict_free(v);
	return e;
}

static void load(void)
{
	if (bundle)
		return;
	bundle = test_read("vouch/journal-bundle.json", &bundle_len);
	root = test_read("vouch/journal-sim-root.der", &root_len);
	const char *p = strstr((const char *)bundle, "\"exported_ms\":");
	when = p ? strtoll(p + 14, NULL, 10) / 1000 : 0;
}

static void the_fixture_verifies(void)
{
	load();
	static vouch_journal_verdict v;
	CHECK_OK(verify(&v, (const char *)bundle, bundle_len, NULL, NULL, 0, when));
	CHECK(v.ok && v.simulated);
	CHECK_INT(v.seq, 2);
	CHECK_STR(v.kind, "blob");
	CHECK_STR(v.journal.name, "default");
	CHECK_INT(v.checkpoint.tree_size, 13);
	for (int i = 0; i < VOUCH_JSTEP_COUNT; i++)
		CHECK(v.steps[i].state == (i == VOUCH_JSTEP_MEASUREMENTS ? VOUCH_JSTEP_SKIPPED : VOUCH_JSTEP_PASS));
	CHECK(strstr(v.steps[VOUCH_JSTEP_MEASUREMENTS].note, "any code"));
	CHECK(v.have_compose_hash && v.have_mr_td);
	/* the JSON verdict says the same */
	vouch_journal_verify_opts o = {.root_der = root, .root_der_len = root_len, .now = when};
	vouch_journal_bundle_verify(&v, (const char *)bundle, bundle_len, &o);
	char *j = vouch_journal_verdict_json(&v);
	CHECK(j && strstr(j, "\"ok\": true") && strstr(j, "\"simulated\": true") && strstr(j, "\"result\": \"skipped\""));
	free(j);
	vouch_journal_verdict_free(&v);
}

static void each_step_fails_on_its_own(void)
{
	load();
	static vouch_journal_verdict v;
	CHECK_OK(verify(&v, (const char *)bundle, bundle_len, NULL, NULL, 0, when));
	uint8_t compose[32], mrtd[48];
	memcpy(compose, v.compose_hash, 32);
	memcpy(mrtd, v.mr_td, 48);
	/* the measurements one trusts: right, then wrong */
	CHECK_OK(verify(&v, (const char *)bundle, bundle_len, compose, mrtd, 0, when));
	CHECK(v.steps[VOUCH_JSTEP_MEASUREMENTS].state == VOUCH_JSTEP_PASS);
	compose[0] ^= 1;
	CHECK_ERR(verify(&v, (const char *)bundle, bundle_len, compose, NULL, 0, when), VOUCH_E_JOURNAL_EXPECT);
	CHECK_INT(v.failed_step, VOUCH_JSTEP_MEASUREMENTS);
	mrtd[47] ^= 1;
	CHECK_ERR(verify(&v, (const char *)bundle, bundle_len, NULL, mrtd, 0, when), VOUCH_E_JOURNAL_EXPECT);
	CHECK(strstr(v.steps[VOUCH_JSTEP_MEASUREMENTS].note, "MRTD"));
	/* under Intel's root a simulated quote is refused */
	CHECK(verify(&v, (const char *)bundle, bundle_len, NULL, NULL, 1, when) != 0);
	CHECK_INT(v.failed_step, VOUCH_JSTEP_QUOTE);
	/* 60 days later the collateral is stale: the quote step says so (verify at the export time instead) */
	CHECK(verify(&v, (const char *)bundle, bundle_len, NULL, NULL, 0, when + 60 * 86400) != 0);
	CHECK_INT(v.failed_step, VOUCH_JSTEP_QUOTE);
}

static void malformed_bundles(void)
{
	load();
	static vouch_journal_verdict v;
	static const char *bad[] = {"", "[]", "{}", "{\"format\":\"vouch-journal-bundle/2\"}", "not json"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(verify(&v, bad[i], strlen(bad[i]), NULL, NULL, 0, when) != 0);
		CHECK_INT(v.failed_step, VOUCH_JSTEP_BUNDLE);
	}
	/* an extra member, anywhere it could hide */
	char *t = malloc(bundle_len + 64);
	static const char *where[] = {"{\"format\"", "\"entry\":{", "\"checkpoint\":{", "\"inclusion\":{", "\"attestation\":{"};
	for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
		const char *at = strstr((const char *)bundle, where[i]);
		CHECK(at);
		size_t off = (size_t)(at - (const char *)bundle) + strlen(where[i]) - (i == 0 ? strlen("\"format\"") : 0);
		memcpy(t, bundle, off);
		memcpy(t + off, "\"x\":1,", 6);
		memcpy(t + off + 6, bundle + off, bundle_len - off);
		CHECK(verify(&v, t, bundle_len + 6, NULL, NULL, 0, when) != 0);
		if (v.failed_step != VOUCH_JSTEP_BUNDLE) {
			test_failf(__FILE__, __LINE__, "extra member after %s: step %d", where[i], v.failed_step);
			break;
		}
	}
	free(t);
}

/* The parts of the document, by where their members start, and the steps allowed to catch a change. */
static const struct part {
	const char *key;
	unsigned steps; /* bit per VOUCH_JSTEP_* */
} PARTS[] = {
	{"{\"format\":", 1u << VOUCH_JSTEP_BUNDLE},
	{"\"journal\":", 1u << VOUCH_JSTEP_BUNDLE | 1u << VOUCH_JSTEP_JOURNAL_EVENT | 1u << VOUCH_JSTEP_KEY_BINDING},
	{"\"entry\":", 1u << VOUCH_JSTEP_BUNDLE | 1u << VOUCH_JSTEP_INCLUSION | 1u << VOUCH_JSTEP_ENTRY},
	{"\"checkpoint\":", 1u << VOUCH_JSTEP_BUNDLE | 1u << VOUCH_JSTEP_CHECKPOINT},
	{"\"inclusion\":", 1u << VOUCH_JSTEP_BUNDLE | 1u << VOUCH_JSTEP_INCLUSION},
	{"\"attestation\":{\"quote\":", 1u << VOUCH_JSTEP_BUNDLE | 1u << VOUCH_JSTEP_QUOTE},
	{"\"nonce\":", 1u << VOUCH_JSTEP_BUNDLE | 1u << VOUCH_JSTEP_KEY_BINDING},
	{"\"event_log\":", 1u << VOUCH_JSTEP_BUNDLE | 1u << VOUCH_JSTEP_EVENT_LOG | 1u << VOUCH_JSTEP_JOURNAL_EVENT},
	{"\"collateral\":", 1u << VOUCH_JSTEP_BUNDLE | 1u << VOUCH_JSTEP_QUOTE},
	{"\"exported_ms\":", 0}, /* informational: not checked */
};

static void every_part_is_checked(void)
{
	load();
	size_t start[sizeof PARTS / sizeof PARTS[0] + 1];
	size_t n = sizeof PARTS / sizeof PARTS[0];
	for (size_t i = 0; i < n; i++) {
		const char *at = strstr((const char *)bundle, PARTS[i].key);
		CHECK(at);
		start[i] = (size_t)(at - (const char *)bundle);
		CHECK(i == 0 || start[i] > start[i - 1]);
	}
	start[n] = bundle_len;
	static vouch_journal_verdict v;
	char *t = malloc(bundle_len);
	memcpy(t, bundle, bundle_len);
	unsigned tried = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		/* up to ~250 positions per part, spread over it, and always its first 40 bytes */
		size_t len = start[i + 1] - start[i], stride = len / 250 + 1;
		for (size_t off = 0; off < len; off += off < 40 ? 1 : stride) {
			size_t at = start[i] + off;
			t[at] ^= 1;
			int e = verify(&v, t, bundle_len, NULL, NULL, 0, when);
			t[at] ^= 1;
			tried++;
			if (!e || v.failed_step < 0 || !(PARTS[i].steps & (1u << v.failed_step))) {
				test_failf(__FILE__, __LINE__, "byte %zu (in %s) changed: %s at step %s", at, PARTS[i].key,
					   e ? "caught" : "NOT caught", v.failed_step >= 0 ? v.steps[v.failed_step].name : "-");
				free(t);
				return;
			}
		}
	}
	free(t);
	CHECK(tried > 1500);
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(the_fixture_verifies),
		T(each_step_fails_on_its_own),
		T(malformed_bundles),
		T(every_part_is_checked),
	};
	return test_main(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
