/* vouch journal: append, show, tail, checkpoint and export talk to a running vouchd; verify and audit
 * (cmd_journal_check.c) need nothing but their input. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "journal_cli.h"
#include "rpc.h"
#include "verify_common.h"
#include "vouch/err.h"
#include "vouch/journal_bundle.h"
#include "vouch/sim.h"
#include "vouch/util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vouch journal <verb> [options]\n"
		"  append KIND [JSON]       append an entry: JSON payload (argument or stdin), or --text STR,\n"
		"                           --hex HEX, --file FILE (bytes); --client-time MS\n"
		"  show SEQ                 one entry\n"
		"  tail [-n N] [-f]         the last N entries (default 10); -f: keep printing new ones\n"
		"  checkpoint [--now]       the latest signed checkpoint (--now: make one first); keep it to\n"
		"                           detect a fork later (vouch journal audit --checkpoint FILE)\n"
		"  export --seq N [-o FILE] a proof bundle for entry N: entry, inclusion proof, signed checkpoint,\n"
		"                           attestation of the journal key, collateral (--collateral FILE,\n"
		"                           --sim-state DIR for vouchd --tee=sim, else fetched: --pccs, --cache-dir,\n"
		"                           --offline); --nonce HEX for a fresh attestation\n"
		"  verify BUNDLE            verify a bundle offline, step by step (vouch journal verify --help)\n"
		"  audit DB|URL             recompute a journal from its database file or from vouchd's public\n"
		"                           listener (http://host:port) and check every checkpoint\n"
		"common: --journal NAME (default \"default\"), --listen-dir DIR, --json\n"
		"exit: 0 ok, 2 verification or audit failed, 64 usage, 66 unreadable input, 69 vouchd unreachable\n");
}

static void print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s)
		puts(s);
	free(s);
}

static void print_entry(json_t *e)
{
	time_t t = (time_t)(json_integer_value(json_object_get(e, "time_ms")) / 1000);
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	json_t *payload = json_object_get(e, "payload");
	char *p = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	int bytes = !strcmp(json_string_value(json_object_get(e, "payload_type")) ?: "", "bytes");
	printf("%6lld  %s  %-12s %s%s\n", (long long)json_integer_value(json_object_get(e, "seq")), when,
	       json_string_value(json_object_get(e, "kind")), bytes ? "0x" : "", bytes ? json_string_value(payload) : p);
	free(p);
}

struct common {
	const char *journal, *listen;
	int json;
};

static json_t *call(const struct common *c, const char *method, json_t *body, const char *verb)
{
	if (c->journal)
		json_object_set_new(body, "journal", json_string(c->journal));
	json_t *r = rpc_call(c->listen, "dstack.sock", method, body, verb);
	json_decref(body);
	return r;
}

static int append(struct common *c, int argc, char **argv, const char *text, const char *hex, const char *file,
		  const char *client_time)
{
	if (argc < 1 || argc > 2 || (argc == 2) + !!text + !!hex + !!file > 1) {
		errorf("journal append", "give KIND and one payload: JSON (argument or stdin), --text, --hex or --file");
		return EXIT_USAGE;
	}
	json_t *body = json_pack("{s:s}", "kind", argv[0]);
	if (text) {
		json_object_set_new(body, "payload", json_string(text));
	} else if (hex) {
		json_object_set_new(body, "payload_hex", json_string(hex));
	} else if (file) {
		size_t n;
		uint8_t *b = read_file(file, VOUCH_JOURNAL_PAYLOAD_MAX, &n);
		char *h = b ? malloc(2 * n + 1) : NULL;
		if (!h) {
			free(b);
			json_decref(body);
			return EXIT_NOINPUT;
		}
		vouch_hex_encode(h, b, n);
		json_object_set_new(body, "payload_hex", json_string(h));
		free(h);
		free(b);
	} else {
		size_t n;
		uint8_t *b = argc == 2 ? (uint8_t *)strdup(argv[1]) : read_file("-", VOUCH_JOURNAL_PAYLOAD_MAX, &n);
		json_error_t je;
		json_t *v = b ? json_loads((const char *)b, JSON_DECODE_ANY, &je) : NULL;
		free(b);
		if (!v) {
			errorf("journal append", "the payload is not JSON (%s); for plain text use --text", je.text);
			json_decref(body);
			return EXIT_USAGE;
		}
		json_object_set_new(body, "payload", v);
	}
	if (client_time) {
		char *end;
		long long t = strtoll(client_time, &end, 10);
		if (*end || end == client_time) {
			errorf("journal append", "--client-time: Unix milliseconds expected");
			json_decref(body);
			return EXIT_USAGE;
		}
		json_object_set_new(body, "client_time_ms", json_integer(t));
	}
	json_t *r = call(c, "JournalAppend", body, "journal append");
	if (!r)
		return EXIT_UNAVAILABLE;
	if (c->json)
		print_json(r);
	else
		printf("appended: journal %s, seq %lld, leaf %s\n", json_string_value(json_object_get(r, "journal")),
		       (long long)json_integer_value(json_object_get(r, "seq")),
		       json_string_value(json_object_get(r, "leaf_hash")));
	json_decref(r);
	return 0;
}

/* Prints entries; *printed gets how many, *size the journal's size. */
static int show_entries(struct common *c, json_t *body, const char *verb, uint64_t *printed, uint64_t *size)
{
	json_t *r = call(c, "JournalGet", body, verb);
	if (!r)
		return EXIT_UNAVAILABLE;
	json_t *entries = json_object_get(r, "entries"), *e;
	size_t i;
	json_array_foreach(entries, i, e)
	{
		if (c->json)
			print_json(e);
		else
			print_entry(e);
	}
	if (printed)
		*printed = json_array_size(entries);
	if (size)
		*size = (uint64_t)json_integer_value(json_object_get(r, "size"));
	fflush(stdout);
	json_decref(r);
	return 0;
}

