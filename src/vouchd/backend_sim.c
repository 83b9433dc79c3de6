/* The simulated TEE: a TD whose registers live in memory and whose quotes are signed by the simulated
 * Intel-style PKI kept in the state directory (libvouch's sim). Its quotes verify through the same code as
 * Intel's, under DIR/sim-root.der, and say simulated. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "app.h"
#include "log.h"
#include "vouch/err.h"
#include "vouch/sim.h"
#include "vouch/util.h"

struct sim_tee {
	vouch_sim *sim;
	pthread_mutex_t lock;
	vouch_sim_td td; /* rtmr[3] moves with every runtime event */
};

/* A plausible boot log for RTMR0–2: firmware configuration, boot loader, kernel — all of it simulated,
 * and named so. Digests are SHA-384 of the payloads. */
static const struct {
	uint32_t imr, type;
	const char *payload;
} BOOT[] = {
	{0, 0x80000001, "vouch-sim: SecureBoot=0"},
	{0, 0x0000000a, "vouch-sim: ACPI DATA"},
	{0, 0x80000009, "vouch-sim: TD HOB"},
	{0, 0x00000004, "\0\0\0\0"},
	{1, 0x80000007, "Calling EFI Application from Boot Option"},
	{1, 0x80000003, "vouch-sim: boot loader"},
	{1, 0x00000004, "\0\0\0\0"},
	{1, 0x80000007, "Exit Boot Services Invocation"},
	{2, 0x00000006, "vouch-sim: kernel command line"},
	{2, 0x00000006, "vouch-sim: initrd"},
};

static int boot_log(vouch_eventlog *out)
{
	size_t n = ARRAY_LEN(BOOT), bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += BOOT[i].type == 4 ? 4 : strlen(BOOT[i].payload);
	out->events = calloc(n, sizeof *out->events);
	uint8_t *arena = malloc(bytes + n + 1), *at = arena;
	out->arena = arena;
	if (!out->events || !arena)
		return -1;
	for (size_t i = 0; i < n; i++) {
		vouch_event *e = &out->events[i];
		size_t len = BOOT[i].type == 4 ? 4 : strlen(BOOT[i].payload);
		memcpy(at, BOOT[i].payload, len);
		e->imr = BOOT[i].imr;
		e->event_type = BOOT[i].type;
		e->name = "";
		e->payload = at;
		e->payload_len = len;
		SHA384(at, len, e->digest);
		e->has_digest = 1;
		e->version = 1;
		at += len;
	}
	out->n = n;
	return 0;
}

static int sim_quote(struct backend *b, const uint8_t report_data[64], uint8_t **quote, size_t *len, char *err,
		     size_t cap)
{
	struct sim_tee *t = b->priv;
	*quote = malloc(8192);
	if (!*quote) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	pthread_mutex_lock(&t->lock);
	vouch_sim_td td = t->td;
	pthread_mutex_unlock(&t->lock);
	memcpy(td.report_data, report_data, 64);
	int e = vouch_sim_tdx_quote(*quote, 8192, len, t->sim, &td);
	if (e) {
		snprintf(err, cap, "simulated quote: %s", vouch_strerror(e));
		free(*quote);
		*quote = NULL;
		return -1;
	}
	return 0;
}

static void extend(uint8_t reg[48], const uint8_t d[48])
{
	uint8_t buf[96];
	memcpy(buf, reg, 48);
	memcpy(buf + 48, d, 48);
	SHA384(buf, 96, reg);
}

static int sim_extend(struct backend *b, const uint8_t digest[48], char *err, size_t cap)
{
	(void)err, (void)cap;
	struct sim_tee *t = b->priv;
	pthread_mutex_lock(&t->lock);
	extend(t->td.rtmr[3], digest);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

static void sim_free(struct backend *b)
{
	struct sim_tee *t = b->priv;
	if (t) {
		vouch_sim_free(t->sim);
		pthread_mutex_destroy(&t->lock);
		free(t);
	}
	vouch_eventlog_free(&b->boot);
	free(b);
}

struct backend *backend_sim_new(struct app *a, char *err, size_t cap)
{
	struct backend *b = calloc(1, sizeof *b);
	struct sim_tee *t = calloc(1, sizeof *t);
	if (!b || !t) {
		free(b);
		free(t);
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	b->name = "sim";
	b->quote = sim_quote;
	b->extend_rtmr3 = sim_extend;
	b->free = sim_free;
	b->priv = t;
	pthread_mutex_init(&t->lock, NULL);
	char msg[256];
	int e = vouch_sim_load(&t->sim, a->cfg.state_dir, msg, sizeof msg);
	if (e == VOUCH_E_IO && errno == ENOENT) {
		vouch_sim_config c;
		vouch_sim_config_default(&c, (int64_t)time(NULL));
		if ((e = vouch_sim_new(&t->sim, &c)) == 0 && (e = vouch_sim_save(t->sim, a->cfg.state_dir)) == 0)
			vlog(LOG_INFO, "generated the simulated platform's PKI in %s (root: sim-root.der)", a->cfg.state_dir);
		snprintf(msg, sizeof msg, "%s", e == VOUCH_E_IO ? strerror(errno) : vouch_strerror(e));
	}
	if (e) {
		snprintf(err, cap, "simulated TEE in %s: %s", a->cfg.state_dir, msg);
		sim_free(b);
		return NULL;
	}
	/* the TD: fixed simulated measurements, the app's compose hash in MRCONFIGID (v1 form, §13.2) */
	vouch_sim_td_default(&t->td);
	SHA384((const uint8_t *)"vouch simulated TD", 18, t->td.mr_td);
	SHA384((const uint8_t *)"vouch simulated TDX module", 26, t->td.mr_seam);
	t->td.mr_config_id[0] = 0x01;
	memcpy(t->td.mr_config_id + 1, a->compose_hash, 32);
	if (boot_log(&b->boot)) {
		snprintf(err, cap, "out of memory");
		sim_free(b);
		return NULL;
	}
	for (size_t i = 0; i < b->boot.n; i++)
		extend(t->td.rtmr[b->boot.events[i].imr], b->boot.events[i].digest);
	return b;
}
