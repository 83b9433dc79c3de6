/* fake_llm: a small OpenAI-compatible server for the gateway's tests and benchmark. No model can run here, so
 * it answers with deterministic tokens: "tok0 tok1 …", each tagged with the request's first user message so
 * that concurrent answers are told apart. Real HTTP (libmicrohttpd) on 127.0.0.1.
 *
 *   POST /v1/chat/completions, POST /v1/completions   {"model", "messages"|"prompt", "stream", "max_tokens"}
 *   GET  /v1/models
 * The model name steers the behaviour the tests need: "fake-slow" waits 50 ms per token (and 2 s before a
 * non-streamed answer), "fake-paced-<ms>" streams a token every <ms> ms (a model's pace, for the benchmark),
 * "fake-fail" answers 500 ("fake-fail-big": with a 3 MiB body), "fake-big" sends 4,000 tokens, "fake-cut" breaks
 * its stream off after 3 events, "fake-spaced" answers JSON with spaces and the id not first, "fake-fixed-id"
 * always answers id "chatcmpl-0", "fake-hold" holds the request 10 s before answering (printing "holding a
 * request"), watching its client: if the client (the gateway) closes the connection, it prints "client left after
 * <ms> ms" and stops, as vLLM stops a request whose client has gone. "fake-dup-id" gives its (chat) answer, and
 * each event of its stream, a second top-level id "dup-<n>" after the first ("fake-dup-id-escaped": named
 * "\u0069d"). "fake-bad-type" answers with a Content-Type holding control bytes ("fake-bad-type-fail": a 500
 * with it, streamed or not). Ids are otherwise "chatcmpl-<n>" and "cmpl-<n>", n counting from 1.
 *
 *   fake_llm [--port N] [--token T]   prints "port N" once listening; runs until SIGTERM. With --token, every
 *                                     request must carry "Authorization: Bearer T" (else 401), as vLLM --api-key */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

static atomic_long next_id;
static const char *token; /* --token: the API key asked of every request (as vLLM --api-key) */
static volatile sig_atomic_t stop;

struct body {
	char *p;
	size_t n;
};

struct stream {
	int chat;
	long id;
	char model[64], tag[64];
	int tokens, sent, done, delay_ms;
	int cut_after; /* > 0: the stream breaks off after this many events (no clean end) */
	char dup[64];  /* "" or a second id member, from its comma: fake-dup-id */
};

#define BAD_TYPE "application/json\x01\x1b[2J" /* fake-bad-type: control bytes, CR and LF aside (MHD refuses those) */

static void tag_of(json_t *req, int chat, char *out, size_t cap)
{
	const char *t = NULL;
	if (chat) {
		json_t *m = json_array_get(json_object_get(req, "messages"), 0);
		t = json_string_value(json_object_get(m, "content"));
	} else {
		t = json_string_value(json_object_get(req, "prompt"));
	}
	snprintf(out, cap, "%s", t ? t : "");
	for (char *c = out; *c; c++)
		if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
			*c = '_';
}

/* One SSE event ("data: …\n\n") for token i, the final chunk, or [DONE]. */
static int event(const struct stream *s, int i, char *buf, size_t cap)
{
	if (i == s->tokens + 1)
		return snprintf(buf, cap, "data: [DONE]\n\n");
	int last = i == s->tokens;
	char tok[96] = "";
	if (!last)
		snprintf(tok, sizeof tok, "tok%d[%s] ", i, s->tag);
	if (s->chat)
		return snprintf(buf, cap,
				"data: {\"id\":\"chatcmpl-%ld\",\"object\":\"chat.completion.chunk\",\"created\":1764000000,"
				"\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{%s%s%s},\"finish_reason\":%s}]%s}\n\n",
				s->id, s->model, last ? "" : "\"content\":\"", tok, last ? "" : "\"", last ? "\"stop\"" : "null",
				s->dup);
	return snprintf(buf, cap,
			"data: {\"id\":\"cmpl-%ld\",\"object\":\"text_completion\",\"created\":1764000000,\"model\":\"%s\","
			"\"choices\":[{\"index\":0,\"text\":\"%s\",\"finish_reason\":%s}]}\n\n",
			s->id, s->model, tok, last ? "\"stop\"" : "null");
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct stream *s = cls;
	if (s->sent > s->tokens + 1)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (s->cut_after && s->sent >= s->cut_after)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (s->delay_ms)
		usleep((useconds_t)s->delay_ms * 1000);
	char e[512];
	int n = event(s, s->sent, e, sizeof e);
	if ((size_t)n > max)
		return 0;
	memcpy(buf, e, (size_t)n);
	s->sent++;
	return n;
}