static int journal_size(struct common *c, uint64_t *size)
{
	json_t *r = call(c, "JournalList", json_object(), "journal tail"), *j;
	size_t i;
	if (!r)
		return EXIT_UNAVAILABLE;
	int found = 0;
	json_array_foreach(json_object_get(r, "journals"), i, j)
	{
		if (!strcmp(json_string_value(json_object_get(j, "name")), c->journal ? c->journal : "default")) {
			*size = (uint64_t)json_integer_value(json_object_get(j, "size"));
			found = 1;
		}
	}
	json_decref(r);
	if (!found)
		errorf("journal tail", "no journal named %s", c->journal ? c->journal : "default");
	return found ? 0 : EXIT_INVALID;
}

static int tail(struct common *c, uint64_t n, int follow)
{
	uint64_t size, from;
	int rc = journal_size(c, &size);
	if (rc)
		return rc;
	from = size > n ? size - n : 0;
	for (;;) {
		while (from < size) {
			uint64_t got;
			if ((rc = show_entries(c, json_pack("{s:I, s:I}", "from", (json_int_t)from, "count", (json_int_t)1000),
					       "journal tail", &got, &size)))
				return rc;
			if (got == 0)
				break;
			from += got;
		}
		if (!follow)
			return 0;
		struct timespec t = {0, 500000000L};
		nanosleep(&t, NULL);
		if ((rc = journal_size(c, &size)))
			return rc;
	}
}

static int checkpoint(struct common *c, int now)
{
	json_t *r = call(c, "JournalCheckpoint", json_pack("{s:b}", "now", now), "journal checkpoint");
	if (!r)
		return EXIT_UNAVAILABLE;
	if (c->json) {
		print_json(r);
	} else {
		json_t *cp = json_object_get(r, "checkpoint");
		printf("journal     %s\nid          %s\nkey         %s\nsize        %lld\nroot        %s\n"
		       "time_ms     %lld\nsignature   %s\n",
		       json_string_value(json_object_get(json_object_get(r, "journal"), "name")),
		       json_string_value(json_object_get(cp, "journal_id")),
		       json_string_value(json_object_get(json_object_get(r, "journal"), "public_key")),
		       (long long)json_integer_value(json_object_get(cp, "tree_size")),
		       json_string_value(json_object_get(cp, "root")), (long long)json_integer_value(json_object_get(cp, "time_ms")),
		       json_string_value(json_object_get(cp, "signature")));
	}
	json_decref(r);
	return 0;
}

