/* The benchmarks' load client: keep-alive HTTP/1.1 over a unix socket or loopback TCP, one thread, epoll, one
 * connection per client. Answers with a Content-Length or chunked (SSE streams, whose events it counts). Closed loop: each connection sends its next request as soon as the answer arrives. Open loop
 * (rate > 0): requests leave on a fixed schedule and latency counts from the scheduled time. */
#ifndef VOUCH_LOADGEN_H
#define VOUCH_LOADGEN_H

#include <stddef.h>
#include <sys/types.h>

extern char sock_path[108];     /* the socket every connection goes to */
extern unsigned short tcp_port; /* or, when not 0, 127.0.0.1:tcp_port */

struct load_result {
	double rate, p50, p99; /* requests/s, seconds (for a stream: to its end) */
	double chunks;         /* SSE events ("data: ") received per second */
	int errors;            /* non-200 answers and broken connections */
};

int connect_server(void);
/* One request on a kept-alive connection; returns the HTTP status, or -1. */
int roundtrip(int fd, const char *req, size_t len, char *buf, size_t cap);
/* POST /path with body from `clients` connections for `seconds`. */
struct load_result load(const char *path, const char *body, int clients, double seconds, double rate);

/* A fresh directory for one vouchd (dir is a mkdtemp template, changed in place): dir/state and dir/run paths
 * (each 96 bytes), and sock_path set to its dstack.sock. Returns 0 or -1. */
int vouchd_dirs(char *dir, char state[96], char run[96]);

/* Starts bin with args (NULL-terminated, without argv[0]) and returns its pid once sock_path answers
 * Version (-1 after 30 s); its stderr goes to log when given. */
pid_t start_vouchd(const char *bin, char *const args[], const char *log);

#endif
