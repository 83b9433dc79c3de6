/* vouch — one error model for the whole library.
 *
 * Every function that can fail returns an int: 0 on success or a negative vouch_err. Codes are grouped by
 * module (hundreds). vouch_strerror() gives a fixed English sentence for a code; where a verifier knows
 * more (which certificate, which date), it writes a precise message into the caller's verdict as well.
 * Messages never contain secret material.
 */
#ifndef VOUCH_ERR_H
#define VOUCH_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

enum vouch_err {
	VOUCH_OK = 0,

	/* general */
	VOUCH_E_ARG = -1,             /* caller error: NULL pointer, bad size, bad option */
	VOUCH_E_NOMEM = -2,
	VOUCH_E_IO = -3,              /* a file could not be read or written */
	VOUCH_E_LIMIT = -4,           /* input larger than a documented limit */
	VOUCH_E_HEX = -5,             /* not valid hex */
	VOUCH_E_BASE64 = -6,
	VOUCH_E_PEM = -7,             /* no certificate in a PEM text, or a malformed block */
	VOUCH_E_JSON = -8,            /* malformed JSON, or a field with the wrong type */
	VOUCH_E_CRYPTO = -9,          /* the crypto library failed (not a verification failure) */
	VOUCH_E_TIME = -10,           /* a date that does not parse */

	/* quote decoding (step 1 of verification: "Failed to decode quote") */
	VOUCH_E_QUOTE_TRUNCATED = -100,   /* a field runs past the end of the data */
	VOUCH_E_QUOTE_VERSION = -101,     /* version is not 3, 4 or 5 */
	VOUCH_E_QUOTE_TEE_TYPE = -102,    /* TEE type not allowed for the version */
	VOUCH_E_QUOTE_BODY_TYPE = -103,   /* v5 body type not 1, 2 or 3, or not agreeing with the TEE type */
	VOUCH_E_QUOTE_BODY_SIZE = -104,   /* v5 body size not 384/584/648 for its type */
	VOUCH_E_QUOTE_FIELD_SIZE = -105,  /* a length field over 1 MiB or not consumed exactly by its parent */
	VOUCH_E_QUOTE_CERT_TYPE = -106,   /* v4/v5 outer certification data type is not 6 */
	/* quote header policy (step 1) */
	VOUCH_E_QUOTE_QE_VENDOR = -110,   /* QE vendor id is not Intel's */
	VOUCH_E_QUOTE_TEE_VERSION = -111, /* SGX quote not v3, or TDX quote not v4/v5 */
	VOUCH_E_QUOTE_KEY_TYPE = -112,    /* attestation key type is not 2 (ECDSA P-256) */
	VOUCH_E_QUOTE_QE_AUTH = -113,     /* QE authentication data is not 32 bytes */
	VOUCH_E_QUOTE_PCK_FORMAT = -114,  /* certification data is not a type-5 PCK chain */

	/* DER, X.509, CRL, chains */
	VOUCH_E_DER = -200,                /* malformed DER */
	VOUCH_E_CERT_PARSE = -201,         /* certificate outside the supported profile */
	VOUCH_E_CERT_ALGORITHM = -202,     /* not ECDSA P-256 with SHA-256 */
	VOUCH_E_CERT_CRITICAL_EXT = -203,  /* an unknown critical extension */
	VOUCH_E_CERT_NOT_YET_VALID = -204,
	VOUCH_E_CERT_EXPIRED = -205,
	VOUCH_E_CERT_CA_AS_LEAF = -206,    /* a CA certificate used as the end entity */
	VOUCH_E_CERT_LEAF_AS_CA = -207,    /* an end-entity certificate used as an issuer */
	VOUCH_E_CERT_PATHLEN = -208,
	VOUCH_E_CERT_EKU = -209,
	VOUCH_E_CERT_UNKNOWN_ISSUER = -210, /* no certificate in the chain or anchor names the issuer */
	VOUCH_E_CERT_SIGNATURE = -211,     /* a certificate signature does not verify */
	VOUCH_E_CERT_REVOKED = -212,
	VOUCH_E_CHAIN_TOO_SHORT = -213,    /* an empty chain */
	VOUCH_E_CHAIN_TOO_LONG = -214,
	VOUCH_E_CHAIN_EXTRA = -215,        /* a certificate in a chain is neither on the path nor the trust anchor */
	VOUCH_E_CRL_PARSE = -220,          /* CRL outside the supported profile */
	VOUCH_E_CRL_UNKNOWN = -221,        /* no CRL from the certificate's issuer: revocation status unknown */
	VOUCH_E_CRL_SIGNATURE = -222,
	VOUCH_E_CRL_EXPIRED = -223,        /* now >= nextUpdate */
	VOUCH_E_CRL_NOT_YET_VALID = -224,  /* now < thisUpdate */
	VOUCH_E_CRL_KEY_USAGE = -225,      /* the CRL issuer may not sign CRLs */
	VOUCH_E_ROOT_REVOKED = -226,       /* the trust anchor is listed in its own CRL */
	VOUCH_E_ROOT_PARSE = -227,         /* the trust anchor does not parse */
	VOUCH_E_PCK_EXTENSION = -228,      /* the Intel SGX extension of the PCK leaf is missing or malformed */