/* The bundle's event log: boot events as register and digest, runtime events whole. */
static json_t *bundle_log(const char *text)
{
	json_t *log = json_loads(text, 0, NULL), *e;
	size_t i;
	json_array_foreach(log, i, e)
	{
		if (json_integer_value(json_object_get(e, "event_type")) == 0x08000001)
			continue;
		json_object_set_new(e, "event_type", json_integer(0));
		json_object_set_new(e, "event", json_string(""));
		json_object_set_new(e, "event_payload", json_string(""));
	}
	return log;
}

static int export_bundle(struct common *c, uint64_t seq, const char *out, const char *nonce, const char *sim_state,
			 struct verify_args *va)
{
	const char *verb = "journal export";
	/* a checkpoint that covers the entry: the latest, or one made now if it does not (or there is none yet) */
	json_t *list = call(c, "JournalList", json_object(), verb), *j;
	size_t i;
	int covered = 0;
	json_array_foreach(json_object_get(list, "journals"), i, j)
		if (!strcmp(json_string_value(json_object_get(j, "name")) ?: "", c->journal ? c->journal : "default"))
			covered = (uint64_t)json_integer_value(json_object_get(json_object_get(j, "checkpoint"), "tree_size")) > seq;
	json_decref(list);
	json_t *cp = list ? call(c, "JournalCheckpoint", json_pack("{s:b}", "now", !covered), verb) : NULL;
	json_t *entry = cp ? call(c, "JournalGet", json_pack("{s:I}", "seq", (json_int_t)seq), verb) : NULL;
	json_int_t size = json_integer_value(json_object_get(json_object_get(cp, "checkpoint"), "tree_size"));
	json_t *proof = entry ? call(c, "JournalProve", json_pack("{s:I, s:I}", "seq", (json_int_t)seq, "tree_size", size), verb)
			      : NULL;
	json_t *att = proof ? call(c, "JournalAttestation", json_pack("{s:s}", "nonce", nonce ? nonce : ""), verb) : NULL;
	int rc = att ? 0 : EXIT_UNAVAILABLE;
	/* the collateral its quote verifies with */
	uint8_t quote[1u << 16];
	size_t qlen = 0;
	vouch_collateral_src coll;
	const char *qhex = json_string_value(json_object_get(att, "quote"));
	if (!rc && (!qhex || vouch_hex_decode(quote, sizeof quote, &qlen, qhex, strlen(qhex)))) {
		errorf(verb, "vouchd's attestation has no readable quote");
		rc = EXIT_INVALID;
	}
	if (!rc && sim_state) {
		vouch_sim *s;
		char msg[512];
		int e = vouch_sim_load(&s, sim_state, msg, sizeof msg);
		if (!e) {
			vouch_sim_set_time(s, (int64_t)time(NULL));
			e = vouch_sim_collateral(&coll, s, 1);
			vouch_sim_free(s);
			if (e)
				snprintf(msg, sizeof msg, "%s", vouch_strerror(e));
		}
		if (e) {
			errorf(verb, "--sim-state %s: %s", sim_state, msg);
			rc = EXIT_NOINPUT;
		}
	} else if (!rc) {
		int none;
		va->now = (int64_t)time(NULL);
		int r = obtain_collateral(va, quote, qlen, &coll, &none);
		if (r >= 0 || r == -2 || none)
			rc = r >= 0 ? r : EXIT_UNAVAILABLE;
	}
	if (!rc) {
		char *coll_text = vouch_collateral_to_json(&coll);
		vouch_collateral_src_free(&coll);
		json_t *inc = json_pack("{s:O, s:O, s:O}", "leaf_index", json_object_get(proof, "leaf_index"), "tree_size",
					json_object_get(proof, "tree_size"), "path", json_object_get(proof, "path"));
		json_t *a = json_pack("{s:O, s:O, s:o}", "quote", json_object_get(att, "quote"), "nonce",
				      json_object_get(att, "nonce"), "event_log",
				      bundle_log(json_string_value(json_object_get(att, "event_log"))));
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		json_t *cj = coll_text ? json_loads(coll_text, 0, NULL) : NULL;
		json_object_set_new(cj, "pck_crl_issuer_chain", json_string("")); /* unused: see journal_bundle.h */
		json_t *b = json_pack("{s:s, s:O, s:O, s:O, s:o, s:o, s:o, s:I}", "format", VOUCH_JOURNAL_BUNDLE_FORMAT,
				      "journal", json_object_get(att, "journal"), "entry",
				      json_array_get(json_object_get(entry, "entries"), 0), "checkpoint",
				      json_object_get(proof, "checkpoint"), "inclusion", inc, "attestation", a, "collateral",
				      cj ? cj : json_null(), "exported_ms",
				      (json_int_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
		free(coll_text);
		char *s = b ? json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(b);
		if (!s) {
			rc = EXIT_INVALID;
		} else {
			size_t n = strlen(s);
			s[n] = '\n'; /* json_dumps left room: its NUL */
			rc = write_file(out ? out : "-", s, n + 1) ? EXIT_NOINPUT : 0;
			if (!rc && out && !c->json)
				fprintf(stderr, "vouch journal export: entry %llu of journal %s with a checkpoint of %lld entries "
						"-> %s (%zu bytes)\n", (unsigned long long)seq, c->journal ? c->journal : "default",
					(long long)size, out, n + 1);
			free(s);
		}
	}
	json_decref(cp);
	json_decref(entry);
	json_decref(proof);
	json_decref(att);
	return rc;
}

int cmd_journal(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	const char *verb = argv[1];
	if (!strcmp(verb, "verify"))
		return cmd_journal_verify(argc - 1, argv + 1);
	if (!strcmp(verb, "audit"))
		return cmd_journal_audit(argc - 1, argv + 1);
	static const struct option opts[] = {
		{"journal", required_argument, 0, 'J'}, {"listen-dir", required_argument, 0, 'l'},
		{"json", no_argument, 0, 'j'},          {"text", required_argument, 0, 't'},
		{"hex", required_argument, 0, 'x'},     {"file", required_argument, 0, 'F'},
		{"client-time", required_argument, 0, 'T'}, {"now", no_argument, 0, 'N'},
		{"seq", required_argument, 0, 's'},     {"output", required_argument, 0, 'o'},
		{"nonce", required_argument, 0, 'c'},   {"sim-state", required_argument, 0, 'S'},
		VERIFY_COLLATERAL_OPTIONS,              {"follow", no_argument, 0, 'f'},        {"help", no_argument, 0, 'h'},
		{0}};
	struct common c = {0};
	struct verify_args va = {0};
	const char *text = NULL, *hex = NULL, *file = NULL, *client_time = NULL, *out = NULL, *nonce = NULL, *sim = NULL;
	uint64_t n = 10, seq = 0;
	int now = 0, follow = 0, have_seq = 0, ch;
	optind = 1;
	while ((ch = getopt_long(argc - 1, argv + 1, "n:o:fh", opts, NULL)) != -1) {
		if (verify_option(&va, ch, optarg, "journal"))
			continue; /* the collateral options: none can fail */
		switch (ch) {
		case 'J': c.journal = optarg; break;
		case 'l': c.listen = optarg; break;
		case 'j': c.json = 1; break;
		case 't': text = optarg; break;
		case 'x': hex = optarg; break;
		case 'F': file = optarg; break;
		case 'T': client_time = optarg; break;
		case 'N': now = 1; break;
		case 's': seq = strtoull(optarg, NULL, 10), have_seq = 1; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'o': out = optarg; break;
		case 'c': nonce = optarg; break;
		case 'S': sim = optarg; break;
		case 'f': follow = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	int rest = argc - 1 - optind;
	char **args = argv + 1 + optind;
	if (!strcmp(verb, "append"))
		return append(&c, rest, args, text, hex, file, client_time);
	if (!strcmp(verb, "show")) {
		if (rest != 1) {
			errorf("journal show", "give the entry's SEQ");
			return EXIT_USAGE;
		}
		return show_entries(&c, json_pack("{s:I}", "seq", (json_int_t)strtoull(args[0], NULL, 10)), "journal show", NULL,
				    NULL);
	}
	if (!strcmp(verb, "tail") && rest == 0)
		return tail(&c, n, follow);
	if (!strcmp(verb, "checkpoint") && rest == 0)
		return checkpoint(&c, now);
	if (!strcmp(verb, "export") && rest == 0) {
		if (!have_seq) {
			errorf("journal export", "give --seq N");
			return EXIT_USAGE;
		}
		return export_bundle(&c, seq, out, nonce, sim, &va);
	}
	usage(stderr);
	return EXIT_USAGE;
}
