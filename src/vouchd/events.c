/* The runtime event log (spec §10–§11): dstack's JSON-lines file {"event", "payload" (base64)}, RTMR3
 * extended before the line is written (dstack HEAD's order), all under one write lock so that the log and
 * the register never disagree for a reader; quotes take the read lock and snapshot the log with them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "app.h"
#include "log.h"
#include "vouch/err.h"
#include "vouch/quote.h"
#include "vouch/util.h"

#define MAX_EVENT_NAME 256
#define MAX_EVENT_PAYLOAD (64u << 10)

static int push(struct app *a, const char *name, size_t name_len, const uint8_t *payload, size_t len)
{
	if (a->n_events == a->cap_events) {
		size_t cap = a->cap_events ? 2 * a->cap_events : 32;
		struct runtime_event *e = realloc(a->events, cap * sizeof *e);
		if (!e)
			return VOUCH_E_NOMEM;
		a->events = e, a->cap_events = cap;
	}
	struct runtime_event *e = &a->events[a->n_events];
	e->name = strndup(name, name_len);
	e->payload = malloc(len ? len : 1);
	if (!e->name || !e->payload) {
		free(e->name);
		free(e->payload);
		return VOUCH_E_NOMEM;
	}
	memcpy(e->payload, payload, len);
	e->payload_len = len;
	a->n_events++;
	return 0;
}

int events_load(struct app *a, int extend, char *err, size_t cap)
{
	FILE *f = fopen(a->events_path, "re");
	if (!f)
		return errno == ENOENT ? 0 : (snprintf(err, cap, "%s: %s", a->events_path, strerror(errno)), -1);
	char *line = NULL;
	size_t lcap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;
	while (!rc && (n = getline(&line, &lcap, f)) > 0) {
		lineno++;
		json_t *o = json_loadb(line, (size_t)n, 0, NULL);
		json_t *ev = json_object_get(o, "event"), *pl = json_object_get(o, "payload");
		uint8_t *payload = NULL;
		size_t plen = 0;
		if (!json_is_string(ev) || !json_is_string(pl) ||
		    !(payload = malloc(json_string_length(pl) * 3 / 4 + 3)) ||
		    vouch_base64_decode(payload, json_string_length(pl) * 3 / 4 + 3, &plen, json_string_value(pl),
					json_string_length(pl))) {
			snprintf(err, cap, "%s line %zu: not a runtime event", a->events_path, lineno);
			rc = -1;
		} else if (json_object_get(o, "version") && json_integer_value(json_object_get(o, "version")) != 1) {
			snprintf(err, cap, "%s line %zu: version-2 runtime events are not supported yet", a->events_path, lineno);
			rc = -1;
		} else {
			uint8_t d[48];
			vouch_runtime_event_digest_v1(d, json_string_value(ev), json_string_length(ev), payload, plen);
			if (extend && a->tee->extend_rtmr3(a->tee, d, err, cap))
				rc = -1;
			else if (push(a, json_string_value(ev), json_string_length(ev), payload, plen))
				rc = -1;
		}
		free(payload);
		json_decref(o);
	}
	free(line);
	fclose(f);
	if (!rc)
		vlog(LOG_INFO, "runtime event log %s: %zu events", a->events_path, a->n_events);
	return rc;
}

static int append_line(const char *path, const char *name, const uint8_t *payload, size_t len, char *err, size_t cap)
{
	char *b64 = malloc(4 * ((len + 2) / 3) + 1);
	if (!b64)
		return -1;
	vouch_base64_encode(b64, payload, len);
	json_t *o = json_pack("{s:s, s:s}", "event", name, "payload", b64);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	free(b64);
	int rc = -1;
	int fd = text ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
	if (fd >= 0) {
		size_t n = strlen(text);
		text[n] = '\n'; /* json_dumps left room: its NUL */
		rc = write(fd, text, n + 1) == (ssize_t)(n + 1) && fsync(fd) == 0 ? 0 : -1;
		close(fd);
	}
	if (rc)
		snprintf(err, cap, "cannot append to %s: %s", path, strerror(errno));
	free(text);
	return rc;
}

