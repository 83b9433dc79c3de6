/* vouchd's JSON client (see vouchd_client.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "vouch/util.h"
#include "vouchd_client.h"

/* vouchd's answers may carry secrets (GetKey, GetTlsKey): the buffer wipes what it leaves behind */
static size_t on_data(char *p, size_t s, size_t n, void *ud)
{
	return vouch_buf_add(ud, p, s * n, 64u << 20) ? 0 : s * n;
}

/* one easy handle per thread: its connection stays open between calls, and goes with the thread */
struct handle {
	CURL *c;
	char path[256];
};
static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void handle_free(void *p)
{
	struct handle *h = p;
	curl_easy_cleanup(h->c);
	free(h);
}

static void key_init(void)
{
	pthread_key_create(&key, handle_free);
}

static CURL *thread_handle(const char *unix_path)
{
	pthread_once(&once, key_init);
	struct handle *h = pthread_getspecific(key);
	if (h && strcmp(h->path, unix_path ? unix_path : "")) {
		handle_free(h);
		h = NULL;
	}
	if (!h) {
		if (!(h = calloc(1, sizeof *h)) || !(h->c = curl_easy_init())) {
			free(h);
			return NULL;
		}
		snprintf(h->path, sizeof h->path, "%s", unix_path ? unix_path : "");
		pthread_setspecific(key, h);
	}
	return h->c;
}

json_t *vc_post(const char *unix_path, const char *url, json_t *body, long *status, char *err, size_t cap)
{
	*status = 0;
	CURL *c = thread_handle(unix_path);
	if (!c) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	char *text = body ? json_dumps(body, JSON_COMPACT) : strdup("{}");
	vouch_buf k = {0};
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, unix_path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	free(text);
	json_t *out = NULL;
	if (rc != CURLE_OK) {
		snprintf(err, cap, "%s", curl_easy_strerror(rc));
		*status = 0;
	} else {
		out = json_loadb(k.p ? k.p : "", k.len, JSON_DECODE_ANY, NULL);
		if (*status != 200) {
			json_t *e = json_object_get(out, "error");
			snprintf(err, cap, "HTTP %ld: %s", *status, json_is_string(e) ? json_string_value(e) : "?");
			json_decref(out);
			out = NULL;
		} else if (!out) {
			snprintf(err, cap, "the response is not JSON");
		}
	}
	vouch_buf_free(&k);
	return out;
}

int vc_socket_path(const char *where, char **out, char *err, size_t cap)
{
	struct stat st;
	*out = NULL;
	if (stat(where, &st)) {
		snprintf(err, cap, "%s: no such socket or directory (is vouchd running?)", where);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode) && !S_ISDIR(st.st_mode)) {
		snprintf(err, cap, "%s: neither a socket nor a directory", where);
		return -1;
	}
	size_t n = strlen(where) + sizeof "/dstack.sock";
	if (!(*out = malloc(n))) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	snprintf(*out, n, S_ISDIR(st.st_mode) ? "%s/dstack.sock" : "%s", where);
	return 0;
}
