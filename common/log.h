/* log: one JSON object per line on stderr (time, level, service, trace_id,
 * session_id, msg). Never log message text, tokens or PII at info level. */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* Set the service name stamped on every line (the string must outlive the
 * process's logging) and the minimum level. */
void log_init(const char *service, enum log_level min);
/* Parse "debug", "info", "warn", "error". Returns 0 or -1. */
int log_level_parse(const char *s, enum log_level *out);

/* trace_id and session_id may be NULL. Thread-safe: each line is written with
 * one write(2). */
void log_write(enum log_level lvl, const char *trace_id, const char *session_id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_debug(...) log_write(LOG_DEBUG, NULL, NULL, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, NULL, NULL, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, NULL, NULL, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, NULL, NULL, __VA_ARGS__)

/* Append s to out as a JSON string body (no quotes), escaping as needed.
 * Writes at most outlen-1 bytes and NUL-terminates. Returns bytes written. */
size_t log_json_escape(char *out, size_t outlen, const char *s);

#endif
