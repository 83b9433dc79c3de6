/* Journal benchmark.
 *  - durable appends/s through vouchd's socket (JournalAppend, sim) with 1, 16 and 64 concurrent clients,
 *    against the floor a durable append cannot beat: the disk's fsync rate, measured in the same directory in
 *    the same run (group commit shares one fsync among the appends waiting together);
 *  - audit rate: a journal of N entries (default 1,000,000, checkpoints every 1,000) built with the library,
 *    then recomputed as `vouch journal audit` does, against two floors: the SHA-256 work (one leaf hash and on
 *    average one node hash per entry) and reading the entries from SQLite without hashing;
 *  - the inclusion proof's size at N entries, binary and as vouchd's JSON gives it.
 *
 *   bench_journal [--vouchd PATH] [--seconds S] [--entries N]
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "bench_util.h"
#include "loadgen.h"
#include "vouch/journal.h"
#include "vouch/journal_store.h"
#include "vouch/keys.h"
#include "vouch/merkle.h"

/* fdatasync of a 4 KiB page rewrite (a WAL frame), per second */
static double fsync_rate(const char *dir, double seconds)
{
	char path[256];
	snprintf(path, sizeof path, "%s/fsync-probe", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	static char page[4096];
	long n = 0;
	double t0 = now_s();
	while (fd >= 0 && now_s() - t0 < seconds) {
		page[n % 4096]++;
		if (pwrite(fd, page, sizeof page, (off_t)(n % 64) * 4096) != (ssize_t)sizeof page || fdatasync(fd))
			break;
		n++;
	}
	double rate = (double)n / (now_s() - t0);
	if (fd >= 0)
		close(fd);
	unlink(path);
	return rate;
}

/* commits and appends from vouchd's closing log line "journal: N appends in M commits" */
static void commits_from_log(const char *log, long *appends, long *commits)
{
	FILE *f = fopen(log, "r");
	char line[512];
	*appends = *commits = 0;
	while (f && fgets(line, sizeof line, f)) {
		const char *p = strstr(line, "journal: ");
		if (p)
			sscanf(p, "journal: %ld appends in %ld commits", appends, commits);
	}
	if (f)
		fclose(f);
}

static const uint8_t KEY[32] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
				9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};

/* A journal of n entries written with the library (what vouchd stores), checkpoints every 1,000. */
static int build_db(const char *path, uint64_t n, vouch_journal_info *info, vouch_merkle_mem *tree)
{
	char msg[256];
	vouch_journal_store *s;
	vouch_derived_key k;
	if (vouch_journal_store_open(&s, path, 0, msg, sizeof msg)) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	vouch_get_key(&k, KEY, "vouch/journal/default", 21, "journal", 7, VOUCH_ALG_SECP256K1);
	snprintf(info->name, sizeof info->name, "default");
	memcpy(info->public_key, k.pub, 33);
	vouch_journal_id(info->id, k.pub, "default", 7);
	info->created_ms = 1764000000000ull;
	int e = vouch_journal_store_add_journal(s, info) || vouch_journal_store_begin(s);
	for (uint64_t i = 0; !e && i < n; i++) {
		char payload[160];
		int len = snprintf(payload, sizeof payload,
				   "{\"text\":\"statement %llu of the agent, about a hundred bytes of it\",\"reply_to\":%llu}",
				   (unsigned long long)i, (unsigned long long)(i / 3));
		vouch_journal_entry en = {.seq = i, .time_ms = 1764000000000ull + i, .kind = "post", .kind_len = 4,
					  .payload_json = 1, .payload = (const uint8_t *)payload, .payload_len = (size_t)len};
		uint8_t h[32];
		e = vouch_journal_leaf_hash(h, &en) || vouch_journal_store_put_entry(s, "default", &en, h) ||
		    vouch_merkle_mem_append(tree, h);
		if (!e && (i + 1) % 1000 == 0) {
			vouch_journal_checkpoint c = {.tree_size = i + 1, .time_ms = 1764000000000ull + i};
			memcpy(c.journal_id, info->id, 32);
			e = vouch_merkle_root(c.root, i + 1, vouch_merkle_mem_get, tree) || vouch_journal_checkpoint_sign(&c, k.key) ||
			    vouch_journal_store_put_checkpoint(s, "default", &c);
		}
		if (!e && (i + 1) % 100000 == 0)
			e = vouch_journal_store_commit(s) || vouch_journal_store_begin(s);
	}
	if (!e)
		e = vouch_journal_store_commit(s);
	vouch_journal_store_close(s);
	return e;
}

static int feed_cp(void *ctx, const vouch_journal_checkpoint *c)
{
	return vouch_journal_audit_checkpoint(ctx, c);
}

static int feed_entry(void *ctx, const vouch_journal_entry *e, const uint8_t h[32])
{
	return vouch_journal_audit_entry(ctx, e, h);
}

static int count_entry(void *ctx, const vouch_journal_entry *e, const uint8_t h[32])
{
	(void)e, (void)h;
	(*(uint64_t *)ctx)++;
	return 0;
}

