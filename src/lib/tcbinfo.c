/* TCB info and QE identity decoding. Field names, types and required-ness follow dcap-qvl's serde
 * structures: a missing required field, a duplicate field, a wrong type or an out-of-range integer is a
 * decoding error; unknown fields are ignored. */
#include "tcbinfo.h"

#include "json.h"
#include "vouch/util.h"

typedef struct pctx {
	jr j;
	char *msg;
	size_t cap;
	int err;       /* VOUCH_E_TCB_INFO_PARSE or VOUCH_E_QE_ID_PARSE */
	int failed;
} pctx;

static int bad(pctx *c, const char *what)
{
	if (!c->failed) {
		c->failed = 1;
		msgf(c->msg, c->cap, "%s", what);
	}
	return c->err;
}

static int ok(pctx *c)
{
	return !c->failed && !c->j.err;
}

static int get_uint(pctx *c, uint64_t max, uint64_t *out, const char *field)
{
	if (jr_uint(&c->j, max, out))
		return bad(c, field);
	return 0;
}

/* A hex string of exactly n bytes. */
static int get_hex(pctx *c, uint8_t *out, size_t n, const char *field)
{
	span s;
	char buf[2 * 64 + 1];
	size_t len, got;
	if (jr_str(&c->j, &s) || jr_unescape(s, buf, sizeof buf, &len) ||
	    vouch_hex_decode(out, n, &got, buf, len) || got != n || len != 2 * n)
		return bad(c, field);
	return 0;
}

static int get_date(pctx *c, int64_t *out, const char *field)
{
	span s;
	char buf[64];
	size_t len;
	if (jr_str(&c->j, &s) || jr_unescape(s, buf, sizeof buf, &len) || vouch_time_parse(out, buf, len))
		return bad(c, field);
	return 0;
}

static int get_status(pctx *c, vouch_tcb_status *out)
{
	span s;
	char buf[64];
	size_t len;
	if (jr_str(&c->j, &s) || (memchr(s.p, '\\', s.len) ? jr_unescape(s, buf, sizeof buf, &len)
							  : (s.len >= sizeof buf ? 1 : (memcpy(buf, s.p, len = s.len), 0))) ||
	    vouch_tcb_status_parse(out, buf, len) || *out == VOUCH_TCB_UNKNOWN)
		return bad(c, "tcbStatus is not a known TCB status");
	return 0;
}

/* advisoryIDs: an array of strings; kept as text and read again when merged. */
static int get_advisories(pctx *c, span *out)
{
	const uint8_t *start;
	int n = 0;
	span s;
	while (c->j.p < c->j.end && (*c->j.p == ' ' || *c->j.p == '\n' || *c->j.p == '\r' || *c->j.p == '\t'))
		c->j.p++;
	start = c->j.p;
	while (jr_arr_next(&c->j, &n)) {
		char buf[VOUCH_ADVISORY_LEN];
		if (jr_str(&c->j, &s) || (memchr(s.p, '\\', s.len) ? jr_unescape(s, buf, sizeof buf, NULL) != 0
								   : s.len >= sizeof buf))
			return bad(c, "advisoryIDs must be strings shorter than 32 bytes");
	}
	if (c->j.err)
		return bad(c, "advisoryIDs is not an array");
	*out = span_of(start, (size_t)(c->j.p - start));
	return 0;
}

/* Marks a field seen; a second occurrence is an error (serde: "duplicate field"). */
static int once(pctx *c, uint32_t *seen, int bit, const char *field)
{
	if (*seen & (1u << bit)) {
		msgf(c->msg, c->cap, "duplicate field %s", field);
		c->failed = 1;
		return 0;
	}
	*seen |= 1u << bit;
	return 1;
}

static int require(pctx *c, uint32_t seen, uint32_t need, const char *const *names)
{
	for (int i = 0; i < 32; i++)
		if ((need & (1u << i)) && !(seen & (1u << i))) {
			char m[96];
			msgf(m, sizeof m, "missing field %s", names[i]);
			return bad(c, m);
		}
	return 0;
}

/* The next known field of an object: skips unknown keys, refuses duplicates. Returns the field's index with
 * the reader on its value, or -1 at the end of the object or on error. */
