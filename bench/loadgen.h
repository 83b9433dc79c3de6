/* The benchmarks' load client: keep-alive HTTP/1.1 over a unix socket, one thread, epoll, one connection
 * per client. Closed loop: each connection sends its next request as soon as the answer arrives. Open loop
 * (rate > 0): requests leave on a fixed schedule and latency counts from the scheduled time. */
#ifndef VOUCH_LOADGEN_H
#define VOUCH_LOADGEN_H

#include <stddef.h>
#include <sys/types.h>

extern char sock_path[108]; /* the socket every connection goes to */

struct load_result {
	double rate, p50, p99; /* requests/s, seconds */
	int errors;            /* non-200 answers and broken connections */
};

int connect_unix(void);
/* One request on a kept-alive connection; returns the HTTP status, or -1. */
int roundtrip(int fd, const char *req, size_t len, char *buf, size_t cap);
/* POST /method with body from `clients` connections for `seconds`. */
struct load_result load(const char *method, const char *body, int clients, double seconds, double rate);

/* Starts bin with args (NULL-terminated, without argv[0]) and returns its pid once sock_path answers
 * Version (-1 after 30 s); its stderr goes to log when given. */
pid_t start_vouchd(const char *bin, char *const args[], const char *log);

#endif
