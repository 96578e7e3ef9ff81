/* log: one JSON object per line on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/time.h>

static const char *log_service = "unknown";
static enum log_level log_min = LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_init(const char *service, enum log_level min)
{
	log_service = service;
	log_min = min;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

size_t log_json_escape(char *out, size_t outlen, const char *s)
{
	size_t o = 0;
	if (!outlen)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		size_t n;
		switch (*p) {
		case '"': n = 2; memcpy(esc, "\\\"", 2); break;
		case '\\': n = 2; memcpy(esc, "\\\\", 2); break;
		case '\n': n = 2; memcpy(esc, "\\n", 2); break;
		case '\r': n = 2; memcpy(esc, "\\r", 2); break;
		case '\t': n = 2; memcpy(esc, "\\t", 2); break;
		default:
			if (*p < 0x20) {
				n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p);
			} else {
				esc[0] = (char)*p;
				n = 1;
			}
		}
		if (o + n >= outlen)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = '\0';
	return o;
}

void log_write(enum log_level lvl, const char *trace_id, const char *session_id, const char *fmt, ...)
{
	if (lvl < log_min)
		return;
	char msg[1024], emsg[2048], line[3072], ts[40];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_json_escape(emsg, sizeof(emsg), msg);

	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	size_t tn = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + tn, sizeof(ts) - tn, ".%03ldZ", (long)(tv.tv_usec / 1000));

	char ids[256] = "";
	char etrace[96], esess[96];
	if (trace_id && *trace_id) {
		log_json_escape(etrace, sizeof(etrace), trace_id);
		size_t l = strlen(ids);
		snprintf(ids + l, sizeof(ids) - l, ",\"trace_id\":\"%s\"", etrace);
	}
	if (session_id && *session_id) {
		log_json_escape(esess, sizeof(esess), session_id);
		size_t l = strlen(ids);
		snprintf(ids + l, sizeof(ids) - l, ",\"session_id\":\"%s\"", esess);
	}
	int n = snprintf(line, sizeof(line), "{\"time\":\"%s\",\"level\":\"%s\",\"service\":\"%s\"%s,\"msg\":\"%s\"}\n",
			 ts, level_names[lvl], log_service, ids, emsg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}
