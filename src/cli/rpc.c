/* A small client for vouchd's sockets, with libcurl (which speaks HTTP over unix sockets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"
#include "rpc.h"
#include "vouch/util.h"

struct sink {
	char *p;
	size_t n;
};

static size_t on_data(char *p, size_t s, size_t n, void *ud)
{
	struct sink *k = ud;
	size_t len = s * n;
	if (k->n + len > (64u << 20))
		return 0;
	char *q = realloc(k->p, k->n + len + 1);
	if (!q)
		return 0;
	memcpy(q + k->n, p, len);
	k->p = q;
	k->n += len;
	k->p[k->n] = 0;
	return len;
}

/* POST body to url, over the unix socket at path when path is given */
static json_t *post(const char *path, const char *url, const char *method, json_t *body, const char *verb)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : strdup("{}");
	struct sink k = {0};
	long status = 0;
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	if (path)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(text);
	json_t *out = NULL;
	if (rc != CURLE_OK) {
		errorf(verb, "cannot reach vouchd at %s: %s%s", path ? path : url, curl_easy_strerror(rc),
		       path ? " (start it, or give --listen-dir)" : "");
	} else {
		out = json_loadb(k.p ? k.p : "", k.n, JSON_DECODE_ANY, NULL);
		if (status != 200) {
			json_t *e = json_object_get(out, "error");
			errorf(verb, "vouchd %s: HTTP %ld: %s", method, status, json_is_string(e) ? json_string_value(e) : "?");
			json_decref(out);
			out = NULL;
		} else if (!out) {
			errorf(verb, "vouchd %s: the response is not JSON", method);
		}
	}
	if (k.p)
		vouch_wipe(k.p, k.n);
	free(k.p);
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
