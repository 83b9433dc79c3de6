/* vouch — a simulated Intel-style platform with a real PKI.
 *
 * Where no TEE exists (development, tests, CI), vouch does not patch report data into a captured quote:
 * it generates its own PKI shaped like Intel's — root CA, PCK platform CA, PCK leaf carrying the SGX
 * extension (FMSPC, PCE-ID, TCB, PPID), TCB signing certificate, CRLs — and a QE attestation key, then
 * emits real-format quotes and the matching signed collateral (TCB info, QE identity). Those go through
 * exactly the verification path of Intel's; only the root differs, so every verdict says simulated.
 *
 * The configuration can make the platform OutOfDate, revoked, or anything a negative test needs.
 * Names in every certificate say "vouch simulated"; none can be mistaken for Intel's.
 */
#ifndef VOUCH_SIM_H
#define VOUCH_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/dcap.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vouch_sim_config {
	int64_t now;                       /* certificates valid from now − 1 day for 10 years; TCB info and QE
					      identity issued at now − 1 hour, CRLs at now − 30 minutes; every
					      next update at now + 30 days */
	uint8_t fmspc[6];
	uint8_t pceid[2];
	uint16_t pcesvn;                   /* the PCK certificate's */
	uint8_t cpusvn[16];                /* the PCK certificate's */
	uint8_t tee_tcb_svn[16];           /* the TD's: [0] module ISVSVN, [1] module major version */
	uint16_t qe_isvsvn;
	vouch_tcb_status platform_status;  /* of the TCB level this platform matches */
	const char *advisory_ids;          /* comma-separated, of that level; NULL for none */
	vouch_tcb_status qe_status;
	int revoke_pck;                    /* list the PCK leaf's serial in the PCK CRL */
} vouch_sim_config;

/* Defaults: FMSPC 00906ED50000, PCE-ID 0000, PCESVN 13, CPUSVN 04 04 03 03 ff ff 00…, TEE_TCB_SVN
 * 03 01 02 00…, QE ISVSVN 4, UpToDate everywhere, nothing revoked. */
void vouch_sim_config_default(vouch_sim_config *c, int64_t now);

typedef struct vouch_sim vouch_sim;

/* Generates the PKI and keys. Returns 0, VOUCH_E_CRYPTO or VOUCH_E_NOMEM. */
int vouch_sim_new(vouch_sim **out, const vouch_sim_config *c);
void vouch_sim_free(vouch_sim *s);

/* Saves the simulator in dir (created 0700 if needed): sim.json (configuration and identity), sim-keys.pem
 * (its private keys, 0600), sim-certs.pem and sim-root.der, each written atomically. Returns 0 or VOUCH_E_IO. */
int vouch_sim_save(const vouch_sim *s, const char *dir);

/* Loads what vouch_sim_save wrote. Returns 0, VOUCH_E_IO (missing or unreadable: errno), or
 * VOUCH_E_COLLATERAL with a message (inconsistent or malformed files). */
int vouch_sim_load(vouch_sim **out, const char *dir, char *msg, size_t msg_cap);

/* Dates collateral and CRLs made from now on (the certificates keep theirs). */
void vouch_sim_set_time(vouch_sim *s, int64_t now);

/* The configuration the simulator was made with (advisory_ids is NULL here). */
const vouch_sim_config *vouch_sim_config_of(const vouch_sim *s);

/* The root certificate (DER), valid as long as s. */
vouch_bytes vouch_sim_root(const vouch_sim *s);

/* The collateral of the simulated platform for TDX (tdx = 1) or SGX quotes (owned by *out;
 * vouch_collateral_src_free). */
int vouch_sim_collateral(vouch_collateral_src *out, const vouch_sim *s, int tdx);

/* What goes into a simulated TD report. */
typedef struct vouch_sim_td {
	uint16_t version;             /* quote version 4 or 5 */
	vouch_body_type body;         /* VOUCH_BODY_TD10, or VOUCH_BODY_TD15 (v5 only) */
	uint8_t mr_td[48];
	uint8_t rtmr[4][48];
	uint8_t mr_config_id[48], mr_owner[48], mr_owner_config[48];
	uint8_t mr_seam[48], mr_signer_seam[48], seam_attributes[8];
	uint8_t td_attributes[8];
	uint8_t xfam[8];
	uint8_t mr_service_td[48];    /* TD 1.5 */
	uint8_t report_data[64];
} vouch_sim_td;

/* A v4 TD 1.0 report with SEPT_VE_DISABLE set, XFAM e7 02 06 00…, everything else zero. */
void vouch_sim_td_default(vouch_sim_td *td);

/* A signed TDX quote (TEE_TCB_SVN from the configuration). Writes up to cap bytes; *len gets the size.
 * Returns 0, VOUCH_E_LIMIT (cap too small) or VOUCH_E_CRYPTO. */
int vouch_sim_tdx_quote(uint8_t *out, size_t cap, size_t *len, const vouch_sim *s, const vouch_sim_td *td);

/* A signed SGX v3 quote for an enclave with these attributes (16 bytes; NULL for non-debug defaults),
 * MRENCLAVE, MRSIGNER and report data (any may be NULL for zeros). */
int vouch_sim_sgx_quote(uint8_t *out, size_t cap, size_t *len, const vouch_sim *s, const uint8_t *attributes,
			const uint8_t *mr_enclave, const uint8_t *mr_signer, const uint8_t *report_data);

#ifdef __cplusplus
}
#endif
#endif
