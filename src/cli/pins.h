/* What every verifier of TEE evidence shares about the code it accepts: the identity it verified (app id,
 * compose hash, MRTD, RTMR0-3), printed in human and JSON output, and the pins a user gives
 * (--expect-compose-hash, --expect-app-id, --expect-mrtd), parsed and compared here, in one place. */
#ifndef VOUCH_CLI_PINS_H
#define VOUCH_CLI_PINS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct pins {
	const uint8_t *compose_hash; /* 32 bytes, or NULL */
	const uint8_t *app_id;       /* app_id_len bytes, or NULL */
	size_t app_id_len;
	const uint8_t *mr_td;        /* 48 bytes, or NULL */
	uint8_t compose_buf[32], app_id_buf[32], mr_td_buf[48];
};

/* The identity a verifier established (from a verified quote and its replayed event log). */
struct identity {
	uint8_t app_id[32];
	size_t app_id_len;           /* 0: the event log names none */
	uint8_t compose_hash[32];
	size_t compose_hash_len;
	uint8_t mr_td[48];
	uint8_t rtmr[4][48];
};

/* getopt_long entries for the pins, with codes VO_PIN_COMPOSE.. (distinct from verify_common.h's). */
enum { VO_PIN_COMPOSE = 0x1100, VO_PIN_APP, VO_PIN_MRTD };
#define PIN_OPTIONS                                                                                              \
	{"expect-compose-hash", required_argument, 0, VO_PIN_COMPOSE},                                          \
	{"expect-app-id", required_argument, 0, VO_PIN_APP}, {"expect-mrtd", required_argument, 0, VO_PIN_MRTD}
#define PIN_USAGE                                                                                                \
	"  --expect-compose-hash HEX  accept only this compose hash (32 bytes)\n"                                \
	"  --expect-app-id HEX        accept only this app id (dstack's: 20 bytes)\n"                           \
	"  --expect-mrtd HEX          accept only this MRTD (48 bytes); without any pin, any code in a TEE is\n" \
	"                             accepted, and the output says so\n"

/* Takes one pin option into p: 1 taken, 0 not a pin option, -1 a bad value (said, under verb). */
int pin_option(struct pins *p, int opt, const char *arg, const char *verb);
/* 1 when at least one pin is given. */
int pins_any(const struct pins *p);
/* Compares the identity with every pin given. Returns 0, or -1 with msg naming the first pin that does not
 * match, what was found and what was expected. */
int pins_check(const struct pins *p, const struct identity *id, char *msg, size_t cap);
/* The identity as human lines (indented, labels padded to width), then which pins matched, or the warning
 * that without a pin any code in a TEE is accepted. */
void identity_print(const struct identity *id, const struct pins *p, int width);
/* {"app_id", "compose_hash", "mr_td", "rtmr0".."rtmr3", "pinned": [names], "note"?} (new reference). */
json_t *identity_json(const struct identity *id, const struct pins *p);
/* Adds "identity" (identity_json) to the JSON object text s (malloc'd) and returns the new text (malloc'd;
 * s is freed), or s as it was when it does not parse. */
char *identity_add_json(char *s, const struct identity *id, const struct pins *p);

/* The identity of verified dstack evidence: app id and compose hash decoded from its event log, MRTD and
 * RTMRs from its quote. */
struct vouch_dstack_result;
struct vouch_verdict;
void identity_from_dstack(struct identity *id, const struct vouch_dstack_result *r, const struct vouch_verdict *v);

#define PINS_NONE_NOTE "no --expect-compose-hash, --expect-app-id or --expect-mrtd given: any code in a TEE is accepted"

#endif
