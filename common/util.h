/* util: allocation that aborts on failure, clocks, bounded strings, ids. */
#ifndef COMMON_UTIL_H
#define COMMON_UTIL_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation failure is not recoverable for a stage; these abort with a
 * message instead of returning NULL, so callers never check. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh heap string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Wall clock in microseconds since the epoch (comparable across processes). */
int64_t util_now_us(void);
/* Monotonic clock in microseconds (for durations inside one process). */
int64_t util_mono_us(void);
/* Sleep for ms milliseconds, returning early when *stop becomes non-zero. */
void util_sleep_ms(int ms, volatile sig_atomic_t *stop);

/* Copy src into dst of size dstlen, always NUL-terminated. Returns the length
 * of src; a result >= dstlen means it was truncated. */
size_t util_strlcpy(char *dst, const char *src, size_t dstlen);
/* snprintf that returns -1 when the output did not fit. */
int util_snprintf(char *dst, size_t dstlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Length of the longest prefix of s of at most max bytes that does not end
 * inside a UTF-8 character (for truncating text that must stay valid). */
size_t util_utf8_prefix(const char *s, size_t max);

/* Parse a whole decimal integer in [min, max]. Returns 0 or -1. */
int util_parse_long(const char *s, long min, long max, long *out);

/* A random RFC 4122 version 4 UUID in canonical text form (37 bytes). */
void util_uuid(char out[37]);

/* 1 when s is 1..maxlen characters of [A-Za-z0-9._:-], else 0. Used for ids
 * that arrive from outside and end up in keys and logs. */
int util_valid_id(const char *s, size_t maxlen);

/* 1 when word (or phrase) occurs in text: one that starts with an ASCII
 * letter or digit as whole words, in any case; any other (Chinese)
 * anywhere. */
int util_has_word(const char *text, const char *word);

#endif
