/* metrics: counters, gauges and histograms rendered in the Prometheus text
 * format. Series are created on first use and live for the process. */
#ifndef COMMON_METRICS_H
#define COMMON_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct metric; /* one series: a name plus a fixed label set */

/* Find or create a series. labels is the Prometheus label body without
 * braces, e.g. `topic="chat.inbound.v1"`, or "" for none. name, help and
 * labels are copied. The returned handle is valid for the process's life and
 * safe to update from any thread. */
struct metric *metrics_counter(const char *name, const char *help, const char *labels);
struct metric *metrics_gauge(const char *name, const char *help, const char *labels);
/* Histogram of seconds with fixed buckets from 50 us to 10 s. */
struct metric *metrics_histogram(const char *name, const char *help, const char *labels);

void metrics_inc(struct metric *m, uint64_t by);
void metrics_set(struct metric *m, int64_t v);
void metrics_observe_us(struct metric *m, int64_t us);

/* Render every series into a fresh heap string (caller frees). */
char *metrics_render(size_t *len);

/* Value of a counter or gauge, for tests. */
int64_t metrics_value(const struct metric *m);

#endif
