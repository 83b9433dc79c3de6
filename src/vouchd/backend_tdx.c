/* The TDX backend, on the Linux kernel's interfaces under a configurable root (cfg.fs_root, "/" normally):
 *  - quotes: configfs-tsm (Linux ≥ 6.7), sys/kernel/config/tsm/report/<entry>/{provider,inblob,outblob,
 *    generation}. inblob is a configfs binary attribute: the write is committed when the file is closed, which
 *    bumps generation; reading outblob then returns the quote. The sequence below is dstack's: hold an flock
 *    on inblob (other processes use the same entry), read generation, write and close, wait for generation
 *    to move by exactly one, read outblob, check generation has not moved again — otherwise someone else
 *    wrote in between and the quote may not be ours. Quotes are also checked to carry our report data.
 *  - RTMR3: the kernel's measurement file sys/devices/virtual/misc/tdx_guest/measurements/rtmr3:sha384
 *    (Linux ≥ 6.16: writing 48 bytes extends), else the TDX_CMD_EXTEND_RTMR ioctl on dev/tdx_guest
 *    (the out-of-tree driver dstack's images carry).
 *  - the boot event log: the ACPI CCEL table's log area, sys/firmware/acpi/tables/data/CCEL.
 * tests/tools/fake_tdx.c plays the kernel's side of these files for the tests. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "log.h"
#include "vouch/err.h"
#include "vouch/eventlog.h"
#include "vouch/util.h"

#define TSM_DIR "sys/kernel/config/tsm/report"
#define TSM_ENTRY "vouchd"
#define MEASUREMENTS "sys/devices/virtual/misc/tdx_guest/measurements"
#define TDX_DEVICE "dev/tdx_guest"
#define CCEL "sys/firmware/acpi/tables/data/CCEL"

#define QUOTE_MAX (1u << 20)
#define CCEL_MAX (16u << 20)
#define REPORT_DATA_OFFSET 568 /* 48-byte header + 520 into the TD report */
#define GENERATION_WAIT_MS 5000
#define QUOTE_ATTEMPTS 3

/* dstack's driver ABI: _IOR('T', 3, struct { u8 data[48]; u8 index; }) */
struct tdx_extend_rtmr_req {
	uint8_t data[48];
	uint8_t index;
};
#define TDX_CMD_EXTEND_RTMR _IOR('T', 3, struct tdx_extend_rtmr_req)

struct tdx_tee {
	pthread_mutex_t lock; /* the driver generates one quote at a time */
	char *entry;          /* .../tsm/report/vouchd */
	char *rtmr3;          /* the measurement file, or NULL: use the ioctl on device */
	char *device;
};

