/* Error names and messages; one row per code of include/vouch/err.h (test_err checks they agree). */
#include "vouch/err.h"
#include <stddef.h>

static const struct { int code; const char *name; const char *msg; } table[] = {
	{VOUCH_OK, "VOUCH_OK", "success"},
	{VOUCH_E_ARG, "VOUCH_E_ARG", "invalid argument"},
	{VOUCH_E_NOMEM, "VOUCH_E_NOMEM", "out of memory"},
	{VOUCH_E_IO, "VOUCH_E_IO", "input/output error"},
	{VOUCH_E_LIMIT, "VOUCH_E_LIMIT", "input exceeds a size limit"},
	{VOUCH_E_HEX, "VOUCH_E_HEX", "invalid hex"},
	{VOUCH_E_BASE64, "VOUCH_E_BASE64", "invalid base64"},
	{VOUCH_E_PEM, "VOUCH_E_PEM", "invalid PEM certificate list"},
	{VOUCH_E_JSON, "VOUCH_E_JSON", "invalid JSON"},
	{VOUCH_E_CRYPTO, "VOUCH_E_CRYPTO", "crypto library failure"},
	{VOUCH_E_TIME, "VOUCH_E_TIME", "invalid date"},
	{VOUCH_E_QUOTE_TRUNCATED, "VOUCH_E_QUOTE_TRUNCATED", "Failed to decode quote: not enough data"},
	{VOUCH_E_QUOTE_VERSION, "VOUCH_E_QUOTE_VERSION", "Failed to decode quote: unsupported quote version"},
	{VOUCH_E_QUOTE_TEE_TYPE, "VOUCH_E_QUOTE_TEE_TYPE", "Failed to decode quote: invalid TEE type"},
	{VOUCH_E_QUOTE_BODY_TYPE, "VOUCH_E_QUOTE_BODY_TYPE", "Failed to decode quote: unsupported body type"},
	{VOUCH_E_QUOTE_BODY_SIZE, "VOUCH_E_QUOTE_BODY_SIZE", "Failed to decode quote: body size does not match the body type"},
	{VOUCH_E_QUOTE_FIELD_SIZE, "VOUCH_E_QUOTE_FIELD_SIZE", "Failed to decode quote: inconsistent length field"},
	{VOUCH_E_QUOTE_CERT_TYPE, "VOUCH_E_QUOTE_CERT_TYPE", "Failed to decode quote: certification data is not QE report certification data (type 6)"},
	{VOUCH_E_QUOTE_QE_VENDOR, "VOUCH_E_QUOTE_QE_VENDOR", "Unknown QE vendor ID"},
	{VOUCH_E_QUOTE_TEE_VERSION, "VOUCH_E_QUOTE_TEE_VERSION", "quote version does not fit its TEE type"},
	{VOUCH_E_QUOTE_KEY_TYPE, "VOUCH_E_QUOTE_KEY_TYPE", "Unsupported DCAP attestation key type"},
	{VOUCH_E_QUOTE_QE_AUTH, "VOUCH_E_QUOTE_QE_AUTH", "Invalid QE auth data length"},
	{VOUCH_E_QUOTE_PCK_FORMAT, "VOUCH_E_QUOTE_PCK_FORMAT", "Unsupported DCAP PCK cert format"},
	{VOUCH_E_DER, "VOUCH_E_DER", "malformed DER"},
	{VOUCH_E_CERT_PARSE, "VOUCH_E_CERT_PARSE", "certificate outside the supported profile"},
	{VOUCH_E_CERT_ALGORITHM, "VOUCH_E_CERT_ALGORITHM", "unsupported signature or key algorithm"},
	{VOUCH_E_CERT_CRITICAL_EXT, "VOUCH_E_CERT_CRITICAL_EXT", "unknown critical certificate extension"},
	{VOUCH_E_CERT_NOT_YET_VALID, "VOUCH_E_CERT_NOT_YET_VALID", "certificate not yet valid"},
	{VOUCH_E_CERT_EXPIRED, "VOUCH_E_CERT_EXPIRED", "certificate expired"},
	{VOUCH_E_CERT_CA_AS_LEAF, "VOUCH_E_CERT_CA_AS_LEAF", "CA certificate used as end entity"},
	{VOUCH_E_CERT_LEAF_AS_CA, "VOUCH_E_CERT_LEAF_AS_CA", "end-entity certificate used as CA"},
	{VOUCH_E_CERT_PATHLEN, "VOUCH_E_CERT_PATHLEN", "path length constraint exceeded"},
	{VOUCH_E_CERT_EKU, "VOUCH_E_CERT_EKU", "extended key usage does not allow this use"},
	{VOUCH_E_CERT_UNKNOWN_ISSUER, "VOUCH_E_CERT_UNKNOWN_ISSUER", "certificate issuer not found"},
	{VOUCH_E_CERT_SIGNATURE, "VOUCH_E_CERT_SIGNATURE", "certificate signature invalid"},
	{VOUCH_E_CERT_REVOKED, "VOUCH_E_CERT_REVOKED", "certificate revoked"},
	{VOUCH_E_CHAIN_TOO_SHORT, "VOUCH_E_CHAIN_TOO_SHORT", "certificate chain is too short"},
	{VOUCH_E_CHAIN_TOO_LONG, "VOUCH_E_CHAIN_TOO_LONG", "certificate chain is too long"},
	{VOUCH_E_CHAIN_EXTRA, "VOUCH_E_CHAIN_EXTRA", "a certificate in the chain is neither on the path nor the trust anchor"},
	{VOUCH_E_CRL_PARSE, "VOUCH_E_CRL_PARSE", "Failed to parse CRL"},
	{VOUCH_E_CRL_UNKNOWN, "VOUCH_E_CRL_UNKNOWN", "unknown revocation status"},
	{VOUCH_E_CRL_SIGNATURE, "VOUCH_E_CRL_SIGNATURE", "CRL signature invalid"},
	{VOUCH_E_CRL_EXPIRED, "VOUCH_E_CRL_EXPIRED", "CRL expired"},
	{VOUCH_E_CRL_NOT_YET_VALID, "VOUCH_E_CRL_NOT_YET_VALID", "CRL not yet valid"},
	{VOUCH_E_CRL_KEY_USAGE, "VOUCH_E_CRL_KEY_USAGE", "CRL issuer key usage does not allow cRLSign"},
	{VOUCH_E_ROOT_REVOKED, "VOUCH_E_ROOT_REVOKED", "root CA revoked"},
	{VOUCH_E_ROOT_PARSE, "VOUCH_E_ROOT_PARSE", "trust anchor does not parse"},
	{VOUCH_E_PCK_EXTENSION, "VOUCH_E_PCK_EXTENSION", "invalid Intel SGX extension in the PCK certificate"},
	{VOUCH_E_COLLATERAL, "VOUCH_E_COLLATERAL", "invalid collateral"},
	{VOUCH_E_TCB_INFO_PARSE, "VOUCH_E_TCB_INFO_PARSE", "Failed to decode TcbInfo"},
	{VOUCH_E_TCB_INFO_FUTURE, "VOUCH_E_TCB_INFO_FUTURE", "TCBInfo issue date is in the future"},
	{VOUCH_E_TCB_INFO_EXPIRED, "VOUCH_E_TCB_INFO_EXPIRED", "TCBInfo expired"},
	{VOUCH_E_TCB_INFO_CHAIN, "VOUCH_E_TCB_INFO_CHAIN", "Failed to verify TCB Info issuer chain"},
	{VOUCH_E_TCB_INFO_SIGNATURE, "VOUCH_E_TCB_INFO_SIGNATURE", "Signature is invalid for tcb_info in quote_collateral"},
	{VOUCH_E_TCB_INFO_MISMATCH, "VOUCH_E_TCB_INFO_MISMATCH", "TCB info is for another TEE type"},
	{VOUCH_E_QE_ID_PARSE, "VOUCH_E_QE_ID_PARSE", "Failed to decode QeIdentity"},
	{VOUCH_E_QE_ID_FUTURE, "VOUCH_E_QE_ID_FUTURE", "QE Identity issue date is in the future"},
	{VOUCH_E_QE_ID_EXPIRED, "VOUCH_E_QE_ID_EXPIRED", "QE Identity expired"},
	{VOUCH_E_QE_ID_CHAIN, "VOUCH_E_QE_ID_CHAIN", "Failed to verify QE Identity issuer chain"},
	{VOUCH_E_QE_ID_SIGNATURE, "VOUCH_E_QE_ID_SIGNATURE", "Signature is invalid for qe_identity in quote_collateral"},
	{VOUCH_E_QE_ID_MISMATCH, "VOUCH_E_QE_ID_MISMATCH", "Unsupported QE Identity id/version for the quote TEE type"},
	{VOUCH_E_PCK_CHAIN, "VOUCH_E_PCK_CHAIN", "Failed to verify certificate chain"},
	{VOUCH_E_QE_REPORT_SIGNATURE, "VOUCH_E_QE_REPORT_SIGNATURE", "Signature is invalid for qe_report in quote"},
	{VOUCH_E_QE_REPORT_HASH, "VOUCH_E_QE_REPORT_HASH", "QE report hash mismatch"},
	{VOUCH_E_QE_MRSIGNER, "VOUCH_E_QE_MRSIGNER", "QE MRSIGNER mismatch"},
	{VOUCH_E_QE_DEBUG, "VOUCH_E_QE_DEBUG", "QE report validation failed: Debug mode is enabled"},
	{VOUCH_E_QE_ISVPRODID, "VOUCH_E_QE_ISVPRODID", "QE ISVPRODID mismatch"},
	{VOUCH_E_QE_MISCSELECT, "VOUCH_E_QE_MISCSELECT", "QE MISCSELECT mismatch"},
	{VOUCH_E_QE_ATTRIBUTES, "VOUCH_E_QE_ATTRIBUTES", "QE ATTRIBUTES mismatch"},
	{VOUCH_E_QE_TCB_NO_LEVELS, "VOUCH_E_QE_TCB_NO_LEVELS", "No TCB levels found in QE Identity"},
	{VOUCH_E_QE_ISVSVN, "VOUCH_E_QE_ISVSVN", "QE ISVSVN is below minimum required from QE Identity"},
	{VOUCH_E_QUOTE_SIGNATURE, "VOUCH_E_QUOTE_SIGNATURE", "ISV enclave report signature is invalid"},
	{VOUCH_E_FMSPC_MISMATCH, "VOUCH_E_FMSPC_MISMATCH", "Fmspc mismatch"},
	{VOUCH_E_SGX_COMPONENTS, "VOUCH_E_SGX_COMPONENTS", "SGX component count mismatch"},
	{VOUCH_E_TDX_COMPONENTS, "VOUCH_E_TDX_COMPONENTS", "TDX component count mismatch"},
	{VOUCH_E_NO_TCB_LEVEL, "VOUCH_E_NO_TCB_LEVEL", "No matching TCB level found"},
	{VOUCH_E_TDX_MODULE_MISSING, "VOUCH_E_TDX_MODULE_MISSING", "TDX TCB Info is missing tdxModule field"},
	{VOUCH_E_TDX_MODULE_ID, "VOUCH_E_TDX_MODULE_ID", "No TDX module identity found in TCB Info"},
	{VOUCH_E_TDX_MODULE_MRSIGNER, "VOUCH_E_TDX_MODULE_MRSIGNER", "TDX module MRSIGNER mismatch"},
	{VOUCH_E_TDX_MODULE_ATTRIBUTES, "VOUCH_E_TDX_MODULE_ATTRIBUTES", "TDX module SEAMATTRIBUTES mismatch"},
	{VOUCH_E_TDX_MODULE_ISVSVN, "VOUCH_E_TDX_MODULE_ISVSVN", "TDX module ISVSVN is below minimum required from TDX module TCB levels"},
	{VOUCH_E_TCB_REVOKED, "VOUCH_E_TCB_REVOKED", "TCB status is invalid: Revoked"},
	{VOUCH_E_DEBUG, "VOUCH_E_DEBUG", "Debug mode is enabled"},
	{VOUCH_E_TD_RESERVED, "VOUCH_E_TD_RESERVED", "Reserved bits in TD attributes are set"},
	{VOUCH_E_SEPT_VE, "VOUCH_E_SEPT_VE", "SEPT_VE_DISABLE is not enabled"},
	{VOUCH_E_SERVICE_TD, "VOUCH_E_SERVICE_TD", "Invalid MR service TD"},
	{VOUCH_E_PCEID_MISMATCH, "VOUCH_E_PCEID_MISMATCH", "PCE ID mismatch"},
	{VOUCH_E_QE_REPORT_DATA, "VOUCH_E_QE_REPORT_DATA", "QE report data padding is not zero"},
	{VOUCH_E_EVENTLOG, "VOUCH_E_EVENTLOG", "malformed event log"},
	{VOUCH_E_EVENT_DIGEST, "VOUCH_E_EVENT_DIGEST", "event digest does not match its content"},
	{VOUCH_E_RTMR_MISMATCH, "VOUCH_E_RTMR_MISMATCH", "replayed RTMR does not match the quote"},
	{VOUCH_E_SCALE, "VOUCH_E_SCALE", "malformed SCALE attestation"},
	{VOUCH_E_ATTEST_VERSION, "VOUCH_E_ATTEST_VERSION", "unsupported attestation format"},
	{VOUCH_E_REPORT_DATA, "VOUCH_E_REPORT_DATA", "report data mismatch"},
	{VOUCH_E_FETCH, "VOUCH_E_FETCH", "collateral fetch failed"},
	{VOUCH_E_FETCH_HTTP, "VOUCH_E_FETCH_HTTP", "collateral server returned an error"},
	{VOUCH_E_FETCH_FORMAT, "VOUCH_E_FETCH_FORMAT", "collateral response is not in PCS format"},
	{VOUCH_E_OFFLINE, "VOUCH_E_OFFLINE", "collateral not in cache and network access is disabled"},
	{VOUCH_E_JOURNAL_FORMAT, "VOUCH_E_JOURNAL_FORMAT", "malformed journal entry, checkpoint, proof or bundle"},
	{VOUCH_E_JOURNAL_ENTRY, "VOUCH_E_JOURNAL_ENTRY", "journal entry does not hash to its leaf"},
	{VOUCH_E_JOURNAL_INCLUSION, "VOUCH_E_JOURNAL_INCLUSION", "inclusion proof does not lead to the checkpoint root"},
	{VOUCH_E_JOURNAL_SIGNATURE, "VOUCH_E_JOURNAL_SIGNATURE", "checkpoint not signed by the journal key"},
	{VOUCH_E_JOURNAL_BINDING, "VOUCH_E_JOURNAL_BINDING", "journal key not bound by the quote"},
	{VOUCH_E_JOURNAL_EXPECT, "VOUCH_E_JOURNAL_EXPECT", "measurement differs from the expected value"},
	{VOUCH_E_JOURNAL_CONSISTENCY, "VOUCH_E_JOURNAL_CONSISTENCY", "inconsistent checkpoints (fork)"},
	{VOUCH_E_JOURNAL_TAMPERED, "VOUCH_E_JOURNAL_TAMPERED", "journal store does not reproduce its checkpoints"},
	{VOUCH_E_JOURNAL_STORE, "VOUCH_E_JOURNAL_STORE", "journal database error"},
	{VOUCH_E_RECEIPT, "VOUCH_E_RECEIPT", "the signed answer does not verify"},
};

static int find(int err)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].code == err)
			return (int)i;
	return -1;
}

const char *vouch_strerror(int err)
{
	int i = find(err);
	return i < 0 ? "unknown error" : table[i].msg;
}

const char *vouch_errname(int err)
{
	int i = find(err);
	return i < 0 ? "VOUCH_E_UNKNOWN" : table[i].name;
}
