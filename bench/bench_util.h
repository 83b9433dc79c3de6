/* Helpers the benchmarks share: a monotonic clock, sorting doubles, and a process's memory from /proc. */
#ifndef VOUCH_BENCH_UTIL_H
#define VOUCH_BENCH_UTIL_H

#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

static inline double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One "Name: N kB" line of /proc/PID/status (VmRSS, RssAnon, ...), in KiB; -1 when missing. */
static inline long proc_status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t n = strlen(field);
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long kib = -1;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, field, n) && line[n] == ':' && sscanf(line + n + 1, "%ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

#endif
