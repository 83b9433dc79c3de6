/* TCB info (v3, SGX and TDX) and QE identity (v2) as dcap-qvl decodes them (spec §2 steps 2–3). Strings
 * stay as spans into the signed text; nothing is allocated. */
#ifndef VOUCH_TCBINFO_H
#define VOUCH_TCBINFO_H

#include "internal.h"
#include "vouch/dcap.h"

#define MAX_TCB_LEVELS 128
#define MAX_MODULE_IDS 16
#define MAX_MODULE_LEVELS 32
#define MAX_QE_LEVELS 64

typedef struct tcb_level {
	uint8_t sgx[16];
	uint8_t tdx[16];
	unsigned n_sgx, n_tdx; /* counts as written (checked when matching, as dcap-qvl does) */
	uint16_t pcesvn;
	vouch_tcb_status status;
	span advisories;       /* the advisoryIDs array text, empty if absent */
} tcb_level;

typedef struct isvsvn_level { /* QE identity and TDX module levels */
	uint16_t isvsvn;
	vouch_tcb_status status;
	span advisories;
} isvsvn_level;

typedef struct module_identity {
	span id;               /* raw JSON string, e.g. TDX_01 */
	uint8_t mrsigner[48];
	uint8_t attributes[8], attributes_mask[8];
	isvsvn_level levels[MAX_MODULE_LEVELS];
	unsigned n_levels;
} module_identity;

typedef struct tcb_info {
	span id;               /* "SGX" or "TDX" */
	unsigned version;
	int64_t issue_date, next_update;
	uint8_t fmspc[6];
	span pce_id;           /* raw string; hex of the 2-byte PCE ID */
	uint32_t tcb_type, tcb_eval_num;
	int has_module;
	uint8_t module_mrsigner[48], module_attributes[8], module_attributes_mask[8];
	module_identity modules[MAX_MODULE_IDS];
	unsigned n_modules;
	tcb_level levels[MAX_TCB_LEVELS]; /* sorted canonically (descending) after parsing */
	unsigned n_levels;
} tcb_info;

typedef struct qe_identity {
	span id;               /* "QE", "TD_QE", … */
	unsigned version;
	int64_t issue_date, next_update;
	uint32_t tcb_eval_num;
	uint8_t miscselect[4], miscselect_mask[4];
	uint8_t attributes[16], attributes_mask[16];
	uint8_t mrsigner[32];
	uint16_t isvprodid;
	isvsvn_level levels[MAX_QE_LEVELS]; /* in JSON order */
	unsigned n_levels;
} qe_identity;

/* 1 for a TCB info that carries TDX components (version >= 3 and id "TDX"). */
int tcb_info_is_tdx(const tcb_info *t);

/* Parse; return 0 or VOUCH_E_TCB_INFO_PARSE / VOUCH_E_QE_ID_PARSE with a reason in msg. */
int tcb_info_parse(tcb_info *out, const char *text, size_t len, char *msg, size_t cap);
int qe_identity_parse(qe_identity *out, const char *text, size_t len, char *msg, size_t cap);

/* Appends the advisory IDs of a level (an advisoryIDs array text) to r, skipping ones already present.
 * Returns 0 or VOUCH_E_LIMIT. */
int advisories_merge(vouch_tcb_result *r, span advisories);

#endif
