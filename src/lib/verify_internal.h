/* The verification pass shared by verify.c (the order, steps 0–8, 11 and the extra checks) and tcblevel.c
 * (steps 7, 9 and 10: QE identity policy, TCB levels, TDX module identity, status merging). */
#ifndef VOUCH_VERIFY_INTERNAL_H
#define VOUCH_VERIFY_INTERNAL_H

#include "collateral.h"

typedef struct vctx {
	vouch_verdict *v;
	const vouch_verify_opts *o;
	struct vouch_collateral *c; /* NULL: no collateral */
	int64_t now;
	cert anchor;
	chain_ctx cx;
	const cert *pck_leaf;
	sgx_ext ext;
	char msg[PART_MSG];
} vctx;

/* Record a check's outcome. fail() also sets the verdict's error ("<check>: <detail>") and returns err. */
void pass(vctx *x, vouch_check_id id, const char *note);
void skip(vctx *x, vouch_check_id id, const char *why);
void na(vctx *x, vouch_check_id id, const char *why);
int fail(vctx *x, vouch_check_id id, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* step 7: QE identity policy and QE TCB level */
int step_qe_policy(vctx *x);
/* step 9: FMSPC, TCB info type, TCB level, TDX module identity */
int step_platform_tcb(vctx *x);
/* step 10: the final status (platform merged with QE) */
void merge_status(vctx *x);

#endif
