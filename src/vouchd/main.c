/* vouchd: the daemon inside the TEE. Serves dstack's guest API on DIR/dstack.sock and DIR/tappd.sock (and,
 * when asked, a read-only TCP listener), with keys from the app's root, quotes from the TEE backend, and
 * the runtime event log. SIGTERM or SIGINT: stop serving, remove the sockets, wipe the keys, exit 0. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "app.h"
#include "log.h"
#include "policy.h"
#include "vouch/err.h"
#include "vouch/util.h"

/* Every JSON value vouchd frees is wiped first: requests and responses carry keys. */
static void wiping_free(void *p)
{
	if (p) {
		vouch_wipe(p, malloc_usable_size(p));
		free(p);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vouchd [options]\n"
		"  --tee sim|tdx|auto     TEE backend (default auto: tdx in a TDX guest, i.e. when /dev/tdx_guest\n"
		"                         or its measurement files exist; else the simulator)\n"
		"  --state-dir DIR        keys, simulated PKI, runtime events ($VOUCH_STATE_DIR; default\n"
		"                         /var/lib/vouch as root, else ~/.local/state/vouch)\n"
		"  --listen-dir DIR       where dstack.sock and tappd.sock are created ($VOUCH_LISTEN_DIR;\n"
		"                         default /var/run/dstack as root, else $XDG_RUNTIME_DIR/vouch)\n"
		"  --config FILE          JSON: {\"sign_only\": [prefixes], \"public\": \"ADDR:PORT\", \"limits\": {…},\n"
		"                         \"journal\": {\"checkpoint_every\": 1000, \"checkpoint_interval_s\": 10},\n"
		"                         \"principals\": [{\"name\": \"gateway\", \"uid\": 998, \"gid\": 998,\n"
		"                         \"socket\": \"gateway.sock\", \"keys\": [\"gateway/\"], \"journals\": [\"gateway\"],\n"
		"                         \"export\": false}]} (a principal's keys and journals are its alone)\n"
		"  --public ADDR:PORT     read-only TCP listener (Worker.Info, Worker.Version,\n"
		"                         Worker.GetAttestationForAppKey, the journals' reads); off by default\n"
		"  --sign-only PREFIX     key paths under PREFIX are sign-only (repeatable)\n"
		"  --app-keys FILE        dstack app-keys file (default: STATE/app-keys.json, generated once)\n"
		"  --compose FILE         app-compose.json (default: STATE/app-compose.json, generated once)\n"
		"  --sys-config FILE      dstack sys-config.json (its vm_config and os_image_hash)\n"
		"  --socket-mode MODE     unix socket permissions (default 0660)\n"
		"  --fs-root DIR          filesystem root the tdx backend reads (default /; tests use a fake tree)\n"
		"  --reseal               accept journal entries that STATE/journal.seal does not cover (after\n"
		"                         an audit; vouchd otherwise refuses a store it did not seal)\n"
		"  --new-identity         generate new app keys in a state directory that was used before (the\n"
		"                         wallet keys and journal keys change)\n"
		"  -v, --verbose / -q, --quiet\n"
		"  --version, --help\n");
}

static int load_config(struct config *c, const char *path)
{
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);
	if (!json_is_object(o)) {
		vlog(LOG_ERR, "config %s: %s", path, o ? "not a JSON object" : je.text);
		json_decref(o);
		return -1;
	}
	json_t *v, *lim = json_object_get(o, "limits");
	size_t i;
	char perr[512];
	if (policy_parse(json_object_get(o, "principals"), &c->principals, &c->n_principals, perr, sizeof perr)) {
		vlog(LOG_ERR, "config %s: %s", path, perr);
		json_decref(o);
		return -1;
	}
	json_array_foreach(json_object_get(o, "sign_only"), i, v)
	{
		if (!json_is_string(v) || c->n_sign_only == MAX_SIGN_ONLY) {
			vlog(LOG_ERR, "config %s: sign_only must be at most %d strings", path, MAX_SIGN_ONLY);
			json_decref(o);
			return -1;
		}
		c->sign_only[c->n_sign_only++] = strdup(json_string_value(v));
	}
	if (json_is_string(v = json_object_get(o, "public")))
		c->public_addr = strdup(json_string_value(v));
	if (json_is_string(v = json_object_get(o, "tee")))
		c->tee = strdup(json_string_value(v));
	if (json_is_string(v = json_object_get(o, "state_dir")))
		c->state_dir = strdup(json_string_value(v));
	if (json_is_string(v = json_object_get(o, "listen_dir")))
		c->listen_dir = strdup(json_string_value(v));
