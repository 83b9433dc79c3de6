/* vouch — TDX event logs (dstack's JSON form) and RTMR replay.
 *
 * An event log is a list of measurements; replaying it (R = SHA-384(R ‖ digest) per register, from 48 zero
 * bytes) must reproduce RTMR0–3 of the quote. dstack's runtime events (type 0x08000001, extended into
 * RTMR3) have digests computed from their name and payload; those are always recomputed here, so a
 * "stripped" log (runtime digests emptied, as real dstack GetQuote returns) replays as well as a full one,
 * and a full log whose digest disagrees with its content is rejected.
 * Spec: ../shared/specs/dstack-guest-api.md §10–§12.
 */
#ifndef VOUCH_EVENTLOG_H
#define VOUCH_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VOUCH_RUNTIME_EVENT_TYPE 0x08000001u /* DSTACK_RUNTIME_EVENT_TYPE */
#define VOUCH_EVENTLOG_MAX_EVENTS 4096

typedef struct vouch_event {
	uint32_t imr;           /* 0-based RTMR index */
	uint32_t event_type;
	uint8_t digest[48];
	int has_digest;         /* 0 when the log carries "" (stripped) */
	const char *name;       /* "event": runtime event name, "" for most boot events */
	size_t name_len;
	const uint8_t *payload;
	size_t payload_len;
	int version;            /* runtime event digest version: 1 (default) or 2 */
	const uint8_t *preimage; /* V2: the exact hashed bytes, when given */
	size_t preimage_len;
} vouch_event;

typedef struct vouch_eventlog {
	vouch_event *events;
	size_t n;
	void *arena;            /* owns names and payloads */
} vouch_eventlog;

/* Parses dstack's event-log JSON (an array of {imr, event_type, digest, event, event_payload[, version,
 * preimage]}; hex with or without 0x). Returns 0 or VOUCH_E_EVENTLOG / VOUCH_E_JSON with a message naming the
 * event. Free with vouch_eventlog_free. */
int vouch_eventlog_parse_json(vouch_eventlog *out, const char *json, size_t len, char *msg, size_t msg_cap);
void vouch_eventlog_free(vouch_eventlog *log);

/* A dstack runtime event digest. V1: SHA-384(LE32(0x08000001) ‖ ":" ‖ name ‖ ":" ‖ payload).
 * V2: SHA-384 of the RFC 8785 JSON {"name":…,"payload":"<hex>","type":134217729}. */
void vouch_runtime_event_digest_v1(uint8_t out[48], const char *name, size_t name_len, const uint8_t *payload,
				   size_t payload_len);
/* The V2 preimage (canonical JSON) into buf; returns its length, or 0 if cap is too small. */
size_t vouch_runtime_event_preimage_v2(char *buf, size_t cap, const char *name, size_t name_len,
				       const uint8_t *payload, size_t payload_len);

/* 1 when a runtime event name is not the app's to emit: the names of dstack's boot sequence (spec §11:
 * system-preparing, app-id, compose-hash, init-script-hash, gpu-policy-hash, gpu-attestation, instance-id,
 * boot-mr-done, os-image-hash, key-provider, storage-fs, system-ready), from which verifiers decode the app's
 * identity, and every name beginning "vouch-" (vouchd's own, e.g. the journals' "vouch-journal"). */
int vouch_runtime_event_reserved(const char *name, size_t len);

/* Replays RTMR0–3. Runtime events get their digest recomputed: a present digest must match (V2: the
 * preimage too, and it is required). A boot event without a digest cannot be replayed: error.
 * Returns 0 or VOUCH_E_EVENT_DIGEST / VOUCH_E_EVENTLOG with a message naming the event index. */
int vouch_eventlog_replay(uint8_t rtmr[4][48], const vouch_eventlog *log, char *msg, size_t msg_cap);

/* The event log as dstack's JSON (malloc'd; free()), digests always present (recomputed for runtime
 * events). NULL when out of memory. */
char *vouch_eventlog_json(const vouch_eventlog *log);

/* Parses a TD's boot event log as the ACPI CCEL table holds it (/sys/firmware/acpi/tables/data/CCEL): a TCG
 * crypto-agile log whose header lists SHA-384. Each event keeps its SHA-384 digest and its data as payload,
 * with an empty name; imr is the MR index − 1. Records for MR index 0 (MRTD) and EV_NO_ACTION records
 * extend no RTMR and are dropped. Stops at an MR index of 0xFFFFFFFF (the table's padding) or the end.
 * Returns 0, VOUCH_E_EVENTLOG with a message naming the event, or VOUCH_E_NOMEM. */
int vouch_ccel_parse(vouch_eventlog *out, const uint8_t *buf, size_t len, char *msg, size_t msg_cap);

/* The inverse, for tests and simulated TDs: a SHA-384-only log of the events (imr 0..3), the end marker,
 * and 0xFF padding up to pad_to bytes. *out is malloc'd. */
int vouch_ccel_encode(uint8_t **out, size_t *len, const vouch_eventlog *log, size_t pad_to);

#ifdef __cplusplus
}
#endif
#endif
