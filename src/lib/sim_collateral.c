/* The simulated platform's collateral: TCB info and QE identity texts signed like Intel's, and fresh CRLs,
 * all dated from the configuration's `now` (each request can move it). Layouts: Intel PCS API v4. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/x509.h>

#include "sim_internal.h"
#include "vouch/util.h"

#define DAY 86400

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (*buf && *len + (size_t)n < *cap) {
			*len += (size_t)n;
			return;
		}
		size_t c = (*cap ? *cap * 2 : 4096) + (size_t)n;
		char *b = realloc(*buf, c);
		if (!b)
			return;
		*buf = b, *cap = c;
	}
}

static void svns(char **b, size_t *n, size_t *cap, const uint8_t v[16])
{
	for (int i = 0; i < 16; i++)
		append(b, n, cap, "%s{\"svn\":%u}", i ? "," : "", v[i]);
}

static void advisories(char **b, size_t *n, size_t *cap, const char *list)
{
	if (!*list)
		return;
	append(b, n, cap, ",\"advisoryIDs\":[");
	const char *p = list;
	int first = 1;
	while (*p) {
		size_t k = strcspn(p, ",");
		append(b, n, cap, "%s\"%.*s\"", first ? "" : ",", (int)k, p);
		first = 0;
		p += k + (p[k] == ',');
	}
	append(b, n, cap, "]");
}

char *sim_tcb_info_text(const vouch_sim *s, int tdx)
{
	const vouch_sim_config *c = &s->cfg;
	char *b = NULL, issue[21], next[21], fm[13], pce[5];
	size_t n = 0, cap = 0;
	static const uint8_t zero[16];
	vouch_time_format(issue, c->now - 3600);
	vouch_time_format(next, c->now + 30 * DAY);
	for (int i = 0; i < 6; i++)
		snprintf(fm + 2 * i, 3, "%02X", c->fmspc[i]);
	snprintf(pce, sizeof pce, "%02X%02X", c->pceid[0], c->pceid[1]);
	append(&b, &n, &cap,
	       "{\"id\":\"%s\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\",\"fmspc\":\"%s\",\"pceId\":\"%s\","
	       "\"tcbType\":0,\"tcbEvaluationDataNumber\":17",
	       tdx ? "TDX" : "SGX", issue, next, fm, pce);
	if (tdx) {
		static const char zeros48[] = "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
		append(&b, &n, &cap,
		       ",\"tdxModule\":{\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\"}"
		       ",\"tdxModuleIdentities\":[{\"id\":\"TDX_%02X\",\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\","
		       "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":[{\"tcb\":{\"isvsvn\":%u},\"tcbDate\":\"2025-01-01T00:00:00Z\","
		       "\"tcbStatus\":\"UpToDate\"},{\"tcb\":{\"isvsvn\":0},\"tcbDate\":\"2023-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"}]}]",
		       zeros48, c->tee_tcb_svn[1], zeros48, c->tee_tcb_svn[0]);
	}
	/* the platform's own level, then an older one everything passes */
	append(&b, &n, &cap, ",\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\":[");
	svns(&b, &n, &cap, c->cpusvn);
	append(&b, &n, &cap, "],\"pcesvn\":%u", c->pcesvn);
	if (tdx) {
		append(&b, &n, &cap, ",\"tdxtcbcomponents\":[");
		svns(&b, &n, &cap, c->tee_tcb_svn);
		append(&b, &n, &cap, "]");
	}
	append(&b, &n, &cap, "},\"tcbDate\":\"2025-01-01T00:00:00Z\",\"tcbStatus\":\"%s\"",
	       vouch_tcb_status_name(c->platform_status));
	advisories(&b, &n, &cap, s->advisories);
	append(&b, &n, &cap, "},{\"tcb\":{\"sgxtcbcomponents\":[");
	svns(&b, &n, &cap, zero);
	append(&b, &n, &cap, "],\"pcesvn\":0");
	if (tdx) {
		append(&b, &n, &cap, ",\"tdxtcbcomponents\":[");
		svns(&b, &n, &cap, zero);
		append(&b, &n, &cap, "]");
	}
	append(&b, &n, &cap, "},\"tcbDate\":\"2023-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-00000\"]}]}");
	return b;
}