static enum MHD_Result typed_answer(struct MHD_Connection *c, unsigned status, const char *text, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (MHD_add_response_header(r, "Content-Type", type) != MHD_YES)
		fprintf(stderr, "fake_llm: MHD refused the Content-Type\n");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result json_answer(struct MHD_Connection *c, unsigned status, const char *text)
{
	return typed_answer(c, status, text, "application/json");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **ctx)
{
	(void)cls, (void)version;
	struct body *b = *ctx;
	if (!b) {
		*ctx = calloc(1, sizeof *b);
		return MHD_YES;
	}
	if (*size) {
		char *p = realloc(b->p, b->n + *size + 1);
		if (!p)
			return MHD_NO;
		memcpy(p + b->n, data, *size);
		b->p = p, b->n += *size, b->p[b->n] = 0;
		*size = 0;
		return MHD_YES;
	}
	if (token) {
		const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		if (!auth || strncmp(auth, "Bearer ", 7) || strcmp(auth + 7, token))
			return json_answer(c, 401, "{\"error\":{\"message\":\"the backend's API key is missing or wrong\","
						   "\"type\":\"invalid_request_error\"}}");
	}
	if (!strcmp(method, "GET") && !strcmp(url, "/v1/models"))
		return json_answer(c, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"fake-model\",\"object\":\"model\","
					   "\"created\":1764000000,\"owned_by\":\"vouch-tests\"}]}");
	int chat = !strcmp(url, "/v1/chat/completions");
	if (strcmp(method, "POST") || (!chat && strcmp(url, "/v1/completions")))
		return json_answer(c, 404, "{\"error\":{\"message\":\"not found\",\"type\":\"invalid_request_error\"}}");
	json_t *req = json_loadb(b->p ? b->p : "", b->n, 0, NULL);
	if (!json_is_object(req)) {
		json_decref(req);
		return json_answer(c, 400, "{\"error\":{\"message\":\"invalid JSON\",\"type\":\"invalid_request_error\"}}");
	}
	struct stream s = {.chat = chat, .id = atomic_fetch_add(&next_id, 1) + 1};
	const char *model = json_string_value(json_object_get(req, "model"));
	snprintf(s.model, sizeof s.model, "%s", model ? model : "fake-model");
	tag_of(req, chat, s.tag, sizeof s.tag);
	json_t *mt = json_object_get(req, "max_tokens");
	s.tokens = json_is_integer(mt) && json_integer_value(mt) > 0 && json_integer_value(mt) < 100000
			   ? (int)json_integer_value(mt) : 16;
	if (!strcmp(s.model, "fake-big"))
		s.tokens = 4000;
	if (!strcmp(s.model, "fake-slow"))
		s.delay_ms = 50;
	if (sscanf(s.model, "fake-paced-%d", &s.delay_ms) == 1 && (s.delay_ms < 0 || s.delay_ms > 10000))
		s.delay_ms = 0;
	if (!strcmp(s.model, "fake-cut"))
		s.cut_after = 3;
	if (!strcmp(s.model, "fake-fixed-id"))
		s.id = 0;
	if (!strcmp(s.model, "fake-dup-id") || !strcmp(s.model, "fake-dup-id-escaped"))
		snprintf(s.dup, sizeof s.dup, ",\"%s\":\"dup-%ld\"", strcmp(s.model, "fake-dup-id") ? "\\u0069d" : "id", s.id);
	int streaming = json_is_true(json_object_get(req, "stream"));
	json_decref(req);
	if (!strcmp(s.model, "fake-hold")) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		printf("holding a request\n");
		fflush(stdout);
		for (int ms = 0; ms < 10000; ms += 10) {
			struct pollfd p = {.fd = ci->connect_fd, .events = POLLRDHUP};
			if (poll(&p, 1, 10) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
				printf("client left after %d ms\n", ms);
				fflush(stdout);
				return MHD_NO;
			}
		}
	}
	if (!strcmp(s.model, "fake-bad-type-fail"))
		return typed_answer(c, 500, "{\"error\":{\"message\":\"the model failed\",\"type\":\"server_error\"}}", BAD_TYPE);
	if (!strcmp(s.model, "fake-fail"))
		return json_answer(c, 500, "{\"error\":{\"message\":\"the model failed\",\"type\":\"server_error\"}}");
	if (!strcmp(s.model, "fake-fail-big")) {
		size_t n = 3u << 20;
		char *big = malloc(n + 64);
		int k = sprintf(big, "{\"error\":{\"type\":\"server_error\",\"message\":\"");
		memset(big + k, 'x', n);
		strcpy(big + k + n, "\"}}");
		enum MHD_Result ret = json_answer(c, 500, big);
		free(big);
		return ret;
	}
	if (streaming) {
		struct stream *heap = malloc(sizeof *heap);
		*heap = s;
		struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, stream_read, heap, free);
		MHD_add_response_header(r, "Content-Type", "text/event-stream");
		enum MHD_Result ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (!strcmp(s.model, "fake-slow"))
		usleep(2000 * 1000);
	size_t cap = 256 + (size_t)s.tokens * 96;
	char *text = malloc(cap), *content = malloc((size_t)s.tokens * 96 + 1), *answer = malloc(cap + 512);
	size_t at = 0;
	content[0] = 0;
	for (int i = 0; i < s.tokens; i++)
		at += (size_t)snprintf(content + at, (size_t)s.tokens * 96 + 1 - at, "tok%d[%s] ", i, s.tag);
	if (chat && !strcmp(s.model, "fake-spaced"))
		snprintf(answer, cap + 512,
			 "{ \"object\": \"chat.completion\", \"id\": \"chatcmpl-%ld\", \"model\": \"%s\", \"choices\": [ "
			 "{ \"index\": 0, \"message\": { \"role\": \"assistant\", \"content\": \"%s\" } } ] }",
			 s.id, s.model, content);
	else if (chat)
		snprintf(answer, cap + 512,
			 "{\"id\":\"chatcmpl-%ld\",\"object\":\"chat.completion\",\"created\":1764000000,\"model\":\"%s\","
			 "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},"
			 "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":%d,\"total_tokens\":%d}%s}",
			 s.id, s.model, content, s.tokens, s.tokens + 5, s.dup);
	else
		snprintf(answer, cap + 512,
			 "{\"id\":\"cmpl-%ld\",\"object\":\"text_completion\",\"created\":1764000000,\"model\":\"%s\","
			 "\"choices\":[{\"index\":0,\"text\":\"%s\",\"finish_reason\":\"stop\"}],"
			 "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":%d,\"total_tokens\":%d}}",
			 s.id, s.model, content, s.tokens, s.tokens + 5);
	enum MHD_Result ret = typed_answer(c, 200, answer, strcmp(s.model, "fake-bad-type") ? "application/json" : BAD_TYPE);
	free(text);
	free(content);
	free(answer);
	return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode code)
{
	(void)cls, (void)c, (void)code;
	struct body *b = *ctx;
	if (b)
		free(b->p);
	free(b);
	*ctx = NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned port = 0;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--token") && i + 1 < argc)
			token = argv[++i];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
							MHD_USE_POLL,
						0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &sa,
						MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_LIMIT,
						(unsigned)4096, MHD_OPTION_THREAD_STACK_SIZE, (size_t)256 * 1024,
						MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "fake_llm: cannot listen\n");
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("port %u\n", info ? info->port : port);
	fflush(stdout);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	return 0;
}