static int next_field(pctx *c, int *n, const char *const *names, size_t count, uint32_t *seen)
{
	span key;
	while (ok(c) && jr_obj_next(&c->j, n, &key)) {
		for (size_t i = 0; i < count; i++)
			if (jr_str_eq(key, names[i]))
				return once(c, seen, (int)i, names[i]) ? (int)i : -1;
		jr_skip(&c->j);
	}
	return -1;
}

/* After a top-level object: nothing may follow, and every required field must have been there. */
static int finish(pctx *c, uint32_t seen, uint32_t need, const char *const *names)
{
	if (ok(c))
		jr_end(&c->j);
	if (c->j.err)
		bad(c, "not valid JSON");
	if (ok(c))
		require(c, seen, need, names);
	return c->failed ? c->err : 0;
}

/* [{"svn":N, …}, …] into up to 16 bytes; *n counts every element. */
static void get_components(pctx *c, uint8_t out[16], unsigned *n, const char *field)
{
	int k = 0;
	*n = 0;
	while (ok(c) && jr_arr_next(&c->j, &k)) {
		int m = 0, have = 0;
		span key;
		uint64_t svn = 0;
		while (ok(c) && jr_obj_next(&c->j, &m, &key)) {
			if (jr_str_eq(key, "svn")) {
				if (have++) {
					bad(c, "duplicate field svn");
					return;
				}
				get_uint(c, 255, &svn, field);
			} else {
				jr_skip(&c->j);
			}
		}
		if (!have) {
			bad(c, field);
			return;
		}
		if (*n < 16)
			out[*n] = (uint8_t)svn;
		(*n)++;
	}
	if (c->j.err)
		bad(c, field);
}

static const char *const LEVEL_FIELDS[] = {"tcb", "tcbDate", "tcbStatus", "advisoryIDs"};

/* One entry of tcbLevels (SGX/TDX TCB info). */
static void get_tcb_level(pctx *c, tcb_level *l)
{
	int n = 0;
	span key;
	uint32_t seen = 0;
	memset(l, 0, sizeof *l);
	while (ok(c) && jr_obj_next(&c->j, &n, &key)) {
		if (jr_str_eq(key, "tcb") && once(c, &seen, 0, "tcb")) {
			int m = 0, have_sgx = 0, have_pce = 0, have_tdx = 0;
			span k2;
			while (ok(c) && jr_obj_next(&c->j, &m, &k2)) {
				uint64_t v;
				if (jr_str_eq(k2, "sgxtcbcomponents") && !have_sgx++)
					get_components(c, l->sgx, &l->n_sgx, "sgxtcbcomponents");
				else if (jr_str_eq(k2, "tdxtcbcomponents") && !have_tdx++)
					get_components(c, l->tdx, &l->n_tdx, "tdxtcbcomponents");
				else if (jr_str_eq(k2, "pcesvn") && !have_pce++) {
					if (!get_uint(c, 65535, &v, "pcesvn"))
						l->pcesvn = (uint16_t)v;
				} else if (jr_str_eq(k2, "sgxtcbcomponents") || jr_str_eq(k2, "tdxtcbcomponents") ||
					   jr_str_eq(k2, "pcesvn"))
					bad(c, "duplicate field in tcb");
				else
					jr_skip(&c->j);
			}
			if (ok(c) && (!have_sgx || !have_pce))
				bad(c, "tcb needs sgxtcbcomponents and pcesvn");
		} else if (jr_str_eq(key, "tcbDate") && once(c, &seen, 1, "tcbDate")) {
			span s; /* a string; its value is never used (spec: tcbDate ignored) */
			if (jr_str(&c->j, &s))
				bad(c, "tcbDate");
		} else if (jr_str_eq(key, "tcbStatus") && once(c, &seen, 2, "tcbStatus")) {
			get_status(c, &l->status);
		} else if (jr_str_eq(key, "advisoryIDs") && once(c, &seen, 3, "advisoryIDs")) {
			get_advisories(c, &l->advisories);
		} else if (ok(c)) {
			jr_skip(&c->j);
		}
	}
	if (ok(c))
		require(c, seen, 0x7, LEVEL_FIELDS);
}

