/* vouch — collateral from Intel PCS (API v4) or a PCCS, with an on-disk cache.
 *
 * The fetcher reads the quote's PCK certificate (type-5 chain) for the FMSPC and the issuing CA (Platform
 * or Processor), then asks the server for the PCK CRL, the root CA CRL, the TCB info and the QE identity
 * of the quote's TEE type (endpoints: spec §3). The tcbInfo / enclaveIdentity texts are cut out of the
 * responses byte for byte, because the signatures cover those exact bytes.
 *
 * Cache: one file per (server, TEE type, FMSPC, CA) in dcap-qvl's collateral JSON, written atomically;
 * an entry is used while `now` is before its earliest nextUpdate, then fetched again. Offline mode only
 * reads the cache (an expired entry is returned as is: verification then reports what expired).
 */
#ifndef VOUCH_FETCH_H
#define VOUCH_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/dcap.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VOUCH_INTEL_PCS_URL "https://api.trustedservices.intel.com"
#define VOUCH_INTEL_ROOT_CRL_URL "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"

typedef struct vouch_fetch_opts {
	const char *pccs_url;  /* NULL: Intel PCS. A trailing "/sgx/certification/v4" or "/tdx/…" is stripped */
	const char *cache_dir; /* NULL: no cache; created (0700) when missing */
	int offline;           /* never touch the network */
	int64_t now;           /* for cache freshness */
	long timeout_s;        /* per request; 0 means 30 */
} vouch_fetch_opts;

typedef enum vouch_fetch_source {
	VOUCH_FETCH_NETWORK = 1,
	VOUCH_FETCH_CACHE = 2,        /* fresh cache entry */
	VOUCH_FETCH_CACHE_STALE = 3,  /* expired cache entry, returned because offline */
	VOUCH_FETCH_NETWORK_UNCACHED = 4, /* fetched, but the cache file could not be written */
} vouch_fetch_source;

/* Obtains collateral for a binary quote. On success *out owns its data (vouch_collateral_src_free) and
 * *source says where it came from. Returns 0 or:
 *   - before any request, when the quote gives no platform to fetch for: VOUCH_E_QUOTE_* (it does not decode
 *     or carries no type-5 PCK chain), a PEM/DER/certificate error of that chain, or VOUCH_E_PCK_EXTENSION;
 *   - VOUCH_E_OFFLINE, VOUCH_E_NOMEM;
 *   - VOUCH_E_FETCH (no answer, a redirect off the server's scheme/host/port, more than 5 redirects),
 *     VOUCH_E_FETCH_HTTP (a status other than 200) or VOUCH_E_FETCH_FORMAT (an answer that is not collateral:
 *     an empty body, a CRL that does not parse, a TCB info / QE identity without its object or signature),
 *     with a message that names the URL.
 * Redirects are followed only to the same scheme, host and port as the URL requested. */
int vouch_collateral_fetch(vouch_collateral_src *out, vouch_fetch_source *source, const uint8_t *quote, size_t len,
			   const vouch_fetch_opts *opts, char *msg, size_t msg_cap);

/* The default cache directory: $XDG_CACHE_HOME/vouch, else $HOME/.cache/vouch. Writes into buf; returns
 * buf, or NULL when neither variable is set. */
const char *vouch_default_cache_dir(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
