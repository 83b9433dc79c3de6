/* vouch-gateway benchmark: the same OpenAI-compatible backend (tests/tools/fake_llm: no model runs here, it
 * writes deterministic tokens as fast as it can, or at a model's pace) asked directly and through the gateway,
 * in one run, the two interleaved round by round and the median round reported:
 *   - chat completions, not streamed: 500 requests/s on a schedule (open loop: the latency the gateway adds
 *     when its receipt signers keep up), 1 client back to back (the same, with the signers of the previous
 *     answers busy on the same CPUs) and 16 clients (requests/s);
 *   - streamed: 16 clients taking tokens as fast as the backend writes them (streams of 64 tokens, where each
 *     stream's receipt weighs, and of 2,048), and 128 clients at a model's pace (a token every 20 ms), in SSE
 *     chunks/s.
 * Through the gateway every answer is also signed twice (ECDSA, Ed25519) in vouchd and journaled, in the
 * background; the rounds leave the gateway time to finish that between them.
 *
 *   bench_gateway [--seconds S] [--rounds N] [--gateway PATH] [--vouchd PATH] [--backend PATH]
 */
#include <netinet/in.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "loadgen.h"

#define MAX_ROUNDS 9

static pid_t spawn(const char *bin, char *const argv[], int out_fd)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (out_fd >= 0)
			dup2(out_fd, 1);
		execv(bin, argv);
		_exit(127);
	}
	return pid;
}

/* fake_llm prints "port N" once listening */
static pid_t start_backend(const char *bin, unsigned short *port)
{
	int p[2];
	if (pipe(p))
		return -1;
	char *const argv[] = {"fake_llm", NULL};
	pid_t pid = spawn(bin, argv, p[1]);
	close(p[1]);
	FILE *f = fdopen(p[0], "r");
	unsigned n = 0;
	if (!f || fscanf(f, "port %u", &n) != 1 || !n) {
		fprintf(stderr, "the backend did not start\n");
		return -1;
	}
	fclose(f);
	*port = (unsigned short)n;
	return pid;
}

/* a free loopback port, found by binding port 0 */
static unsigned short free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned short port = 0;
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof sa) && !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* waits until 127.0.0.1:port answers GET /v1/models */
static int wait_ready(unsigned short port)
{
	static const char req[] = "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[8192];
	tcp_port = port;
	for (double t0 = now_s(); now_s() - t0 < 30; usleep(20000)) {
		int fd = connect_server();
		if (fd < 0)
			continue;
		int st = roundtrip(fd, req, sizeof req - 1, buf, sizeof buf);
		close(fd);
		if (st == 200)
			return 0;
	}
	fprintf(stderr, "port %u did not answer\n", port);
	return -1;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[n / 2];
}

struct side {
	double rate[MAX_ROUNDS], p50[MAX_ROUNDS], p99[MAX_ROUNDS], chunks[MAX_ROUNDS];
	int errors;
};

/* One load, rounds times on each side, direct and gateway alternating. */
static void measure(const char *body, int clients, double rate, double seconds, int rounds, unsigned short direct,
		    unsigned short gateway, struct side out[2])
{
	memset(out, 0, 2 * sizeof *out);
	for (int k = 0; k < rounds; k++)
		for (int s = 0; s < 2; s++) {
			tcp_port = s ? gateway : direct;
			struct load_result r = load("v1/chat/completions", body, clients, seconds, rate);
			out[s].rate[k] = r.rate, out[s].p50[k] = r.p50, out[s].p99[k] = r.p99, out[s].chunks[k] = r.chunks;
			out[s].errors += r.errors;
			if (s)
				sleep(1); /* the gateway signs and journals the round's receipts */
		}
}

static void row(const char *what, const char *side, struct side *x, int rounds)
{
	printf("%-38s %-8s %9.0f %9.0f %9.0f %11.0f%s\n", what, side, median(x->rate, rounds), median(x->p50, rounds) * 1e6,
	       median(x->p99, rounds) * 1e6, median(x->chunks, rounds), x->errors ? "  ERRORS" : "");
}