/* One entry of a QE identity's or a TDX module identity's tcbLevels: {"tcb":{"isvsvn":N}, …}. */
static void get_isvsvn_level(pctx *c, isvsvn_level *l)
{
	int n = 0;
	span key;
	uint32_t seen = 0;
	memset(l, 0, sizeof *l);
	while (ok(c) && jr_obj_next(&c->j, &n, &key)) {
		if (jr_str_eq(key, "tcb") && once(c, &seen, 0, "tcb")) {
			int m = 0, have = 0;
			span k2;
			uint64_t v;
			while (ok(c) && jr_obj_next(&c->j, &m, &k2)) {
				if (jr_str_eq(k2, "isvsvn")) {
					if (have++ || get_uint(c, 65535, &v, "isvsvn"))
						bad(c, "isvsvn");
					else
						l->isvsvn = (uint16_t)v;
				} else {
					jr_skip(&c->j);
				}
			}
			if (ok(c) && !have)
				bad(c, "tcb needs isvsvn");
		} else if (jr_str_eq(key, "tcbDate") && once(c, &seen, 1, "tcbDate")) {
			span s;
			if (jr_str(&c->j, &s))
				bad(c, "tcbDate");
		} else if (jr_str_eq(key, "tcbStatus") && once(c, &seen, 2, "tcbStatus")) {
			get_status(c, &l->status);
		} else if (jr_str_eq(key, "advisoryIDs") && once(c, &seen, 3, "advisoryIDs")) {
			get_advisories(c, &l->advisories);
		} else if (ok(c)) {
			jr_skip(&c->j);
		}
	}
	if (ok(c))
		require(c, seen, 0x7, LEVEL_FIELDS);
}

static void get_isvsvn_levels(pctx *c, isvsvn_level *levels, unsigned max, unsigned *n_out)
{
	int n = 0;
	*n_out = 0;
	while (ok(c) && jr_arr_next(&c->j, &n)) {
		if (*n_out == max) {
			bad(c, "too many tcbLevels");
			return;
		}
		get_isvsvn_level(c, &levels[(*n_out)++]);
	}
	if (c->j.err)
		bad(c, "tcbLevels is not an array");
}

static const char *const MODULE_FIELDS[] = {"mrsigner", "attributes", "attributesMask", "id", "tcbLevels"};

/* tdxModule (need = 0x7) or an entry of tdxModuleIdentities (need = 0x1f). */
static void get_module(pctx *c, uint8_t mrsigner[48], uint8_t attr[8], uint8_t mask[8], module_identity *id,
		       uint32_t need)
{
	int n = 0;
	span key;
	uint32_t seen = 0;
	while (ok(c) && jr_obj_next(&c->j, &n, &key)) {
		if (jr_str_eq(key, "mrsigner") && once(c, &seen, 0, "mrsigner"))
			get_hex(c, mrsigner, 48, "tdxModule mrsigner must be 48 bytes of hex");
		else if (jr_str_eq(key, "attributes") && once(c, &seen, 1, "attributes"))
			get_hex(c, attr, 8, "tdxModule attributes must be 8 bytes of hex");
		else if (jr_str_eq(key, "attributesMask") && once(c, &seen, 2, "attributesMask"))
			get_hex(c, mask, 8, "tdxModule attributesMask must be 8 bytes of hex");
		else if (id && jr_str_eq(key, "id") && once(c, &seen, 3, "id")) {
			if (jr_str(&c->j, &id->id))
				bad(c, "module id");
		} else if (id && jr_str_eq(key, "tcbLevels") && once(c, &seen, 4, "tcbLevels"))
			get_isvsvn_levels(c, id->levels, MAX_MODULE_LEVELS, &id->n_levels);
		else if (ok(c))
			jr_skip(&c->j);
	}
	if (ok(c))
		require(c, seen, need, MODULE_FIELDS);
}

enum { TI_ID, TI_VERSION, TI_ISSUE, TI_NEXT, TI_FMSPC, TI_PCEID, TI_TCBTYPE, TI_EVAL, TI_LEVELS, TI_MODULE, TI_MODULE_IDS };
static const char *const TI_FIELDS[] = {"id", "version", "issueDate", "nextUpdate", "fmspc", "pceId",
					"tcbType", "tcbEvaluationDataNumber", "tcbLevels", "tdxModule",
					"tdxModuleIdentities"};

