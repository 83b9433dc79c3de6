/* One log line per event: UTC time, level, message. stdio locks the stream, so lines never interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

int log_level = LOG_INFO;

void vlog(int level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	if (level > log_level)
		return;
	char line[1024], when[32];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03ldZ vouchd %s: %s\n", when, ts.tv_nsec / 1000000, names[level], line);
}
