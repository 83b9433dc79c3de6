/* The verification cache behind a vouch_collateral handle: the collateral parsed once, and the signatures
 * that were verified in it. Only verify.c and collateral.c look inside. */
#ifndef VOUCH_COLLATERAL_H
#define VOUCH_COLLATERAL_H

#include "chain.h"
#include "tcbinfo.h"
#include "vouch/dcap.h"

#define PART_MSG 160

/* One parsed part and, if it failed, why (memoised: parsing is deterministic). */
struct vouch_collateral {
	vouch_collateral_src src; /* borrowed pointers */
	int parsed;
	int crl_err;
	char crl_msg[PART_MSG];
	crl crls[2];              /* [0] root CA CRL, [1] PCK CRL */
	int tcb_err;
	char tcb_msg[PART_MSG];
	tcb_info tcb;
	int tcb_chain_err;
	char tcb_chain_msg[PART_MSG];
	cert_chain tcb_chain;
	int qe_err;
	char qe_msg[PART_MSG];
	qe_identity qe;
	int qe_chain_err;
	char qe_chain_msg[PART_MSG];
	cert_chain qe_chain;
	int pck_chain_err;        /* only when src.pck_certificate_chain is set */
	char pck_chain_msg[PART_MSG];
	cert_chain pck_chain;
	sigcache cache;
	keycache keys;
	cert_chain quote_chain;   /* scratch: the PCK chain of the quote being verified */
};

/* Parses every part once; later calls do nothing. */
void collateral_parse(struct vouch_collateral *c);

/* Empties a handle (nothing parsed, nothing cached) for src, keeping its memory. */
void collateral_reset(struct vouch_collateral *c, const vouch_collateral_src *src);

#endif