int main(int argc, char **argv)
{
	const char *gateway = VOUCH_GATEWAY_BIN, *vouchd = VOUCH_VOUCHD_BIN, *backend = VOUCH_FAKE_LLM_BIN;
	double seconds = 3;
	int rounds = 3;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--gateway") && i + 1 < argc)
			gateway = argv[++i];
		else if (!strcmp(argv[i], "--vouchd") && i + 1 < argc)
			vouchd = argv[++i];
		else if (!strcmp(argv[i], "--backend") && i + 1 < argc)
			backend = argv[++i];
		else {
			fprintf(stderr, "usage: bench_gateway [--seconds S] [--rounds N] [--gateway PATH] [--vouchd PATH] "
					"[--backend PATH]\n");
			return 64;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 3;
	char dir[] = "/tmp/vouch-bench-XXXXXX", state[96], run[96], backend_url[64], listen[32];
	if (vouchd_dirs(dir, state, run))
		return 1;

	/* the gateway's principal: its keys and journal are its alone, reached through its own socket */
	char config[128], gsock[128];
	snprintf(config, sizeof config, "%s/vouchd.json", dir);
	snprintf(gsock, sizeof gsock, "%s/gateway.sock", run);
	FILE *cf = fopen(config, "w");
	if (!cf || fputs("{\"principals\": [{\"name\": \"gateway\", \"socket\": \"gateway.sock\", \"keys\": [\"gateway/\"], "
			 "\"journals\": [\"gateway\"]}]}\n", cf) < 0 || fclose(cf)) {
		fprintf(stderr, "cannot write %s\n", config);
		return 1;
	}
	char *const vargs[] = {"--tee", "sim", "--state-dir", state, "--listen-dir", run, "--config", config, "-q", NULL};
	pid_t vd = start_vouchd(vouchd, vargs, NULL);
	unsigned short direct = 0, via = free_port();
	pid_t be = start_backend(backend, &direct);
	if (vd < 0 || be < 0)
		return 1;
	snprintf(backend_url, sizeof backend_url, "http://127.0.0.1:%u", direct);
	snprintf(listen, sizeof listen, "127.0.0.1:%u", via);
	char *const gargs[] = {"vouch-gateway", "--backend", backend_url, "--listen", listen, "--vouchd", gsock, NULL};
	int devnull = open("/dev/null", O_WRONLY);
	pid_t gw = spawn(gateway, gargs, devnull);
	if (wait_ready(direct) || wait_ready(via))
		return 1;

	char date[32];
	time_t now = time(NULL);
	strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
	printf("vouch-gateway benchmark, %s, %ld CPUs (backend, gateway, vouchd and this client share them); %d rounds "
	       "of %.0f s a side, medians\n\n",
	       date, sysconf(_SC_NPROCESSORS_ONLN), rounds, seconds);
	printf("%-38s %-8s %9s %9s %9s %11s\n", "load", "path", "req/s", "p50 us", "p99 us", "chunks/s");

	static const char plain[] = "{\"model\":\"fake-model\",\"messages\":[{\"role\":\"user\",\"content\":\"bench\"}],"
				    "\"max_tokens\":16}",
			  fast[] = "{\"model\":\"fake-model\",\"messages\":[{\"role\":\"user\",\"content\":\"bench\"}],"
				   "\"max_tokens\":64,\"stream\":true}",
			  fast_long[] = "{\"model\":\"fake-model\",\"messages\":[{\"role\":\"user\",\"content\":\"bench\"}],"
					"\"max_tokens\":2048,\"stream\":true}",
			  paced[] = "{\"model\":\"fake-paced-20\",\"messages\":[{\"role\":\"user\",\"content\":\"bench\"}],"
				    "\"max_tokens\":64,\"stream\":true}";
	static const struct {
		const char *name, *body;
		int clients;
		double rate;
	} loads[] = {
		{"chat, not streamed, 500/s", plain, 4, 500},
		{"chat, not streamed, 1 client", plain, 1, 0},
		{"chat, not streamed, 16 clients", plain, 16, 0},
		{"stream, 16 clients, backend flat out", fast, 16, 0},
		{"stream, 128 clients, 50 tokens/s", paced, 128, 0},
		{"stream, 16 clients, flat out, 2048 tok", fast_long, 16, 0},
	};
	enum { N_LOADS = sizeof loads / sizeof loads[0] };
	struct side res[N_LOADS][2];
	for (int i = 0; i < N_LOADS; i++) {
		measure(loads[i].body, loads[i].clients, loads[i].rate, seconds, rounds, direct, via, res[i]);
		row(loads[i].name, "direct", &res[i][0], rounds);
		row("", "gateway", &res[i][1], rounds);
	}
	printf("\nlatency the gateway adds, not streamed (goal: p50 <= 200 us):\n");
	for (int i = 0; i < 2; i++)
		printf("  %-28s p50 %+5.0f us, p99 %+5.0f us\n", loads[i].name + 20,
		       (median(res[i][1].p50, rounds) - median(res[i][0].p50, rounds)) * 1e6,
		       (median(res[i][1].p99, rounds) - median(res[i][0].p99, rounds)) * 1e6);
	printf("requests/s through the gateway, 16 clients: %.1f%% of direct\n",
	       100 * median(res[2][1].rate, rounds) / median(res[2][0].rate, rounds));
	printf("streamed chunks/s through the gateway: %.1f%% of direct at a model's pace; flat out %.1f%% with\n"
	       "  64-token streams (a receipt every 66 chunks), %.1f%% with 2,048-token streams (goal: >= 98%%)\n",
	       100 * median(res[4][1].chunks, rounds) / median(res[4][0].chunks, rounds),
	       100 * median(res[3][1].chunks, rounds) / median(res[3][0].chunks, rounds),
	       100 * median(res[5][1].chunks, rounds) / median(res[5][0].chunks, rounds));
	printf("gateway RSS after the load: %.2f MiB\n", proc_status_kib(gw, "VmRSS") / 1024.0);

	kill(gw, SIGTERM);
	waitpid(gw, NULL, 0);
	kill(be, SIGTERM);
	waitpid(be, NULL, 0);
	kill(vd, SIGTERM);
	waitpid(vd, NULL, 0);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