static int cmp_bytes(const uint8_t *a, unsigned na, const uint8_t *b, unsigned nb)
{
	unsigned n = na < nb ? na : nb;
	n = n > 16 ? 16 : n;
	int r = memcmp(a, b, n);
	if (r)
		return r;
	return na < nb ? -1 : na > nb;
}

/* Canonical order (spec §2 step 2.5): descending by SGX components, then PCESVN, then (TDX) TDX components. */
static int level_cmp(const tcb_level *a, const tcb_level *b, int tdx)
{
	int r = cmp_bytes(a->sgx, a->n_sgx, b->sgx, b->n_sgx);
	if (r)
		return r;
	if (a->pcesvn != b->pcesvn)
		return a->pcesvn < b->pcesvn ? -1 : 1;
	return tdx ? cmp_bytes(a->tdx, a->n_tdx, b->tdx, b->n_tdx) : 0;
}

int tcb_info_is_tdx(const tcb_info *t)
{
	return t->version >= 3 && jr_str_eq(t->id, "TDX");
}

int tcb_info_parse(tcb_info *t, const char *text, size_t len, char *msg, size_t cap)
{
	pctx c = {jr_init(text, len), msg, cap, VOUCH_E_TCB_INFO_PARSE, 0};
	int n = 0, f;
	uint32_t seen = 0;
	uint64_t v;
	memset(t, 0, sizeof *t);
	while ((f = next_field(&c, &n, TI_FIELDS, ARRAY_LEN(TI_FIELDS), &seen)) >= 0) {
		switch (f) {
		case TI_ID:
			if (jr_str(&c.j, &t->id))
				bad(&c, "id");
			break;
		case TI_VERSION:
			if (!get_uint(&c, 255, &v, "version must be 0..255"))
				t->version = (unsigned)v;
			break;
		case TI_ISSUE:
			get_date(&c, &t->issue_date, "issueDate is not an RFC 3339 date");
			break;
		case TI_NEXT:
			get_date(&c, &t->next_update, "nextUpdate is not an RFC 3339 date");
			break;
		case TI_FMSPC:
			get_hex(&c, t->fmspc, 6, "fmspc must be 6 bytes of hex");
			break;
		case TI_PCEID:
			/* a string, as dcap-qvl reads it; decoded only by the PCE ID check */
			if (jr_str(&c.j, &t->pce_id))
				bad(&c, "pceId must be a string");
			break;
		case TI_TCBTYPE:
			if (!get_uint(&c, UINT32_MAX, &v, "tcbType"))
				t->tcb_type = (uint32_t)v;
			break;
		case TI_EVAL:
			if (!get_uint(&c, UINT32_MAX, &v, "tcbEvaluationDataNumber"))
				t->tcb_eval_num = (uint32_t)v;
			break;
		case TI_MODULE:
			t->has_module = 1;
			get_module(&c, t->module_mrsigner, t->module_attributes, t->module_attributes_mask, NULL, 0x7);
			break;
		case TI_MODULE_IDS: {
			int k = 0;
			while (ok(&c) && jr_arr_next(&c.j, &k)) {
				if (t->n_modules == MAX_MODULE_IDS) {
					bad(&c, "too many tdxModuleIdentities");
					break;
				}
				module_identity *m = &t->modules[t->n_modules++];
				get_module(&c, m->mrsigner, m->attributes, m->attributes_mask, m, 0x1f);
			}
			break;
		}
		case TI_LEVELS: {
			int k = 0;
			while (ok(&c) && jr_arr_next(&c.j, &k)) {
				if (t->n_levels == MAX_TCB_LEVELS) {
					bad(&c, "too many tcbLevels");
					break;
				}
				get_tcb_level(&c, &t->levels[t->n_levels++]);
			}
			break;
		}
		}
	}
	if (finish(&c, seen, (1u << TI_MODULE) - 1, TI_FIELDS)) {
		memset(t, 0, sizeof *t);
		return c.err;
	}
	/* stable insertion sort into canonical descending order */
	int tdx = tcb_info_is_tdx(t);
	for (unsigned i = 1; i < t->n_levels; i++) {
		tcb_level x = t->levels[i];
		unsigned k = i;
		while (k > 0 && level_cmp(&t->levels[k - 1], &x, tdx) < 0) {
			t->levels[k] = t->levels[k - 1];
			k--;
		}
		t->levels[k] = x;
	}
	return 0;
}