int main(int argc, char **argv)
{
	const char *vouchd = VOUCH_VOUCHD_BIN;
	double seconds = 3;
	uint64_t entries = 1000000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--vouchd") && i + 1 < argc)
			vouchd = argv[++i];
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--entries") && i + 1 < argc)
			entries = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: bench_journal [--vouchd PATH] [--seconds S] [--entries N]\n");
			return 64;
		}
	}
	char dir[] = "/tmp/vouch-bench-journal-XXXXXX", state[96], run[96], log[128], db[128];
	if (vouchd_dirs(dir, state, run))
		return 1;
	snprintf(log, sizeof log, "%s/vouchd.log", dir);
	snprintf(db, sizeof db, "%s/audit.db", dir);
	char date[32];
	time_t now = time(NULL);
	strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
	printf("journal benchmark, %s, %ld CPUs, state in %s\n\n", date, sysconf(_SC_NPROCESSORS_ONLN), dir);

	/* durable appends */
	double fs = fsync_rate(dir, 1.0);
	printf("fsync floor: %.0f fdatasync/s of a 4 KiB page in this directory (%.0f us each)\n\n", fs, 1e6 / fs);
	char *const args[] = {"--tee", "sim", "--state-dir", state, "--listen-dir", run, "-v", NULL};
	static const char body[] = "{\"kind\":\"post\",\"payload\":{\"text\":\"a statement of the agent, about a hundred "
				   "bytes long, as a post would be\",\"n\":1}}";
	printf("%-24s %10s %9s %9s %10s %16s\n", "JournalAppend", "appends/s", "p50 us", "p99 us", "per commit",
	       "x fsync floor");
	int clients_list[] = {1, 16, 64};
	for (int k = 0; k < 3; k++) {
		/* a fresh vouchd per line, so that its closing log line counts this line's commits */
		pid_t pid = start_vouchd(vouchd, args, log);
		if (pid < 0)
			return 1;
		struct load_result r = load("JournalAppend", body, clients_list[k], seconds, 0);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		long appends, commits;
		commits_from_log(log, &appends, &commits);
		printf("%2d client%s, back to back %9.0f %9.0f %9.0f %10.1f %16.2f%s\n", clients_list[k],
		       clients_list[k] == 1 ? " " : "s", r.rate, r.p50 * 1e6, r.p99 * 1e6,
		       commits ? (double)appends / (double)commits : 0, r.rate / fs, r.errors ? "  ERRORS" : "");
	}
	printf("x fsync floor = appends/s over fdatasync/s: above 1, commits are shared (group commit)\n\n");

	/* audit */
	vouch_journal_info info;
	vouch_merkle_mem tree;
	vouch_merkle_mem_init(&tree);
	double t0 = now_s();
	if (build_db(db, entries, &info, &tree)) {
		fprintf(stderr, "building the journal failed\n");
		return 1;
	}
	printf("audit of %llu entries (built in %.1f s)\n", (unsigned long long)entries, now_s() - t0);
	char msg[256];
	vouch_journal_store *s;
	vouch_journal_audit *a = calloc(1, sizeof *a);
	double best_audit = 1e9, best_scan = 1e9;
	for (int round = 0; round < 3; round++) {
		vouch_journal_store_open(&s, db, 1, msg, sizeof msg);
		t0 = now_s();
		vouch_journal_audit_init(a, &info);
		vouch_journal_store_checkpoints(s, "default", 0, UINT64_MAX, feed_cp, a);
		vouch_journal_store_scan(s, "default", 0, UINT64_MAX, feed_entry, a);
		vouch_journal_audit_finish(a);
		double t = now_s() - t0;
		if (a->err || a->size != entries) {
			fprintf(stderr, "audit failed: %s\n", a->msg);
			return 1;
		}
		best_audit = t < best_audit ? t : best_audit;
		vouch_journal_audit_free(a);
		uint64_t counted = 0;
		t0 = now_s();
		vouch_journal_store_scan(s, "default", 0, UINT64_MAX, count_entry, &counted);
		t = now_s() - t0;
		best_scan = t < best_scan ? t : best_scan;
		vouch_journal_store_close(s);
	}
	/* SHA-256 floor: a leaf (about 140 bytes with its prefix) and a node (65 bytes) per entry */
	uint8_t leaf[141] = {0}, node[65] = {1}, h[32];
	long n = 0;
	t0 = now_s();
	while (now_s() - t0 < 1.0)
		for (int i = 0; i < 1000; i++, n++) {
			leaf[1] = (uint8_t)n;
			SHA256(leaf, sizeof leaf, h);
			SHA256(node, sizeof node, node + 1);
		}
	double sha_rate = (double)n / (now_s() - t0);
	double audit_rate = (double)entries / best_audit, scan_rate = (double)entries / best_scan;
	printf("  audit:                 %10.0f entries/s (%.2f s; best of 3; %llu checkpoints verified)\n", audit_rate,
	       best_audit, (unsigned long long)(entries / 1000));
	printf("  floor, SHA-256 only:   %10.0f entries/s (x floor %.2f)\n", sha_rate, sha_rate / audit_rate);
	printf("  floor, SQLite read:    %10.0f entries/s (x floor %.2f)\n", scan_rate, scan_rate / audit_rate);

	/* proof size at N */
	uint8_t path[VOUCH_MERKLE_MAX_PROOF][32], root[32];
	size_t len;
	uint64_t m = entries / 3;
	vouch_merkle_inclusion_proof(path, &len, m, tree.size, vouch_merkle_mem_get, &tree);
	vouch_merkle_root(root, tree.size, vouch_merkle_mem_get, &tree);
	int ok = vouch_merkle_verify_inclusion(tree.level[0][m], m, tree.size, (const uint8_t(*)[32])path, len, root);
	printf("\ninclusion proof at %llu entries: %zu hashes, %zu bytes binary, %zu bytes as JSON hex (%s)\n",
	       (unsigned long long)entries, len, len * 32, len * 67 + 1, ok ? "verified" : "DID NOT VERIFY");
	printf("\nGoals: >= 50,000 appends/s at 16 clients; audit >= 200,000 entries/s; proof <= 1 KiB at 1M entries\n");
	vouch_merkle_mem_free(&tree);
	free(a);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 && ok ? 0 : 1;
}
