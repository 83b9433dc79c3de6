/* vouch key PATH: the public side of an app key held by vouchd — public key, Ethereum or Solana address,
 * and its signature chain, checked. The private key never leaves vouchd: this asks for a signature and
 * reads the key from it, so it works for sign-only paths too. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "rpc.h"
#include "vouch/keys.h"
#include "vouch/util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: vouch key PATH [--purpose P] [--algorithm secp256k1|ed25519] [--listen-dir DIR] [--json]\n"
		   "  the public key of vouchd's key at PATH (dstack GetKey derivation), with its address:\n"
		   "  Ethereum for secp256k1, Solana for ed25519; the signature chain is checked: link0 must\n"
		   "  recover the app's root key over PURPOSE \":\" hex(public key). PURPOSE defaults to \"signing\".\n");
}

static int hex_field(json_t *o, const char *name, uint8_t *out, size_t cap, size_t *len)
{
	json_t *v = json_object_get(o, name);
	return json_is_string(v) && vouch_hex_decode(out, cap, len, json_string_value(v), json_string_length(v)) == 0;
}

int cmd_key(int argc, char **argv)
{
	static const struct option opts[] = {{"purpose", required_argument, 0, 'p'}, {"algorithm", required_argument, 0, 'a'},
					     {"listen-dir", required_argument, 0, 'l'}, {"json", no_argument, 0, 'j'},
					     {"help", no_argument, 0, 'h'},             {0}};
	const char *purpose = "signing", *algorithm = "secp256k1", *listen = NULL;
	int c, json = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': purpose = optarg; break;
		case 'a': algorithm = optarg; break;
		case 'l': listen = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	vouch_key_alg alg;
	if (optind != argc - 1 || vouch_key_alg_parse(&alg, algorithm, strlen(algorithm), 0)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *path = argv[optind];
	json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "algorithm", algorithm, "data", "766f756368", "path", path,
				"purpose", purpose);
	json_t *resp = rpc_call(listen, "dstack.sock", "Sign", req, "key");
	json_decref(req);
	if (!resp)
		return EXIT_UNAVAILABLE;
	uint8_t pub[65], link0[65], link1[65], sig[64];
	size_t pub_len, l0, l1, sl;
	json_t *chain = json_object_get(resp, "signature_chain");
	json_t *tmp = json_pack("{s:O, s:O, s:O}", "l0", json_array_get(chain, 1), "l1", json_array_get(chain, 2), "s",
				json_object_get(resp, "signature"));
	int ok = hex_field(resp, "public_key", pub, sizeof pub, &pub_len) && hex_field(tmp, "l0", link0, 65, &l0) &&
		 l0 == 65 && hex_field(tmp, "l1", link1, 65, &l1) && hex_field(tmp, "s", sig, 64, &sl) && sl == 64;
	json_decref(tmp);
	json_decref(resp);
	if (!ok) {
		errorf("key", "vouchd's Sign response is not as expected");
		return EXIT_INVALID;
	}
	/* the key is the one that signed, and link0 ties it to the root */
	if (vouch_key_verify(alg, pub, pub_len, sig, 64, (const uint8_t *)"vouch", 5) != 1) {
		errorf("key", "the signature does not verify under the returned key");
		return EXIT_INVALID;
	}
	char claim[512], hexpub[131], root_hex[67] = "", addr[64] = "";
	uint8_t digest[32], root[33];
	vouch_hex_encode(hexpub, pub, pub_len);
	snprintf(claim, sizeof claim, "%s:%s", purpose, hexpub);
	vouch_keccak256(digest, claim, strlen(claim));
	int chain_ok = vouch_secp256k1_recover(root, link0, digest) == 0;
	if (chain_ok)
		vouch_hex_encode(root_hex, root, 33);
	if (alg == VOUCH_ALG_SECP256K1) {
		uint8_t a[20];
		if (vouch_eth_address(a, pub, pub_len) == 0)
			vouch_eth_address_text(addr, a);
	} else {
		vouch_base58(addr, sizeof addr, pub, pub_len);
	}
	const char *kind = alg == VOUCH_ALG_SECP256K1 ? "ethereum" : "solana";
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "path", path, "purpose", purpose,
				      "algorithm", alg == VOUCH_ALG_SECP256K1 ? "secp256k1" : "ed25519", "public_key",
				      hexpub, "address_kind", kind, "address", addr, "app_root_public_key",
				      root_hex, "kms_link", l1 != 0);
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
		json_decref(o);
	} else {
		printf("path         %s (purpose \"%s\")\n", path, purpose);
		printf("algorithm    %s\n", alg == VOUCH_ALG_SECP256K1 ? "secp256k1" : "ed25519");
		printf("public key   %s\n", hexpub);
		printf("%-12s %s\n", kind, addr);
		printf("app root     %s (recovered from the signature chain)\n", root_hex);
		printf("KMS link     %s\n", l1 ? "present" : "none (no KMS: the app root is self-generated)");
	}
	return chain_ok ? 0 : EXIT_INVALID;
}
