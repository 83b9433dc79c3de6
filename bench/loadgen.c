/* The benchmarks' load client over a unix socket (see loadgen.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "loadgen.h"

char sock_path[108];

int connect_unix(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* One request on a kept-alive connection; returns the HTTP status, or -1. */
int roundtrip(int fd, const char *req, size_t len, char *buf, size_t cap)
{
	if (write(fd, req, len) != (ssize_t)len)
		return -1;
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = 0;
		char *end = strstr(buf, "\r\n\r\n"), *cl = strcasestr(buf, "Content-Length:");
		if (end && cl && cl < end) {
			size_t body = strtoul(cl + 15, NULL, 10);
			if (n >= (size_t)(end + 4 - buf) + body)
				return atoi(buf + 9);
		}
		if (n + 1 >= cap)
			return -1;
	}
}

/* The load: one thread, epoll, one kept-alive connection per client. Closed loop: each connection sends
 * its next request as soon as the answer arrives. Open loop: requests leave on a fixed schedule (rate per
 * second in all, round robin over idle connections) and latency counts from the scheduled time, so a
 * server that falls behind shows it (no coordinated omission). One thread keeps the client's own CPU use
 * small next to the server's on a two-core machine. */
struct conn {
	int fd;
	char buf[65536];
	size_t n;
	int busy;
	double t0; /* when the request was due (open) or sent (closed) */
};


/* 1 when buf holds a whole response; *status gets its code */
static int complete(const char *buf, size_t n, int *status)
{
	const char *end = memmem(buf, n, "\r\n\r\n", 4), *cl = end ? strcasestr(buf, "Content-Length:") : NULL;
	if (!end || !cl || cl > end)
		return 0;
	size_t body = strtoul(cl + 15, NULL, 10);
	if (n < (size_t)(end + 4 - buf) + body)
		return 0;
	*status = atoi(buf + 9);
	return 1;
}

struct load_result load(const char *method, const char *body, int clients, double seconds, double rate)
{
	static char req[8192];
	size_t len = (size_t)snprintf(req, sizeof req,
				      "POST /%s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
				      "Content-Length: %zu\r\n\r\n%s",
				      method, strlen(body), body);
	struct conn *c = calloc((size_t)clients, sizeof *c);
	int ep = epoll_create1(0);
	struct load_result r = {0, 0, 0, 0};
	size_t cap = 2000000, nl = 0;
	double *lat = malloc(cap * sizeof *lat);
	for (int i = 0; i < clients; i++) {
		c[i].fd = connect_unix();
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		if (c[i].fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev)) {
			r.errors++;
			goto out;
		}
	}
	double start = now_s(), end = start + seconds, interval = rate > 0 ? 1 / rate : 0, due = start;
	int next = 0;
	long queued = 0; /* open loop: requests due but not yet sent (all connections busy) */
	for (double t = start; t < end; t = now_s()) {
		if (interval > 0) {
			while (due <= t) {
				queued++;
				due += interval;
			}
		}
		for (int k = 0; k < clients; k++) {
			struct conn *x = &c[(next + k) % clients];
			if (x->busy || (interval > 0 && queued == 0))
				continue;
			x->t0 = interval > 0 ? due - (double)queued * interval : t;
			if (write(x->fd, req, len) != (ssize_t)len) {
				r.errors++;
				goto out;
			}
			x->busy = 1;
			x->n = 0;
			if (interval > 0)
				queued--;
		}
		next = (next + 1) % clients;
		struct epoll_event evs[64];
		double wait = interval > 0 ? due - now_s() : 0.01;
		struct timespec ts = {0, wait > 0 ? (long)(wait * 1e9) : 0};
		int ne = epoll_pwait2(ep, evs, 64, &ts, NULL);
		for (int e = 0; e < ne; e++) {
			struct conn *x = &c[evs[e].data.u32];
			ssize_t got = read(x->fd, x->buf + x->n, sizeof x->buf - x->n - 1);
			int status;
			if (got <= 0) {
				r.errors++;
				goto out;
			}
			x->n += (size_t)got;
			if (complete(x->buf, x->n, &status)) {
				if (status != 200)
					r.errors++;
				if (nl < cap)
					lat[nl++] = now_s() - x->t0;
				x->busy = 0;
			}
		}
	}
	double elapsed = now_s() - start;
	qsort(lat, nl, sizeof *lat, cmp_double);
	r.rate = (double)nl / elapsed;
	r.p50 = nl ? lat[nl / 2] : 0;
	r.p99 = nl ? lat[nl * 99 / 100] : 0;
out:
	for (int i = 0; i < clients; i++)
		if (c[i].fd > 0)
			close(c[i].fd);
	close(ep);
	free(c);
	free(lat);
	return r;
}



pid_t start_vouchd(const char *bin, char *const args[], const char *log)
{
	char *argv[32] = {"vouchd"};
	size_t n = 1;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		if (log) {
			int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd >= 0)
				dup2(fd, 2);
		}
		execv(bin, argv);
		_exit(127);
	}
	char buf[4096];
	const char *v = "POST /Version HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
	for (;;) {
		int fd = connect_unix();
		if (fd >= 0) {
			int st = roundtrip(fd, v, strlen(v), buf, sizeof buf);
			close(fd);
			if (st == 200)
				return pid;
		}
		if (now_s() - t0 > 30) {
			fprintf(stderr, "vouchd did not start\n");
			return -1;
		}
		usleep(200);
	}
}
