/* The `vouch` command: one verb per file, a dispatch table in main.c, shared helpers in io.c. */
#ifndef VOUCH_CLI_H
#define VOUCH_CLI_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes (documented in the README and in `vouch --help`). */
enum {
	EXIT_VERIFIED = 0,    /* verified (and accepted by --accept, if given) */
	EXIT_REJECTED = 1,    /* verified, but the status is not one --accept allows */
	EXIT_INVALID = 2,     /* verification failed, or the input is not a valid quote/attestation */
	EXIT_USAGE = 64,      /* bad command line */
	EXIT_NOINPUT = 66,    /* an input file cannot be read */
	EXIT_UNAVAILABLE = 69 /* collateral could not be obtained (network, cache, --offline) */
};

struct verb {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the verb */
	const char *summary;
};

int cmd_quote(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_collateral(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_verify_response(int argc, char **argv);

/* Reads a whole file ("-" is stdin; pipes and /dev/fd work) up to max bytes into a malloc'd buffer with a NUL
 * after the data. Prints the reason and returns NULL on failure. */
uint8_t *read_file(const char *path, size_t max, size_t *len);
/* Reads a quote file, binary or hex. NULL after saying why, with *rc the exit code: EXIT_NOINPUT (cannot be
 * read) or EXIT_INVALID (hex that is not valid hex); *rc = 0 on success. */
uint8_t *read_quote(const char *path, size_t *len, int *rc);
/* Writes a whole buffer to a file ("-" is stdout). Returns 0 or prints and returns -1. */
int write_file(const char *path, const void *p, size_t len);
/* --now: Unix seconds or an RFC 3339 date ("Z" or a numeric offset such as +02:00; fractional seconds are
 * dropped). Returns 0 or -1. */
int parse_now(const char *s, int64_t *out);
/* Prints "vouch <verb>: <message>" to stderr. */
void errorf(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
