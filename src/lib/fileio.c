/* Files: whole reads with a cap, atomic replacement (keys and caches must never be seen half-written). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "vouch/util.h"

int vouch_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[4200], dir[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
		return VOUCH_E_IO;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode);
	if (fd < 0)
		return VOUCH_E_IO;
	const uint8_t *p = data;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	/* the mode asked for, whatever the umask */
	if (fchmod(fd, (mode_t)mode) || fsync(fd))
		goto fail;
	if (close(fd)) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path))
		goto fail;
	snprintf(dir, sizeof dir, "%s", path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return VOUCH_E_IO;
}

static int read_fd(int fd, size_t max, uint8_t **out, size_t *len);

int vouch_file_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return VOUCH_E_IO;
	return read_fd(fd, max, out, len);
}

int vouch_file_read_regular(const char *path, size_t max, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; a regular file ignores it */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0)
		return VOUCH_E_IO;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return VOUCH_E_IO;
	}
	return read_fd(fd, max, out, len);
}

static int read_fd(int fd, size_t max, uint8_t **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	uint8_t *buf = malloc(cap + 1);
	int err = buf ? 0 : VOUCH_E_NOMEM;
	while (!err) {
		if (n == cap) {
			if (cap >= max) {
				err = VOUCH_E_LIMIT;
				break;
			}
			cap = cap * 2 > max ? max : cap * 2;
			uint8_t *b = realloc(buf, cap + 1);
			if (!b) {
				err = VOUCH_E_NOMEM;
				break;
			}
			buf = b;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err = VOUCH_E_IO;
		else if (r == 0)
			break;
		else
			n += (size_t)r;
	}
	int e = errno;
	if (fd != STDIN_FILENO)
		close(fd);
	if (err) {
		free(buf);
		errno = e;
		return err;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

int vouch_mkdirs(const char *dir, unsigned mode)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
		return VOUCH_E_IO;
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, (mode_t)mode) && errno != EEXIST)
				return VOUCH_E_IO;
			*p = '/';
		}
	return mkdir(tmp, (mode_t)mode) && errno != EEXIST ? VOUCH_E_IO : 0;
}

static const char *default_dir(const char *env, const char *root_dir, const char *xdg, const char *home_rel, char *buf,
			       size_t cap)
{
	const char *v = getenv(env), *x = getenv(xdg), *h = getenv("HOME");
	if (v && *v)
		snprintf(buf, cap, "%s", v);
	else if (geteuid() == 0)
		snprintf(buf, cap, "%s", root_dir);
	else if (x && *x)
		snprintf(buf, cap, "%s/vouch", x);
	else if (h && *h)
		snprintf(buf, cap, "%s/%s", h, home_rel);
	else
		snprintf(buf, cap, "/tmp/vouch-%u", (unsigned)geteuid());
	return buf;
}

const char *vouch_default_listen_dir(char *buf, size_t cap)
{
	return default_dir("VOUCH_LISTEN_DIR", "/var/run/dstack", "XDG_RUNTIME_DIR", ".local/run/vouch", buf, cap);
}

const char *vouch_default_state_dir(char *buf, size_t cap)
{
	return default_dir("VOUCH_STATE_DIR", "/var/lib/vouch", "XDG_STATE_HOME", ".local/state/vouch", buf, cap);
}

unsigned long vouch_file_limit_raise(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1ul << 30; /* unknown: no reason to serve fewer */
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1ul << 30 ? 1ul << 30 : (unsigned long)rl.rlim_cur;
}
