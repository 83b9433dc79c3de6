/* The benchmarks' load client over a unix socket (see loadgen.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "loadgen.h"

char sock_path[108];
unsigned short tcp_port;

int connect_server(void)
{
	int fd;
	if (tcp_port) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(tcp_port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int one = 1;
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof sa))
			return fd;
	} else {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof sa))
			return fd;
	}
	if (fd >= 0)
		close(fd);
	return -1;
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
	char buf[65536]; /* the response's head, then the last bytes of its body */
	size_t n;
	int busy, in_body, chunked, status;
	long left; /* body bytes still to come (Content-Length) */
	double t0; /* when the request was due (open) or sent (closed) */
};

static const char sse_event[] = "data: ", chunked_end[] = "\r\n0\r\n\r\n";
#define KEEP (sizeof chunked_end - 1) /* body bytes kept to find what straddles two reads */

/* Takes body bytes p[0..len) of x's response: counts SSE events into *events; 1 once the body has ended. */
static int body(struct conn *x, const char *p, size_t len, long *events)
{
	if (!x->chunked) {
		x->left -= (long)len;
		return x->left <= 0;
	}
	/* x->buf holds the last KEEP bytes before p: an event's or the end's mark may start there */
	size_t kept = x->n;
	while (len) {
		size_t take = len < sizeof x->buf - kept ? len : sizeof x->buf - kept;
		memcpy(x->buf + kept, p, take);
		size_t all = kept + take;
		for (const char *q = x->buf; (q = memmem(q, (size_t)(x->buf + all - q), sse_event, sizeof sse_event - 1));
		     q++)
			if ((size_t)(q - x->buf) + sizeof sse_event - 1 > kept) /* not counted with the bytes before */
				(*events)++;
		kept = all < KEEP ? all : KEEP;
		memmove(x->buf, x->buf + all - kept, kept);
		p += take, len -= take;
	}
	x->n = kept;
	return kept == KEEP && !memcmp(x->buf, chunked_end, KEEP);
}

/* Takes got bytes read from x: 1 once the whole response is in, -1 for a head that does not fit. */
static int received(struct conn *x, const char *p, size_t got, long *events)
{
	if (x->in_body)
		return body(x, p, got, events);
	/* the head goes to x->buf; what a read brought beyond it is body */
	size_t take = got < sizeof x->buf - 1 - x->n ? got : sizeof x->buf - 1 - x->n;
	memcpy(x->buf + x->n, p, take);
	x->n += take;
	const char *end = memmem(x->buf, x->n, "\r\n\r\n", 4);
	if (!end)
		return take < got ? -1 : 0;
	size_t head = (size_t)(end + 4 - x->buf), rest = x->n - head;
	x->buf[head - 1] = 0;
	const char *cl = strcasestr(x->buf, "Content-Length:");
	x->status = atoi(x->buf + 9);
	x->chunked = strcasestr(x->buf, "Transfer-Encoding: chunked") != NULL;
	x->left = cl ? strtol(cl + 15, NULL, 10) : 0;
	x->in_body = 1;
	char first[sizeof x->buf];
	memcpy(first, x->buf + head, rest);
	x->n = 0;
	int done = body(x, first, rest, events);
	return done || take == got ? done : body(x, p + take, got - take, events);
}

struct load_result load(const char *path, const char *body, int clients, double seconds, double rate)
{
	static char req[8192];
	size_t len = (size_t)snprintf(req, sizeof req,
				      "POST /%s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
				      "Content-Length: %zu\r\n\r\n%s",
				      path, strlen(body), body);
	struct conn *c = calloc((size_t)clients, sizeof *c);
	int ep = epoll_create1(0);
	struct load_result r = {0};
	long events = 0;
	static char in[65536];
	size_t cap = 2000000, nl = 0;
	double *lat = malloc(cap * sizeof *lat);
	for (int i = 0; i < clients; i++) {
		c[i].fd = connect_server();
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
			x->in_body = 0;
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
			ssize_t got = read(x->fd, in, sizeof in);
			int done = got > 0 ? received(x, in, (size_t)got, &events) : -1;
			if (done < 0) {
				r.errors++;
				goto out;
			}
			if (done) {
				if (x->status != 200)
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
	r.chunks = (double)events / elapsed;
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



int vouchd_dirs(char *dir, char state[96], char run[96])
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(state, 96, "%s/state", dir);
	snprintf(run, 96, "%s/run", dir);
	snprintf(sock_path, sizeof sock_path, "%s/dstack.sock", run);
	return 0;
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
		int fd = connect_server();
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
