/* Quotes of the simulated platform: Intel's v3 (SGX), v4 and v5 (TDX) layouts, signed by the simulated QE's
 * attestation key, whose QE report is signed by the simulated PCK key and carries the PCK chain. */
#include <stdlib.h>

#include "crypto.h"
#include "sim_internal.h"
#include "vouch/quote.h"

static const uint8_t INTEL_QE_VENDOR[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
					    0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

typedef struct wb {
	uint8_t *p;
	size_t cap, n;
	int err;
} wb;

static uint8_t *put(wb *w, const void *src, size_t n)
{
	if (w->err || w->cap - w->n < n) {
		w->err = VOUCH_E_LIMIT;
		return NULL;
	}
	uint8_t *at = w->p + w->n;
	if (src)
		memcpy(at, src, n);
	else
		memset(at, 0, n);
	w->n += n;
	return at;
}

static void put16(wb *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	put(w, b, 2);
}

static void put32(wb *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(w, b, 4);
}

static void header(wb *w, const vouch_sim *s, uint16_t version, uint32_t tee)
{
	put16(w, version);
	put16(w, 2); /* ECDSA P-256 */
	put32(w, tee);
	put16(w, s->cfg.qe_isvsvn);
	put16(w, s->cfg.pcesvn);
	put(w, INTEL_QE_VENDOR, 16);
	put(w, s->ppid, 16); /* user data: QE ID (16) and 4 zero bytes */
	put(w, NULL, 4);
}

/* The QE part shared by every version: QE report, its signature, auth data, the PCK chain (type 5). */
static int qe_part(wb *w, const vouch_sim *s, int tdx)
{
	uint8_t *qe = put(w, NULL, 384), *qe_sig = put(w, NULL, 64), auth[32];
	if (!qe)
		return w->err;
	for (int i = 0; i < 32; i++)
		auth[i] = (uint8_t)i;
	memcpy(qe, s->cfg.cpusvn, 16);
	qe[48] = 0x11; /* ATTRIBUTES: INIT | MODE64BIT, not debug */
	memcpy(qe + 64, s->qe_mrsigner, 32);  /* MRENCLAVE: any value; the QE identity does not pin it */
	memcpy(qe + 128, s->qe_mrsigner, 32); /* MRSIGNER */
	qe[256] = tdx ? 2 : 1;                /* ISVPRODID */
	qe[258] = (uint8_t)s->cfg.qe_isvsvn, qe[259] = (uint8_t)(s->cfg.qe_isvsvn >> 8);
	uint8_t bind[96];
	memcpy(bind, s->att_pub, 64);
	memcpy(bind + 64, auth, 32);
	sha256(qe + 320, bind, sizeof bind);
	int err = sim_sign(s, SIM_KEY_PCK, qe, 384, qe_sig);
	if (err)
		return err;
	put16(w, 32);
	put(w, auth, 32);
	put16(w, 5);
	size_t pem = strlen(s->pck_chain_pem) + 1; /* as real quotes: the PEM ends with a NUL */
	put32(w, (uint32_t)pem);
	put(w, s->pck_chain_pem, pem);
	return w->err;
}

/* Signature data: quote signature (filled last), attestation key, then the QE part — wrapped in
 * certification data type 6 for v4/v5. */
static int finish(wb *w, const vouch_sim *s, int version, int tdx, size_t signed_len)
{
	uint8_t *len_at = put(w, NULL, 4), *sig = put(w, NULL, 64);
	put(w, s->att_pub, 64);
	if (w->err)
		return w->err;
	size_t start = w->n;
	uint8_t *outer_len = NULL;
	if (version != 3) {
		put16(w, 6);
		outer_len = put(w, NULL, 4);
	}
	int err = qe_part(w, s, tdx);
	if (err)
		return err;
	if (outer_len) {
		uint32_t n = (uint32_t)(w->n - start - 6);
		outer_len[0] = (uint8_t)n, outer_len[1] = (uint8_t)(n >> 8), outer_len[2] = (uint8_t)(n >> 16),
		outer_len[3] = (uint8_t)(n >> 24);
	}
	uint32_t total = (uint32_t)(w->n - (size_t)(len_at - w->p) - 4);
	len_at[0] = (uint8_t)total, len_at[1] = (uint8_t)(total >> 8), len_at[2] = (uint8_t)(total >> 16),
	len_at[3] = (uint8_t)(total >> 24);
	return sim_sign(s, SIM_KEY_ATT, w->p, signed_len, sig);
}

void vouch_sim_td_default(vouch_sim_td *td)
{
	memset(td, 0, sizeof *td);
	td->version = 4;
	td->body = VOUCH_BODY_TD10;
	td->td_attributes[3] = 0x10; /* SEPT_VE_DISABLE */
	td->xfam[0] = 0xe7, td->xfam[1] = 0x02, td->xfam[2] = 0x06;
}

int vouch_sim_tdx_quote(uint8_t *out, size_t cap, size_t *len, const vouch_sim *s, const vouch_sim_td *td)
{
	if (!out || !len || !s || !td || (td->version != 4 && td->version != 5) ||
	    (td->body != VOUCH_BODY_TD10 && td->body != VOUCH_BODY_TD15) || (td->body == VOUCH_BODY_TD15 && td->version != 5))
		return VOUCH_E_ARG;
	wb w = {out, cap, 0, 0};
	header(&w, s, td->version, VOUCH_TEE_TDX);
	size_t body_len = td->body == VOUCH_BODY_TD15 ? 648 : 584;
	if (td->version == 5) {
		put16(&w, (uint16_t)td->body);
		put32(&w, (uint32_t)body_len);
	}
	uint8_t *b = put(&w, NULL, body_len);
	if (!b)
		return w.err;
	memcpy(b, s->cfg.tee_tcb_svn, 16);
	memcpy(b + 16, td->mr_seam, 48);
	memcpy(b + 64, td->mr_signer_seam, 48);
	memcpy(b + 112, td->seam_attributes, 8);
	memcpy(b + 120, td->td_attributes, 8);
	memcpy(b + 128, td->xfam, 8);
	memcpy(b + 136, td->mr_td, 48);
	memcpy(b + 184, td->mr_config_id, 48);
	memcpy(b + 232, td->mr_owner, 48);
	memcpy(b + 280, td->mr_owner_config, 48);
	for (int i = 0; i < 4; i++)
		memcpy(b + 328 + 48 * i, td->rtmr[i], 48);
	memcpy(b + 520, td->report_data, 64);
	if (body_len == 648)
		memcpy(b + 600, td->mr_service_td, 48);
	int err = finish(&w, s, td->version, 1, w.n);
	*len = err ? 0 : w.n;
	return err;
}

int vouch_sim_sgx_quote(uint8_t *out, size_t cap, size_t *len, const vouch_sim *s, const uint8_t *attributes,
			const uint8_t *mr_enclave, const uint8_t *mr_signer, const uint8_t *report_data)
{
	if (!out || !len || !s)
		return VOUCH_E_ARG;
	wb w = {out, cap, 0, 0};
	header(&w, s, 3, VOUCH_TEE_SGX);
	uint8_t *b = put(&w, NULL, 384);
	if (!b)
		return w.err;
	memcpy(b, s->cfg.cpusvn, 16);
	if (attributes)
		memcpy(b + 48, attributes, 16);
	else
		b[48] = 0x05; /* INIT | MODE64BIT */
	if (mr_enclave)
		memcpy(b + 64, mr_enclave, 32);
	if (mr_signer)
		memcpy(b + 128, mr_signer, 32);
	if (report_data)
		memcpy(b + 320, report_data, 64);
	int err = finish(&w, s, 3, 0, w.n);
	*len = err ? 0 : w.n;
	return err;
}

int sim_resign_quote(const vouch_sim *s, uint8_t *quote, size_t len)
{
	vouch_quote q;
	int err = vouch_quote_parse(&q, quote, len);
	if (err)
		return err;
	return sim_sign(s, SIM_KEY_ATT, quote, q.signed_len, quote + q.signed_len + 4);
}
