/* A small client for vouchd's sockets, with libcurl (which speaks HTTP over unix sockets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rpc.h"
#include "vouchd_client.h"
#include "vouch/util.h"

/* POST body to url, over the unix socket at path when path is given; errors printed for the verb */
static json_t *post(const char *path, const char *url, const char *method, json_t *body, const char *verb)
{
	long status;
	char err[512];
	json_t *out = vc_post(path, url, body, &status, err, sizeof err);
	if (!out && status == 0)
		errorf(verb, "cannot reach vouchd at %s: %s%s", path ? path : url, err,
		       path ? " (start it, or give --listen-dir)" : "");
	else if (!out)
		errorf(verb, "vouchd %s: %s", method, err);
	return out;
}

json_t *rpc_call(const char *listen_dir, const char *socket, const char *method, json_t *body, const char *verb)
{
	char dir[4096], path[4200], url[256];
	if (!listen_dir)
		listen_dir = vouch_default_listen_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/%s", listen_dir, socket);
	snprintf(url, sizeof url, "http://localhost/%s", method);
	return post(path, url, method, body, verb);
}

json_t *rpc_call_url(const char *base, const char *method, json_t *body, const char *verb)
{
	char url[2048];
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	snprintf(url, sizeof url, "%.*s/prpc/%s", (int)n, base, method);
	return post(NULL, url, method, body, verb);
}
