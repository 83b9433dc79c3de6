/* vouchd's request path after HTTP framing: routing, JSON decoding, field getters and every handler, on a
 * simulated TEE in a scratch state directory. Input: "<url>\n<body>". EmitEvent, JournalAppend and
 * JournalCheckpoint are left out: each call would grow the event log or the journal (an fsync each) for the
 * rest of the run; tests/daemon covers them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "log.h"

static struct app app;
static char dir[] = "/tmp/vouch-fuzz-XXXXXX";

static void cleanup(void)
{
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_request: could not remove %s\n", dir);
}
static struct route routes[3][16];
static size_t n_routes[3];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	log_level = LOG_ERR;
	struct config c = {.state_dir = dir, .tee = "sim", .fs_root = "/nonexistent", .socket_mode = 0660,
			   .limits = {.max_body = 1u << 16, .max_connections = 16, .idle_timeout_s = 10,
				      .max_header_bytes = 32768}};
	c.sign_only[c.n_sign_only++] = "wallet/";
	char err[256];
	if (app_init(&app, &c, err, sizeof err)) {
		fprintf(stderr, "fuzz_request: %s\n", err);
		abort();
	}
	const struct route *tables[3] = {dstack_routes, tappd_routes, public_routes};
	size_t sizes[3] = {n_dstack_routes, n_tappd_routes, n_public_routes};
	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < sizes[k]; i++)
			if (strcmp(tables[k][i].method, "EmitEvent") && strcmp(tables[k][i].method, "JournalAppend") &&
			    strcmp(tables[k][i].method, "JournalCheckpoint"))
				routes[k][n_routes[k]++] = tables[k][i];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl || nl - data > 200)
		return 0;
	char url[201];
	memcpy(url, data, (size_t)(nl - data));
	url[nl - data] = 0;
	int kind = strncmp(url, "/prpc/Worker.", 13) == 0 ? LISTEN_PUBLIC : strncmp(url, "/prpc/", 6) == 0 ? LISTEN_TAPPD : LISTEN_DSTACK;
	char *out = NULL;
	unsigned status;
	http_dispatch(&app, (enum listener_kind)kind, routes[kind], n_routes[kind], url, 0, (const char *)nl + 1,
		      size - (size_t)(nl - data) - 1, NULL, NULL, &out, &status);
	free(out);
	return 0;
}