char *sim_qe_identity_text(const vouch_sim *s, int tdx)
{
	const vouch_sim_config *c = &s->cfg;
	char *b = NULL, issue[21], next[21], mrsigner[65];
	size_t n = 0, cap = 0;
	vouch_time_format(issue, c->now - 3600);
	vouch_time_format(next, c->now + 30 * DAY);
	vouch_hex_encode(mrsigner, s->qe_mrsigner, 32);
	append(&b, &n, &cap,
	       "{\"id\":\"%s\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\",\"tcbEvaluationDataNumber\":17,"
	       "\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\","
	       "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"%s\",\"isvprodid\":%d,"
	       "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":%u},\"tcbDate\":\"2025-01-01T00:00:00Z\",\"tcbStatus\":\"%s\"},"
	       "{\"tcb\":{\"isvsvn\":0},\"tcbDate\":\"2023-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"}]}",
	       tdx ? "TD_QE" : "QE", issue, next, mrsigner, tdx ? 2 : 1, c->qe_isvsvn, vouch_tcb_status_name(c->qe_status));
	return b;
}

int sim_collateral_with(vouch_collateral_src *out, const vouch_sim *s, int tdx, const char *tcb_info,
			const char *qe_identity)
{
	char *ti = tcb_info ? NULL : sim_tcb_info_text(s, tdx), *qi = qe_identity ? NULL : sim_qe_identity_text(s, tdx);
	const char *t = tcb_info ? tcb_info : ti, *q = qe_identity ? qe_identity : qi;
	vouch_collateral_src c;
	memset(&c, 0, sizeof c);
	int err = t && q ? 0 : VOUCH_E_NOMEM;
	if (!err)
		err = sim_sign(s, SIM_KEY_TCB, t, strlen(t), c.tcb_info_signature);
	if (!err)
		err = sim_sign(s, SIM_KEY_TCB, q, strlen(q), c.qe_identity_signature);
	X509_CRL *root_crl = NULL, *pck_crl = NULL;
	uint8_t *root_der = NULL, *pck_der = NULL;
	size_t root_len = 0, pck_len = 0;
	if (!err) {
		root_crl = sim_make_crl(s->certs[SIM_CERT_ROOT], s->keys[SIM_KEY_ROOT], s->cfg.now, NULL);
		pck_crl = sim_make_crl(s->certs[SIM_CERT_CA], s->keys[SIM_KEY_CA], s->cfg.now,
				       s->cfg.revoke_pck ? X509_get0_serialNumber(s->certs[SIM_CERT_PCK]) : NULL);
		if (!root_crl || !pck_crl || !(root_der = sim_der_of_crl(root_crl, &root_len)) ||
		    !(pck_der = sim_der_of_crl(pck_crl, &pck_len)))
			err = VOUCH_E_CRYPTO;
	}
	if (!err) {
		c.tcb_info = (vouch_bytes){(const uint8_t *)t, strlen(t)};
		c.qe_identity = (vouch_bytes){(const uint8_t *)q, strlen(q)};
		c.pck_crl_issuer_chain = (vouch_bytes){(const uint8_t *)s->ca_chain_pem, strlen(s->ca_chain_pem)};
		c.tcb_info_issuer_chain = (vouch_bytes){(const uint8_t *)s->tcb_chain_pem, strlen(s->tcb_chain_pem)};
		c.qe_identity_issuer_chain = c.tcb_info_issuer_chain;
		c.root_ca_crl = (vouch_bytes){root_der, root_len};
		c.pck_crl = (vouch_bytes){pck_der, pck_len};
		/* an owned copy, through dcap-qvl's JSON like any other collateral */
		char *json = vouch_collateral_to_json(&c), msg[64];
		err = json ? vouch_collateral_parse_json(out, json, strlen(json), msg, sizeof msg) : VOUCH_E_NOMEM;
		free(json);
	}
	X509_CRL_free(root_crl);
	X509_CRL_free(pck_crl);
	free(root_der);
	free(pck_der);
	free(ti);
	free(qi);
	return err;
}

int vouch_sim_collateral(vouch_collateral_src *out, const vouch_sim *s, int tdx)
{
	return sim_collateral_with(out, s, tdx, NULL, NULL);
}