	/* collateral: TCB info and QE identity */
	VOUCH_E_COLLATERAL = -300,          /* a collateral field is missing or malformed */
	VOUCH_E_TCB_INFO_PARSE = -301,
	VOUCH_E_TCB_INFO_FUTURE = -302,
	VOUCH_E_TCB_INFO_EXPIRED = -303,
	VOUCH_E_TCB_INFO_CHAIN = -304,
	VOUCH_E_TCB_INFO_SIGNATURE = -305,
	VOUCH_E_TCB_INFO_MISMATCH = -306,   /* TCB info is for the other TEE type */
	VOUCH_E_QE_ID_PARSE = -310,
	VOUCH_E_QE_ID_FUTURE = -311,
	VOUCH_E_QE_ID_EXPIRED = -312,
	VOUCH_E_QE_ID_CHAIN = -313,
	VOUCH_E_QE_ID_SIGNATURE = -314,
	VOUCH_E_QE_ID_MISMATCH = -315,      /* QE identity id/version not for this quote's TEE type */
	VOUCH_E_PCK_CHAIN = -320,           /* the PCK chain does not verify (cause in the message) */

	/* verification of the quote itself */
	VOUCH_E_QE_REPORT_SIGNATURE = -400,
	VOUCH_E_QE_REPORT_HASH = -401,      /* the QE report does not bind the attestation key */
	VOUCH_E_QE_MRSIGNER = -402,
	VOUCH_E_QE_DEBUG = -403,
	VOUCH_E_QE_ISVPRODID = -404,
	VOUCH_E_QE_MISCSELECT = -405,
	VOUCH_E_QE_ATTRIBUTES = -406,
	VOUCH_E_QE_TCB_NO_LEVELS = -407,
	VOUCH_E_QE_ISVSVN = -408,           /* QE ISVSVN below every level */
	VOUCH_E_QUOTE_SIGNATURE = -409,     /* "ISV enclave report signature is invalid" */
	VOUCH_E_FMSPC_MISMATCH = -410,
	VOUCH_E_SGX_COMPONENTS = -411,      /* a TCB level without exactly 16 SGX components */
	VOUCH_E_TDX_COMPONENTS = -412,
	VOUCH_E_NO_TCB_LEVEL = -413,        /* "No matching TCB level found" */
	VOUCH_E_TDX_MODULE_MISSING = -414,
	VOUCH_E_TDX_MODULE_ID = -415,       /* no tdxModuleIdentities entry for the module version */
	VOUCH_E_TDX_MODULE_MRSIGNER = -416,
	VOUCH_E_TDX_MODULE_ATTRIBUTES = -417,
	VOUCH_E_TDX_MODULE_ISVSVN = -418,
	VOUCH_E_TCB_REVOKED = -419,         /* final TCB status Revoked */
	VOUCH_E_DEBUG = -420,               /* the enclave or TD is in debug mode */
	VOUCH_E_TD_RESERVED = -421,         /* reserved TD attribute bits set */
	VOUCH_E_SEPT_VE = -422,             /* SEPT_VE_DISABLE is not set */
	VOUCH_E_SERVICE_TD = -423,          /* MRSERVICETD is not zero and not allowed */
	VOUCH_E_PCEID_MISMATCH = -424,      /* PCK PCE-ID differs from the TCB info pceId */
	VOUCH_E_QE_REPORT_DATA = -425,      /* QE REPORTDATA[32..64] is not zero */

	/* event logs and dstack attestations */
	VOUCH_E_EVENTLOG = -500,            /* malformed event log */
	VOUCH_E_EVENT_DIGEST = -501,        /* a runtime event's digest does not match its name and payload */
	VOUCH_E_RTMR_MISMATCH = -502,       /* replayed RTMRs differ from the quote */
	VOUCH_E_SCALE = -503,               /* malformed SCALE attestation */
	VOUCH_E_ATTEST_VERSION = -504,      /* attestation variant not supported */
	VOUCH_E_REPORT_DATA = -505,         /* report data differs between quote and attestation */

	/* collateral fetch */
	VOUCH_E_FETCH = -600,               /* the PCS/PCCS request failed */
	VOUCH_E_FETCH_HTTP = -601,          /* the server answered with an error status */
	VOUCH_E_FETCH_FORMAT = -602,        /* the response is not in PCS format */
	VOUCH_E_OFFLINE = -603,             /* collateral not cached and the network is forbidden */

	/* journal */
	VOUCH_E_JOURNAL_FORMAT = -700,      /* malformed journal entry, checkpoint, proof or bundle */
	VOUCH_E_JOURNAL_ENTRY = -701,       /* an entry does not hash to its leaf */
	VOUCH_E_JOURNAL_INCLUSION = -702,   /* the inclusion proof does not lead to the checkpoint's root */
	VOUCH_E_JOURNAL_SIGNATURE = -703,   /* a checkpoint is not signed by the journal's key */
	VOUCH_E_JOURNAL_BINDING = -704,     /* the journal's key is not the one the quote binds */
	VOUCH_E_JOURNAL_EXPECT = -705,      /* a measurement differs from what the verifier expects */
	VOUCH_E_JOURNAL_CONSISTENCY = -706, /* two checkpoints cannot both be true (a fork) */
	VOUCH_E_JOURNAL_TAMPERED = -707,    /* the journal's store does not reproduce its checkpoints */
	VOUCH_E_JOURNAL_STORE = -708,       /* the journal's database cannot be read or written */

	/* signed answers (receipt.h) */
	VOUCH_E_RECEIPT = -800,             /* a signed answer does not verify: the failed step says why */
};

/* A static, English description of an error code. Never NULL; unknown codes give "unknown error". */
const char *vouch_strerror(int err);

/* The enum name of an error code ("VOUCH_E_CRL_EXPIRED"), for JSON output and tests. Never NULL. */
const char *vouch_errname(int err);

#ifdef __cplusplus
}
#endif
#endif
