/* vouchd's log: one line per event on stderr. The library never logs; the daemon does, and never a secret. */
#ifndef VOUCHD_LOG_H
#define VOUCHD_LOG_H

enum { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern int log_level;
void vlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
