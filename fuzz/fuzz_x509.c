/* DER certificates, CRLs, the SGX extension and PEM chains. */
#include "chain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cert c;
	crl l;
	sgx_ext e;
	if (cert_parse(&c, data, size) == 0) {
		sgx_ext_parse(&e, c.sgx_ext);
		char cn[64];
		name_cn(cn, sizeof cn, c.subject);
	}
	if (crl_parse(&l, data, size) == 0)
		crl_lists(&l, span_of(data, size > 20 ? 20 : size));
	sgx_ext_parse(&e, span_of(data, size));
	static cert_chain ch;
	char msg[128];
	chain_load(&ch, (const char *)data, size, msg, sizeof msg);
	return 0;
}
