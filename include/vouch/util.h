/* vouch — small helpers every tool needs: hex, time, wiping secrets.
 *
 * Argument order everywhere in libvouch: outputs first, then inputs; every length right after its pointer.
 */
#ifndef VOUCH_UTIL_H
#define VOUCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes hex text into out. Accepts an optional "0x"/"0X" prefix, either case, and ASCII whitespace
 * (space, tab, CR, LF) anywhere between digit pairs. Writes the byte count to *out_len.
 * Returns 0, VOUCH_E_HEX (odd digit count or a non-hex character) or VOUCH_E_LIMIT (out too small).
 * out may alias hex: decoding never writes ahead of what it has read. */
int vouch_hex_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *hex, size_t hex_len);

/* Exactly n bytes: s (NUL-terminated) is 2*n hex digits, optionally after "0x"; no whitespace. For fields
 * whose size is fixed (keys, hashes, nonces, signatures). Returns 1 when it is, else 0 (out undefined). */
int vouch_hex_decode_exact(uint8_t *out, size_t n, const char *s);

/* Writes 2*len lowercase hex digits and a NUL into out (which holds 2*len+1 bytes). */
void vouch_hex_encode(char *out, const uint8_t *in, size_t len);

/* Strict base64 decoding: ASCII whitespace anywhere is skipped; '=' padding only at the end and exactly
 * as needed; the unused bits of the last group must be zero. Returns 0, VOUCH_E_BASE64 or VOUCH_E_LIMIT. */
int vouch_base64_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *text, size_t len);
/* Base64 with padding / base64url without padding, NUL-terminated; out holds 4*((n+2)/3)+1 bytes.
 * Return the length written. */
size_t vouch_base64_encode(char *out, const uint8_t *in, size_t n);
size_t vouch_base64url_encode(char *out, const uint8_t *in, size_t n);

/* Overwrites len bytes at p with zeros in a way the compiler may not remove. Use on every buffer that held
 * a secret, on every exit path. */
void vouch_wipe(void *p, size_t len);

/* The string member key of the JSON object text (top level only), decoded into out (cap bytes with the
 * NUL), without allocating; the whole text must be one valid object. Member names are compared decoded
 * ("\u0069d" is "id"); key is under 256 bytes. Returns 0, VOUCH_E_JSON (not an object, no such string member,
 * an embedded NUL, or a second member named key, whatever its value: readers differ on which one counts) or
 * VOUCH_E_LIMIT (longer than cap - 1). On failure out is all zeros. */
int vouch_json_member_string(char *out, size_t cap, const char *text, size_t len, const char *key);
/* How many top-level members of the JSON object text are named key (compared decoded, as above), without
 * allocating; the whole text must be one valid object. Returns the count (0 or more) or VOUCH_E_JSON. */
int vouch_json_member_count(const char *text, size_t len, const char *key);

/* A growing byte buffer, its data always followed by a NUL (so that text reads as a C string). Growing moves
 * the data to a new block and wipes the old one, and vouch_buf_free wipes: a buffer may hold a secret (a key
 * in a response) without leaving copies in freed memory. */
typedef struct vouch_buf {
	char *p;
	size_t len, cap;
} vouch_buf;
/* Appends n bytes unless the data would pass max bytes. Returns 0, VOUCH_E_LIMIT or VOUCH_E_NOMEM. */
int vouch_buf_add(vouch_buf *b, const void *p, size_t n, size_t max);
/* Wipes and frees the data; the buffer is empty again. */
void vouch_buf_free(vouch_buf *b);

/* Parses an RFC 3339 UTC date as Intel writes them ("2025-07-19T10:00:35Z", optional fraction, 'Z' or
 * "+00:00") into Unix seconds. Returns 0 or VOUCH_E_TIME. */
int vouch_time_parse(int64_t *out, const char *s, size_t len);

/* Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void vouch_time_format(char *out, int64_t t);

/* Replaces path atomically: a temporary file in the same directory with the given mode, written, fsynced,
 * renamed over path, and the directory fsynced. Returns 0 or VOUCH_E_IO (errno tells why). */
int vouch_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* Reads a whole file (or "-" for stdin; pipes work) of at most max bytes into a malloc'd buffer with a NUL
 * after the data. Returns 0, VOUCH_E_IO (errno tells why), VOUCH_E_LIMIT or VOUCH_E_NOMEM. */
int vouch_file_read(const char *path, size_t max, uint8_t **out, size_t *len);
/* The same for a file that must be a regular file (a daemon's state): a FIFO, a device or a directory in its
 * place is refused (VOUCH_E_IO, errno EINVAL) instead of blocking or reading without end. */
int vouch_file_read_regular(const char *path, size_t max, uint8_t **out, size_t *len);

/* Where vouchd keeps its sockets and its state, when no option says: $VOUCH_LISTEN_DIR / $VOUCH_STATE_DIR;
 * as root /var/run/dstack (where dstack's SDKs look) and /var/lib/vouch; otherwise
 * $XDG_RUNTIME_DIR/vouch and $XDG_STATE_HOME/vouch, else under $HOME. Written into buf; returns it. */
const char *vouch_default_listen_dir(char *buf, size_t cap);
const char *vouch_default_state_dir(char *buf, size_t cap);

/* Raises the soft limit on open files to the hard one (a server's connections each take some); returns the
 * soft limit now in force. */
unsigned long vouch_file_limit_raise(void);

/* mkdir -p with the given mode for the directories it creates. Returns 0 or VOUCH_E_IO. */
int vouch_mkdirs(const char *dir, unsigned mode);

#ifdef __cplusplus
}
#endif
#endif