/* Reads a small file into buf (NUL-terminated); returns its length or -1. */
static ssize_t read_text(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static int read_generation(const char *entry, unsigned long long *gen)
{
	char path[4096], buf[32], *end;
	snprintf(path, sizeof path, "%s/generation", entry);
	if (read_text(path, buf, sizeof buf) <= 0)
		return -1;
	errno = 0;
	*gen = strtoull(buf, &end, 10);
	return errno || end == buf ? (errno = EINVAL, -1) : 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

/* Writes all of data to an existing file (no O_CREAT, no O_TRUNC: these are kernel attributes) and closes
 * it, which is when configfs commits a binary attribute. */
static int write_attr(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, data, len);
	int e = n < 0 ? errno : n != (ssize_t)len ? EIO : 0;
	if (close(fd) && !e)
		e = errno;
	errno = e;
	return e ? -1 : 0;
}

static int read_all(const char *path, uint8_t **out, size_t *len, size_t max)
{
	int e = vouch_file_read(path, max, out, len);
	if (e == VOUCH_E_LIMIT)
		errno = EFBIG;
	return e ? -1 : 0;
}

enum { QUOTE_OK, QUOTE_BUSY, QUOTE_FAIL };

static int quote_once(struct tdx_tee *t, const uint8_t rd[64], uint8_t **quote, size_t *len, char *err, size_t cap)
{
	char inblob[4096], outblob[4096];
	snprintf(inblob, sizeof inblob, "%s/inblob", t->entry);
	snprintf(outblob, sizeof outblob, "%s/outblob", t->entry);
	int lock = open(inblob, O_WRONLY | O_CLOEXEC);
	if (lock < 0 || flock(lock, LOCK_EX)) {
		snprintf(err, cap, "configfs-tsm: %s: %s", inblob, strerror(errno));
		if (lock >= 0)
			close(lock);
		return QUOTE_FAIL;
	}
	int rc = QUOTE_FAIL;
	unsigned long long g1, g2, g3;
	if (read_generation(t->entry, &g1)) {
		snprintf(err, cap, "configfs-tsm: %s/generation: %s", t->entry, strerror(errno));
		goto out;
	}
	if (write_attr(inblob, rd, 64)) {
		rc = errno == EBUSY ? QUOTE_BUSY : QUOTE_FAIL;
		snprintf(err, cap, "configfs-tsm: writing %s: %s", inblob, strerror(errno));
		goto out;
	}
	unsigned waited = 0, step = 1;
	while (!read_generation(t->entry, &g2) && g2 == g1 && waited < GENERATION_WAIT_MS) {
		sleep_ms(step);
		waited += step;
		step = step < 10 ? step + 1 : 10;
	}
	if (g2 == g1) {
		snprintf(err, cap, "configfs-tsm: %s/generation did not move after writing inblob", t->entry);
		goto out;
	}
	if (g2 != g1 + 1) {
		snprintf(err, cap, "configfs-tsm: another writer used %s at the same time", t->entry);
		rc = QUOTE_BUSY;
		goto out;
	}
	if (read_all(outblob, quote, len, QUOTE_MAX)) {
		rc = errno == EBUSY ? QUOTE_BUSY : QUOTE_FAIL;
		snprintf(err, cap, "configfs-tsm: reading %s: %s", outblob, strerror(errno));
		goto out;
	}
	if (read_generation(t->entry, &g3) || g3 != g2) {
		snprintf(err, cap, "configfs-tsm: another writer used %s while the quote was read", t->entry);
		rc = QUOTE_BUSY;
	} else if (*len < REPORT_DATA_OFFSET + 64) {
		snprintf(err, cap, "configfs-tsm: %s holds %zu bytes, too short for a TDX quote", outblob, *len);
	} else if (memcmp(*quote + REPORT_DATA_OFFSET, rd, 64) != 0) {
		snprintf(err, cap, "configfs-tsm: the quote in %s carries other report data", outblob);
		rc = QUOTE_BUSY;
	} else {
		rc = QUOTE_OK;
	}
	if (rc != QUOTE_OK) {
		free(*quote);
		*quote = NULL;
	}
out:
	close(lock); /* releases the flock */
	return rc;
}

static int tdx_quote(struct backend *b, const uint8_t rd[64], uint8_t **quote, size_t *len, char *err, size_t cap)
{
	struct tdx_tee *t = b->priv;
	int rc = QUOTE_BUSY;
	*quote = NULL;
	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < QUOTE_ATTEMPTS && rc == QUOTE_BUSY; i++) {
		if (i) {
			vlog(LOG_WARN, "%s; trying again", err);
			sleep_ms(10u << i);
		}
		rc = quote_once(t, rd, quote, len, err, cap);
	}
	pthread_mutex_unlock(&t->lock);
	return rc == QUOTE_OK ? 0 : -1;
}

static int tdx_extend(struct backend *b, const uint8_t digest[48], char *err, size_t cap)
{
	struct tdx_tee *t = b->priv;
	if (t->rtmr3) {
		if (write_attr(t->rtmr3, digest, 48) == 0)
			return 0;
		snprintf(err, cap, "extending RTMR3 through %s: %s", t->rtmr3, strerror(errno));
		return -1;
	}
	struct tdx_extend_rtmr_req r = {.index = 3};
	memcpy(r.data, digest, 48);
	int fd = open(t->device, O_RDWR | O_CLOEXEC);
	int rc = fd >= 0 ? ioctl(fd, TDX_CMD_EXTEND_RTMR, &r) : -1;
	int saved = errno;
	if (fd >= 0)
		close(fd);
	if (rc)
		snprintf(err, cap, "extending RTMR3 with the TDX_CMD_EXTEND_RTMR ioctl on %s: %s", t->device,
			 strerror(saved));
	return rc ? -1 : 0;
}