int app_emit_event(struct app *a, const char *name, const uint8_t *payload, size_t len, char *err, size_t cap)
{
	size_t name_len = strlen(name);
	if (name_len == 0 || name_len > MAX_EVENT_NAME || memchr(name, ':', name_len)) {
		snprintf(err, cap, "event name must be 1 to %d characters without ':'", MAX_EVENT_NAME);
		return -1;
	}
	if (len > MAX_EVENT_PAYLOAD) {
		snprintf(err, cap, "event payload larger than %u bytes", MAX_EVENT_PAYLOAD);
		return -1;
	}
	uint8_t d[48];
	vouch_runtime_event_digest_v1(d, name, name_len, payload, len);
	pthread_rwlock_wrlock(&a->events_lock);
	int lock = a->events_flock ? open(a->events_flock, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
	int rc = 0;
	if (a->events_flock && (lock < 0 || flock(lock, LOCK_EX))) {
		snprintf(err, cap, "cannot lock %s: %s", a->events_flock, strerror(errno));
		rc = -1;
	}
	if (!rc)
		rc = a->tee->extend_rtmr3(a->tee, d, err, cap);
	if (!rc)
		rc = append_line(a->events_path, name, payload, len, err, cap);
	if (!rc && push(a, name, name_len, payload, len)) {
		snprintf(err, cap, "out of memory");
		rc = -1;
	}
	if (lock >= 0)
		close(lock); /* and with it the flock */
	pthread_rwlock_unlock(&a->events_lock);
	if (!rc)
		vlog(LOG_INFO, "runtime event %s (%zu bytes) extended into RTMR3", name, len);
	return rc;
}

/* The full event log: the backend's boot events, then the runtime events (imr 3). */
static int snapshot(struct app *a, vouch_eventlog *out)
{
	const vouch_eventlog *boot = &a->tee->boot;
	size_t n = boot->n + a->n_events;
	memset(out, 0, sizeof *out);
	out->events = calloc(n ? n : 1, sizeof *out->events);
	if (!out->events)
		return VOUCH_E_NOMEM;
	memcpy(out->events, boot->events, boot->n * sizeof *out->events);
	for (size_t i = 0; i < a->n_events; i++) {
		vouch_event *e = &out->events[boot->n + i];
		e->imr = 3;
		e->event_type = VOUCH_RUNTIME_EVENT_TYPE;
		e->name = a->events[i].name;
		e->name_len = strlen(a->events[i].name);
		e->payload = a->events[i].payload;
		e->payload_len = a->events[i].payload_len;
		e->version = 1;
		vouch_runtime_event_digest_v1(e->digest, e->name, e->name_len, e->payload, e->payload_len);
		e->has_digest = 1;
	}
	out->n = n;
	return 0;
}

int app_quote(struct app *a, const uint8_t report_data[64], uint8_t **quote, size_t *quote_len, char **log_json,
	      vouch_eventlog *log, char *err, size_t cap)
{
	vouch_eventlog snap;
	*quote = NULL;
	*log_json = NULL;
	pthread_rwlock_rdlock(&a->events_lock);
	int rc = a->tee->quote(a->tee, report_data, quote, quote_len, err, cap);
	if (!rc && snapshot(a, &snap) == 0) {
		*log_json = vouch_eventlog_json(&snap);
		if (log) {
			/* a copy that outlives the lock: names and payloads duplicated into one arena */
			size_t bytes = 0;
			for (size_t i = 0; i < snap.n; i++)
				bytes += snap.events[i].name_len + 1 + snap.events[i].payload_len;
			uint8_t *arena = malloc(bytes + 1), *at = arena;
			if (arena) {
				for (size_t i = 0; i < snap.n; i++) {
					vouch_event *e = &snap.events[i];
					memcpy(at, e->name, e->name_len);
					at[e->name_len] = 0;
					e->name = (const char *)at;
					at += e->name_len + 1;
					memcpy(at, e->payload, e->payload_len);
					e->payload = at;
					at += e->payload_len;
				}
				*log = snap;
				log->arena = arena;
				snap.events = NULL;
			}
		}
		free(snap.events);
	}
	pthread_rwlock_unlock(&a->events_lock);
	if (!rc && (!*log_json || (log && !log->arena))) {
		snprintf(err, cap, "out of memory");
		free(*quote);
		free(*log_json);
		*quote = NULL;
		*log_json = NULL;
		rc = -1;
	}
	return rc;
}

int events_check(struct app *a, char *err, size_t cap)
{
	static const uint8_t rd[64] = "vouchd: do the event logs replay to the registers?";
	uint8_t *quote, rtmr[4][48];
	size_t len;
	char *json, msg[256];
	vouch_eventlog log;
	vouch_quote q;
	if (app_quote(a, rd, &quote, &len, &json, &log, err, cap))
		return -1;
	free(json);
	int rc = -1;
	if (vouch_quote_parse(&q, quote, len) || q.tee_type != VOUCH_TEE_TDX) {
		snprintf(err, cap, "the %s backend's quote is not a TDX quote", a->tee->name);
	} else if (vouch_eventlog_replay(rtmr, &log, msg, sizeof msg)) {
		snprintf(err, cap, "the event log does not replay: %s", msg);
	} else {
		rc = 0;
		for (int i = 0; i < 4 && !rc; i++) {
			if (memcmp(rtmr[i], q.td.rtmr[i], 48) == 0)
				continue;
			rc = -1;
			if (i < 3)
				snprintf(err, cap, "RTMR%d of this TD differs from the replay of its boot event log", i);
			else
				snprintf(err, cap, "RTMR3 of this TD differs from the replay of the runtime event log %s (%zu "
					 "events): something extended RTMR3 without logging it, or the log was lost; quotes "
					 "would not verify", a->events_path, a->n_events);
		}
	}
	free(quote);
	vouch_eventlog_free(&log);
	return rc;
}