#define LIMIT(name, field)                                                                                         \
	if (json_is_integer(v = json_object_get(lim, name)) && json_integer_value(v) > 0)                         \
	c->limits.field = (__typeof__(c->limits.field))json_integer_value(v)
	LIMIT("max_body", max_body);
	LIMIT("max_connections", max_connections);
	LIMIT("idle_timeout_s", idle_timeout_s);
	LIMIT("max_header_bytes", max_header_bytes);
	LIMIT("head_timeout_s", head_timeout_s);
	LIMIT("body_timeout_s", body_timeout_s);
	LIMIT("per_ip_connections", per_ip_connections);
	LIMIT("public_quotes", public_quotes);
#undef LIMIT
	json_t *jr = json_object_get(o, "journal");
	if (json_is_integer(v = json_object_get(jr, "checkpoint_every")) && json_integer_value(v) >= 0)
		c->journal_checkpoint_every = (unsigned)json_integer_value(v);
	if (json_is_integer(v = json_object_get(jr, "checkpoint_interval_s")) && json_integer_value(v) >= 0)
		c->journal_checkpoint_interval_s = (unsigned)json_integer_value(v);
	json_decref(o);
	return 0;
}

/* The socket is bound, given its mode and listening under a temporary name, then renamed into place: its path
 * appears only once connect() works (a client that waits for the file never meets a refused connection), and
 * a stale socket of an earlier run is replaced in one step. */