static void tdx_free(struct backend *b)
{
	struct tdx_tee *t = b->priv;
	if (t) {
		pthread_mutex_destroy(&t->lock);
		free(t->entry);
		free(t->rtmr3);
		free(t->device);
		free(t);
	}
	vouch_eventlog_free(&b->boot);
	free(b);
}

/* Our report entry: created if missing; the kernel fills it in, and its provider must be the TDX guest
 * driver (configfs-tsm serves SEV-SNP and others too). */
static int prepare_entry(struct tdx_tee *t, const char *root, char *err, size_t cap)
{
	char *base = path_join(root, TSM_DIR), provider[4096], name[64] = "";
	t->entry = base ? path_join(base, TSM_ENTRY) : NULL;
	if (!t->entry) {
		free(base);
		snprintf(err, cap, "out of memory");
		return -1;
	}
	struct stat st;
	if (stat(base, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, cap, "no configfs-tsm report directory at %s (TDX quotes need Linux 6.7 or later with "
			 "configfs mounted on /sys/kernel/config)", base);
		free(base);
		return -1;
	}
	free(base);
	if (mkdir(t->entry, 0700) && errno != EEXIST) {
		snprintf(err, cap, "creating %s: %s", t->entry, strerror(errno));
		return -1;
	}
	snprintf(provider, sizeof provider, "%s/provider", t->entry);
	for (int waited = 0; read_text(provider, name, sizeof name) < 0 && waited < 2000; waited += 5)
		sleep_ms(5);
	name[strcspn(name, "\n")] = 0;
	if (strncmp(name, "tdx_guest", 9) != 0) {
		snprintf(err, cap, "%s: %s", provider,
			 *name ? "the provider is not tdx_guest (not a TDX guest)" : "no provider appeared");
		return -1;
	}
	return 0;
}

struct backend *backend_tdx_new(struct app *a, char *err, size_t cap)
{
	struct backend *b = calloc(1, sizeof *b);
	struct tdx_tee *t = calloc(1, sizeof *t);
	if (!b || !t) {
		free(b);
		free(t);
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	b->name = "tdx";
	b->quote = tdx_quote;
	b->extend_rtmr3 = tdx_extend;
	b->free = tdx_free;
	b->priv = t;
	pthread_mutex_init(&t->lock, NULL);
	const char *root = a->cfg.fs_root;
	if (prepare_entry(t, root, err, cap))
		goto fail;

	char *m = path_join(root, MEASUREMENTS);
	t->rtmr3 = m && path_exists(m) ? path_join(m, "rtmr3:sha384") : NULL;
	free(m);
	t->device = path_join(root, TDX_DEVICE);
	if (!t->rtmr3 && !(t->device && path_exists(t->device))) {
		snprintf(err, cap, "no way to extend RTMR3: neither %s/%s nor %s exists", root, MEASUREMENTS,
			 t->device ? t->device : TDX_DEVICE);
		goto fail;
	}

	char *ccel = path_join(root, CCEL), msg[256];
	uint8_t *buf = NULL;
	size_t len;
	if (!ccel || read_all(ccel, &buf, &len, CCEL_MAX)) {
		snprintf(err, cap, "the boot event log %s: %s", ccel ? ccel : CCEL, strerror(errno));
		free(ccel);
		goto fail;
	}
	int e = vouch_ccel_parse(&b->boot, buf, len, msg, sizeof msg);
	free(buf);
	if (e) {
		snprintf(err, cap, "%s: %s", ccel, e == VOUCH_E_NOMEM ? "out of memory" : msg);
		free(ccel);
		goto fail;
	}
	vlog(LOG_INFO, "boot event log %s: %zu events; quotes through %s; RTMR3 through %s", ccel, b->boot.n, t->entry,
	     t->rtmr3 ? t->rtmr3 : t->device);
	free(ccel);
	return b;
fail:
	tdx_free(b);
	return NULL;
}

int tdx_detect(const char *root)
{
	char *dev = path_join(root, TDX_DEVICE), *m = path_join(root, MEASUREMENTS);
	int found = (dev && path_exists(dev)) || (m && path_exists(m));
	free(dev);
	free(m);
	return found;
}