enum { QI_ID, QI_VERSION, QI_ISSUE, QI_NEXT, QI_EVAL, QI_MISC, QI_MISC_MASK, QI_ATTR, QI_ATTR_MASK, QI_MRSIGNER, QI_PRODID, QI_LEVELS };
static const char *const QI_FIELDS[] = {"id", "version", "issueDate", "nextUpdate", "tcbEvaluationDataNumber",
					"miscselect", "miscselectMask", "attributes", "attributesMask", "mrsigner",
					"isvprodid", "tcbLevels"};

int qe_identity_parse(qe_identity *q, const char *text, size_t len, char *msg, size_t cap)
{
	pctx c = {jr_init(text, len), msg, cap, VOUCH_E_QE_ID_PARSE, 0};
	int n = 0, f;
	uint32_t seen = 0;
	uint64_t v;
	memset(q, 0, sizeof *q);
	while ((f = next_field(&c, &n, QI_FIELDS, ARRAY_LEN(QI_FIELDS), &seen)) >= 0) {
		switch (f) {
		case QI_ID:
			if (jr_str(&c.j, &q->id))
				bad(&c, "id");
			break;
		case QI_VERSION:
			if (!get_uint(&c, 255, &v, "version must be 0..255"))
				q->version = (unsigned)v;
			break;
		case QI_ISSUE:
			get_date(&c, &q->issue_date, "issueDate is not an RFC 3339 date");
			break;
		case QI_NEXT:
			get_date(&c, &q->next_update, "nextUpdate is not an RFC 3339 date");
			break;
		case QI_EVAL:
			if (!get_uint(&c, UINT32_MAX, &v, "tcbEvaluationDataNumber"))
				q->tcb_eval_num = (uint32_t)v;
			break;
		case QI_MISC:
			get_hex(&c, q->miscselect, 4, "miscselect must be 4 bytes of hex");
			break;
		case QI_MISC_MASK:
			get_hex(&c, q->miscselect_mask, 4, "miscselectMask must be 4 bytes of hex");
			break;
		case QI_ATTR:
			get_hex(&c, q->attributes, 16, "attributes must be 16 bytes of hex");
			break;
		case QI_ATTR_MASK:
			get_hex(&c, q->attributes_mask, 16, "attributesMask must be 16 bytes of hex");
			break;
		case QI_MRSIGNER:
			get_hex(&c, q->mrsigner, 32, "mrsigner must be 32 bytes of hex");
			break;
		case QI_PRODID:
			if (!get_uint(&c, 65535, &v, "isvprodid must be 0..65535"))
				q->isvprodid = (uint16_t)v;
			break;
		case QI_LEVELS:
			get_isvsvn_levels(&c, q->levels, MAX_QE_LEVELS, &q->n_levels);
			break;
		}
	}
	if (finish(&c, seen, (1u << ARRAY_LEN(QI_FIELDS)) - 1, QI_FIELDS)) {
		memset(q, 0, sizeof *q);
		return c.err;
	}
	return 0;
}

int advisories_merge(vouch_tcb_result *r, span advisories)
{
	if (!advisories.len)
		return 0;
	jr j = jr_init(advisories.p, advisories.len);
	int n = 0;
	while (jr_arr_next(&j, &n)) {
		span s;
		char id[VOUCH_ADVISORY_LEN];
		if (jr_str(&j, &s) || jr_unescape(s, id, sizeof id, NULL))
			return VOUCH_E_JSON; /* validated when parsed */
		unsigned k;
		for (k = 0; k < r->n_advisories; k++)
			if (strcmp(r->advisory_ids[k], id) == 0)
				break;
		if (k < r->n_advisories)
			continue;
		if (r->n_advisories == VOUCH_MAX_ADVISORIES)
			return VOUCH_E_LIMIT;
		memcpy(r->advisory_ids[r->n_advisories++], id, sizeof id);
	}
	return j.err;
}