static int unix_listen(const char *dir, const char *name, unsigned mode, uid_t uid, gid_t gid, char *path, size_t cap)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char tmp[sizeof sa.sun_path];
	if (snprintf(path, cap, "%s/%s", dir, name) >= (int)sizeof sa.sun_path ||
	    snprintf(tmp, sizeof tmp, "%s/.%s.new", dir, name) >= (int)sizeof tmp) {
		vlog(LOG_ERR, "socket path %s/%s is too long", dir, name);
		return -1;
	}
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", tmp);
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		vlog(LOG_ERR, "%s exists and is not a socket", path);
		return -1;
	}
	unlink(tmp); /* left by a run that died between bind and rename */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(tmp, uid, gid)) || chmod(tmp, (mode_t)mode) || listen(fd, 1024) ||
	    rename(tmp, path)) {
		vlog(LOG_ERR, "cannot listen on %s: %s", path, strerror(errno));
		unlink(tmp);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* A principal's own socket: the dstack API, mode 0600, owned by the principal's uid and gid when given and
 * vouchd is root. In a dstack CVM, where every container runs as root, the socket is what tells components
 * apart: mount only gateway.sock into the gateway's container. */
struct principal_socket {
	int fd;
	char path[4200];
	struct listener *l;
};

static int principal_sockets(struct app *app, struct principal_socket *ps)
{
	const struct config *c = &app->cfg;
	int root = geteuid() == 0;
	for (size_t i = 0; i < c->n_principals; i++) {
		const struct principal *p = &c->principals[i];
		if (p->has_uid && p->uid == 0)
			vlog(LOG_WARN, "principal %s is uid 0: on the shared sockets every process running as root is %s",
			     p->name, p->name);
		if (!p->socket)
			continue;
		if (!root && p->has_uid && p->uid != geteuid())
			vlog(LOG_WARN, "principal %s: vouchd is not root, so %s stays owned by uid %u: uid %u cannot connect",
			     p->name, p->socket, (unsigned)geteuid(), (unsigned)p->uid);
		uid_t uid = root && p->has_uid ? p->uid : (uid_t)-1;
		gid_t gid = root && p->has_gid ? p->gid : (gid_t)-1;
		ps[i].fd = unix_listen(c->listen_dir, p->socket, 0600, uid, gid, ps[i].path, sizeof ps[i].path);
		if (ps[i].fd < 0)
			return -1;
		ps[i].l = listener_start(ps[i].fd, LISTEN_DSTACK, dstack_routes, n_dstack_routes, app, &c->limits, p);
		if (!ps[i].l)
			return -1;
		vlog(LOG_INFO, "principal %s: %s", p->name, ps[i].path);
	}
	return 0;
}

/* Listens on addr; *bound is the address it got (the port the system chose for port 0), for the ready line. */
static int tcp_listen(const char *addr, char *bound, size_t cap)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof host) {
		vlog(LOG_ERR, "--public %s: expected ADDR:PORT", addr);
		return -1;
	}
	snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
	if (host[0] == '[') { /* [::1]:8090 */
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = 0;
	}
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST, .ai_socktype = SOCK_STREAM}, *ai;
	if (getaddrinfo(host, colon + 1, &hints, &ai)) {
		vlog(LOG_ERR, "--public %s: not a numeric address and port", addr);
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) || bind(fd, ai->ai_addr, ai->ai_addrlen) ||
	    listen(fd, 1024)) {
		vlog(LOG_ERR, "cannot listen on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char h[NI_MAXHOST], port[NI_MAXSERV];
	if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(bound, cap, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", h, port);
	else
		snprintf(bound, cap, "%s", addr);
	return fd;
}

int main(int argc, char **argv)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	enum { O_TEE = 256, O_STATE, O_LISTEN, O_CONFIG, O_PUBLIC, O_KEYS, O_COMPOSE, O_SYS, O_MODE, O_ROOT, O_SIGN, O_VERSION, O_RESEAL, O_NEWID };
	static const struct option opts[] = {
		{"tee", required_argument, 0, O_TEE},           {"state-dir", required_argument, 0, O_STATE},
		{"listen-dir", required_argument, 0, O_LISTEN}, {"config", required_argument, 0, O_CONFIG},
		{"public", required_argument, 0, O_PUBLIC},     {"app-keys", required_argument, 0, O_KEYS},
		{"compose", required_argument, 0, O_COMPOSE},   {"sys-config", required_argument, 0, O_SYS},
		{"socket-mode", required_argument, 0, O_MODE},  {"fs-root", required_argument, 0, O_ROOT},
		{"sign-only", required_argument, 0, O_SIGN},    {"verbose", no_argument, 0, 'v'},
		{"quiet", no_argument, 0, 'q'},                 {"version", no_argument, 0, O_VERSION},
		{"help", no_argument, 0, 'h'},                  {"reseal", no_argument, 0, O_RESEAL},
		{"new-identity", no_argument, 0, O_NEWID},      {0},
	};
	struct config c = {
		.tee = "auto", .fs_root = "/", .socket_mode = 0660,
		.limits = {.max_body = 1u << 20, .max_connections = 4096, .idle_timeout_s = 10, .max_header_bytes = 32768,
			   .head_timeout_s = 10, .body_timeout_s = 30, .per_ip_connections = 64,
			   .public_quotes = 4},
		.journal_checkpoint_every = 1000, .journal_checkpoint_interval_s = 10,
	};
	const char *config_file = NULL, *tee = NULL, *state = NULL, *listen = NULL, *pub = NULL;
	char *extra_sign_only[MAX_SIGN_ONLY];
	size_t n_extra = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (ch) {
		case O_TEE: tee = optarg; break;
		case O_STATE: state = optarg; break;
		case O_LISTEN: listen = optarg; break;
		case O_CONFIG: config_file = optarg; break;
		case O_PUBLIC: pub = optarg; break;
		case O_KEYS: c.app_keys = optarg; break;
		case O_COMPOSE: c.compose = optarg; break;
		case O_SYS: c.sys_config = optarg; break;
		case O_MODE: c.socket_mode = (unsigned)strtoul(optarg, NULL, 8); break;
		case O_ROOT: c.fs_root = optarg; break;
		case O_RESEAL: c.reseal = 1; break;
		case O_NEWID: c.new_identity = 1; break;
		case O_SIGN:
			if (n_extra == MAX_SIGN_ONLY) {
				fprintf(stderr, "vouchd: at most %d --sign-only prefixes\n", MAX_SIGN_ONLY);
				return 64;
			}
			extra_sign_only[n_extra++] = optarg;
			break;
		case 'v': log_level = LOG_DEBUG; break;
		case 'q': log_level = LOG_WARN; break;
		case O_VERSION: printf("vouchd %s (dstack guest API %s)\n", VOUCHD_REV, VOUCHD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 64;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 64;
	}
	if (config_file && load_config(&c, config_file))
		return 64;
	char sbuf[4096], lbuf[4096];
	c.tee = tee ? tee : c.tee;
	c.state_dir = state ? state : c.state_dir ? c.state_dir : vouch_default_state_dir(sbuf, sizeof sbuf);
	c.listen_dir = listen ? listen : c.listen_dir ? c.listen_dir : vouch_default_listen_dir(lbuf, sizeof lbuf);
	c.public_addr = pub ? pub : c.public_addr;
	for (size_t i = 0; i < n_extra && c.n_sign_only < MAX_SIGN_ONLY; i++)
		c.sign_only[c.n_sign_only++] = extra_sign_only[i];
	if (strcmp(c.tee, "sim") && strcmp(c.tee, "tdx") && strcmp(c.tee, "auto")) {
		fprintf(stderr, "vouchd: --tee must be sim, tdx or auto\n");
		return 64;
	}

	/* A thread per connection: uncapped, glibc gives up to 8 arenas a CPU, each keeping pages after a flood
	 * (26 MiB after floods of 4,000 connections with 128, against 15 with 4); the trim after a flood (the
	 * http guard's) gives back the rest. 16, glibc's own number on 2 CPUs: 4 cost 13% of the journal's
	 * appends at 16 clients in lock contention (19.1k/s against 21.9k/s, bench_journal). Before any thread. */
	mallopt(M_ARENA_MAX, 16);
	json_set_alloc_funcs(malloc, wiping_free);
	/* room for the connections the limits allow: the soft file limit up to the hard one */
	unsigned long files = vouch_file_limit_raise();
	if (files < (unsigned long)c.limits.max_connections + 64) {
		c.limits.max_connections = files > 128 ? (unsigned)files - 64 : 64;
		vlog(LOG_WARN, "file limit %lu: serving at most %u connections", files, c.limits.max_connections);
	}
	signal(SIGPIPE, SIG_IGN);
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the server threads inherit the mask; main waits below */

	static struct app app;
	char err[512] = "";
	if (app_init(&app, &c, err, sizeof err)) {
		vlog(LOG_ERR, "%s", err);
		app_free(&app);
		return 1;
	}
	if (vouch_mkdirs(c.listen_dir, 0755)) {
		vlog(LOG_ERR, "cannot create %s: %s", c.listen_dir, strerror(errno));
		app_free(&app);
		return 1;
	}
	/* the principals' sockets first: once dstack.sock is there, so are they */
	static struct principal_socket ps[MAX_PRINCIPALS];
	for (size_t i = 0; i < MAX_PRINCIPALS; i++)
		ps[i].fd = -1;
	int ok = principal_sockets(&app, ps) == 0;
	char dpath[4200], tpath[4200];
	int dfd = !ok ? -1 : unix_listen(c.listen_dir, "dstack.sock", c.socket_mode, (uid_t)-1, (gid_t)-1, dpath, sizeof dpath);
	int tfd = dfd < 0 ? -1 : unix_listen(c.listen_dir, "tappd.sock", c.socket_mode, (uid_t)-1, (gid_t)-1, tpath, sizeof tpath);
	char public_bound[NI_MAXHOST + NI_MAXSERV + 4] = "";
	int pfd = tfd < 0 || !c.public_addr ? -1 : tcp_listen(c.public_addr, public_bound, sizeof public_bound);
	struct listener *ld = NULL, *lt = NULL, *lp = NULL;
	int rc = 1;
	if (dfd < 0 || tfd < 0 || (c.public_addr && pfd < 0))
		goto out;
	ld = listener_start(dfd, LISTEN_DSTACK, dstack_routes, n_dstack_routes, &app, &c.limits, NULL);
	lt = ld ? listener_start(tfd, LISTEN_TAPPD, tappd_routes, n_tappd_routes, &app, &c.limits, NULL) : NULL;
	lp = lt && pfd >= 0 ? listener_start(pfd, LISTEN_PUBLIC, public_routes, n_public_routes, &app, &c.limits, NULL)
			    : NULL;
	if (!ld || !lt || (pfd >= 0 && !lp))
		goto out;
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	vlog(LOG_INFO, "ready in %.1f ms: %s, %s%s%s (tee %s, state %s)",
	     (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6, dpath, tpath,
	     lp ? ", public " : "", lp ? public_bound : "", app.tee->name, c.state_dir);
	int sig = 0;
	sigwait(&stop, &sig);
	vlog(LOG_INFO, "signal %d: shutting down", sig);
	rc = 0;
out:
	for (size_t i = 0; i < MAX_PRINCIPALS; i++) {
		listener_stop(ps[i].l);
		if (ps[i].fd >= 0)
			unlink(ps[i].path);
	}
	listener_stop(lp);
	listener_stop(lt);
	listener_stop(ld);
	if (dfd >= 0)
		unlink(dpath);
	if (tfd >= 0)
		unlink(tpath);
	app_free(&app);
	policy_free(c.principals, c.n_principals);
	return rc;
}
