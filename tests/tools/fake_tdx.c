/* fake_tdx: the kernel's side of a TDX guest's files, in a directory tree, for testing vouchd's tdx backend
 * where there is no TDX hardware. It plays, as the kernel documents them:
 *   sys/kernel/config/tsm/report/         configfs-tsm: a new entry gets provider ("tdx_guest"), generation,
 *                                         inblob and outblob; a write to inblob is committed when the file is
 *                                         closed: a quote over it appears in outblob and generation moves on
 *   sys/devices/virtual/misc/tdx_guest/measurements/rtmr3:sha384
 *                                         writing 48 bytes extends RTMR3 (a FIFO here, so that writes
 *                                         arrive whole and in order, as the kernel's synchronous write does)
 *   sys/firmware/acpi/tables/data/CCEL    the boot event log (TCG, SHA-384)
 * The TD's registers start as those of the dstack simulator fixture's quote (MRTD, RTMR0–2 replayed from its
 * real boot events, RTMR3 zero); its quotes are signed by a simulated Intel-style PKI saved in --state, so
 * `vouch verify --collateral <(vouch sim collateral --state-dir STATE) --root STATE/sim-root.der` checks them.
 *
 *   fake_tdx --root DIR --state DIR --attestation attestation.bin [--ioctl]
 * --ioctl leaves out the measurement files and puts a plain file at dev/tdx_guest (an ioctl on it fails as
 * it would on a kernel without the extend ioctl). Prints "ready" once the tree is in place; runs until
 * SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "vouch/dstack.h"
#include "vouch/eventlog.h"
#include "vouch/quote.h"
#include "vouch/sim.h"
#include "vouch/util.h"

#define MAX_ENTRIES 16

static const char *root;
static vouch_sim *sim;
static vouch_sim_td td;
static int ino, fifo = -1, reports_wd;
static struct {
	int wd, dirty;
	char *dir;
} entries[MAX_ENTRIES];
static volatile sig_atomic_t stop;

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "fake_tdx: %s: %s\n", what, strerror(errno));
	exit(1);
}

static char *path(const char *a, const char *b)
{
	char *p;
	if (asprintf(&p, "%s/%s", a, b) < 0)
		die("asprintf");
	return p;
}

/* Replaces a file's content the way a reader never sees half of it. */
static void put(const char *dir, const char *name, const void *data, size_t len)
{
	char *p = path(dir, name);
	if (vouch_file_write_atomic(p, data, len, 0644))
		die(p);
	free(p);
}

static void mkdirs(const char *rel)
{
	char *p = path(root, rel);
	if (vouch_mkdirs(p, 0755))
		die(p);
	free(p);
}

static void on_new_entry(const char *name)
{
	int i = 0;
	while (i < MAX_ENTRIES && entries[i].dir)
		i++;
	if (i == MAX_ENTRIES)
		return;
	char *base = path(root, "sys/kernel/config/tsm/report");
	entries[i].dir = path(base, name);
	free(base);
	entries[i].wd = inotify_add_watch(ino, entries[i].dir, IN_MODIFY | IN_CLOSE_WRITE);
	if (entries[i].wd < 0)
		die(entries[i].dir);
	put(entries[i].dir, "generation", "0\n", 2);
	put(entries[i].dir, "inblob", "", 0);
	put(entries[i].dir, "outblob", "", 0);
	put(entries[i].dir, "provider", "tdx_guest\n", 10); /* last: the entry is ready */
}

static void drain_extends(void)
{
	uint8_t d[48];
	while (fifo >= 0 && read(fifo, d, 48) == 48) {
		uint8_t buf[96];
		memcpy(buf, td.rtmr[3], 48);
		memcpy(buf + 48, d, 48);
		SHA384(buf, 96, td.rtmr[3]);
	}
}

static void on_commit(int i)
{
	char *in = path(entries[i].dir, "inblob"), *gen_path = path(entries[i].dir, "generation"), text[32];
	uint8_t *rd, *q = malloc(16384);
	size_t n, qlen = 0;
	if (vouch_file_read(in, 64, &rd, &n))
		die(in);
	memset(td.report_data, 0, 64);
	memcpy(td.report_data, rd, n);
	drain_extends(); /* every extend written before the inblob write is in */
	if (!q || vouch_sim_tdx_quote(q, 16384, &qlen, sim, &td))
		die("quote");
	put(entries[i].dir, "outblob", q, qlen);
	FILE *f = fopen(gen_path, "r");
	unsigned long long g = 0;
	if (!f || fscanf(f, "%llu", &g) != 1)
		die(gen_path);
	fclose(f);
	int len = snprintf(text, sizeof text, "%llu\n", g + 1);
	put(entries[i].dir, "generation", text, (size_t)len);
	free(q);
	free(rd);
	free(in);
	free(gen_path);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The TD: registers from the fixture's quote, RTMR0–2 as its boot events replay, and a CCEL of them. */
static void make_td(const char *attestation)
{
	uint8_t *b, *ccel;
	size_t n, len;
	vouch_attestation a;
	vouch_eventlog log;
	vouch_quote q;
	char msg[256];
	if (vouch_file_read(attestation, 1u << 20, &b, &n))
		die(attestation);
	if (vouch_attestation_decode(&a, b, n) || vouch_attestation_eventlog(&log, &a) ||
	    vouch_quote_parse(&q, a.quote.p, a.quote.len)) {
		fprintf(stderr, "fake_tdx: %s is not a dstack attestation\n", attestation);
		exit(1);
	}
	size_t boot = 0;
	while (boot < log.n && log.events[boot].imr < 3)
		boot++;
	vouch_eventlog only = {log.events, boot, NULL};
	uint8_t rtmr[4][48];
	if (vouch_eventlog_replay(rtmr, &only, msg, sizeof msg) || vouch_ccel_encode(&ccel, &len, &only, 65536)) {
		fprintf(stderr, "fake_tdx: %s\n", msg);
		exit(1);
	}
	vouch_sim_td_default(&td);
	memcpy(td.mr_td, q.td.mr_td, 48);
	memcpy(td.mr_seam, q.td.mr_seam, 48);
	memcpy(td.xfam, q.td.xfam, 8);
	memcpy(td.td_attributes, q.td.td_attributes, 8);
	memcpy(td.mr_config_id, q.td.mr_config_id, 48);
	memcpy(td.rtmr, rtmr, sizeof rtmr); /* RTMR3 zero: a fresh boot */
	char *dir = path(root, "sys/firmware/acpi/tables/data");
	put(dir, "CCEL", ccel, len);
	free(dir);
	free(ccel);
	vouch_eventlog_free(&log);
	free(b);
}

int main(int argc, char **argv)
{
	const char *state = NULL, *attestation = NULL;
	int use_ioctl = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--root") && i + 1 < argc)
			root = argv[++i];
		else if (!strcmp(argv[i], "--state") && i + 1 < argc)
			state = argv[++i];
		else if (!strcmp(argv[i], "--attestation") && i + 1 < argc)
			attestation = argv[++i];
		else if (!strcmp(argv[i], "--ioctl"))
			use_ioctl = 1;
		else
			root = NULL, i = argc;
	}
	if (!root || !state || !attestation) {
		fprintf(stderr, "usage: fake_tdx --root DIR --state DIR --attestation FILE [--ioctl]\n");
		return 64;
	}
	char msg[256];
	if (vouch_sim_load(&sim, state, msg, sizeof msg)) {
		vouch_sim_config c;
		vouch_sim_config_default(&c, (int64_t)time(NULL));
		if (vouch_mkdirs(state, 0700) || vouch_sim_new(&sim, &c) || vouch_sim_save(sim, state))
			die(state);
	}
	mkdirs("sys/kernel/config/tsm/report");
	mkdirs("sys/firmware/acpi/tables/data");
	make_td(attestation);
	if ((ino = inotify_init1(IN_CLOEXEC)) < 0)
		die("inotify");
	char *reports = path(root, "sys/kernel/config/tsm/report");
	if ((reports_wd = inotify_add_watch(ino, reports, IN_CREATE | IN_ONLYDIR)) < 0)
		die(reports);
	free(reports);
	if (use_ioctl) {
		mkdirs("dev");
		char *dev = path(root, "dev");
		put(dev, "tdx_guest", "", 0);
		free(dev);
	} else {
		const char *m = "sys/devices/virtual/misc/tdx_guest/measurements";
		mkdirs(m);
		char *dir = path(root, m), *p = path(dir, "rtmr3:sha384");
		if ((mkfifo(p, 0600) && errno != EEXIST) || (fifo = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
			die(p);
		put(dir, "mrtd:sha384", td.mr_td, 48);
		free(dir);
		free(p);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);

	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	while (!stop) {
		struct pollfd p[2] = {{ino, POLLIN, 0}, {fifo, POLLIN, 0}};
		if (poll(p, fifo >= 0 ? 2 : 1, -1) < 0)
			continue;
		if (fifo >= 0 && (p[1].revents & POLLIN))
			drain_extends();
		if (!(p[0].revents & POLLIN))
			continue;
		ssize_t n = read(ino, buf, sizeof buf);
		for (char *at = buf; n > 0 && at < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)at;
			at += sizeof *ev + ev->len;
			if (ev->wd == reports_wd) {
				if ((ev->mask & IN_ISDIR) && ev->len)
					on_new_entry(ev->name);
				continue;
			}
			for (int i = 0; i < MAX_ENTRIES; i++) {
				if (!entries[i].dir || entries[i].wd != ev->wd || !ev->len || strcmp(ev->name, "inblob"))
					continue;
				if (ev->mask & IN_MODIFY)
					entries[i].dirty = 1;
				/* configfs commits a binary attribute on close, and only if it was written */
				if ((ev->mask & IN_CLOSE_WRITE) && entries[i].dirty) {
					entries[i].dirty = 0;
					on_commit(i);
				}
			}
		}
	}
	vouch_sim_free(sim);
	return 0;
}
