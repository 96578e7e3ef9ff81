/* metrics: counters, gauges and histograms in the Prometheus text format. */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

enum metric_kind { M_COUNTER, M_GAUGE, M_HISTOGRAM };

/* Upper bounds in microseconds: finer around a millisecond, where the
 * gateway's own share of a turn is measured against its target. */
static const int64_t bucket_us[] = { 50, 100, 250, 500, 750, 1000, 1500, 2000, 2500, 5000, 10000, 25000,
				     50000, 100000, 250000, 500000, 1000000, 2500000, 10000000 };
#define NBUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

struct metric {
	enum metric_kind kind;
	char *name, *help, *labels;
	_Atomic int64_t value;            /* counter or gauge */
	_Atomic uint64_t buckets[NBUCKETS]; /* non-cumulative */
	_Atomic uint64_t count;
	_Atomic int64_t sum_us;
	struct metric *next;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metric *reg_head, *reg_tail;

static struct metric *get(enum metric_kind kind, const char *name, const char *help, const char *labels)
{
	pthread_mutex_lock(&reg_lock);
	struct metric *m;
	for (m = reg_head; m; m = m->next)
		if (m->kind == kind && !strcmp(m->name, name) && !strcmp(m->labels, labels))
			goto out;
	m = xcalloc(1, sizeof(*m));
	m->kind = kind;
	m->name = xstrdup(name);
	m->help = xstrdup(help);
	m->labels = xstrdup(labels);
	if (reg_tail)
		reg_tail->next = m;
	else
		reg_head = m;
	reg_tail = m;
out:
	pthread_mutex_unlock(&reg_lock);
	return m;
}

struct metric *metrics_counter(const char *name, const char *help, const char *labels)
{
	return get(M_COUNTER, name, help, labels);
}

struct metric *metrics_gauge(const char *name, const char *help, const char *labels)
{
	return get(M_GAUGE, name, help, labels);
}

struct metric *metrics_histogram(const char *name, const char *help, const char *labels)
{
	return get(M_HISTOGRAM, name, help, labels);
}

void metrics_inc(struct metric *m, uint64_t by)
{
	atomic_fetch_add(&m->value, (int64_t)by);
}

void metrics_set(struct metric *m, int64_t v)
{
	atomic_store(&m->value, v);
}

void metrics_observe_us(struct metric *m, int64_t us)
{
	size_t i;
	for (i = 0; i < NBUCKETS && us > bucket_us[i]; i++)
		;
	if (i < NBUCKETS)
		atomic_fetch_add(&m->buckets[i], 1);
	atomic_fetch_add(&m->count, 1);
	atomic_fetch_add(&m->sum_us, us);
}

int64_t metrics_value(const struct metric *m)
{
	return atomic_load(&m->value);
}

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(sb->p + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < sb->cap - sb->len) {
			sb->len += (size_t)n;
			return;
		}
		sb->cap = sb->cap * 2 + (size_t)(n > 0 ? n : 0);
		sb->p = xrealloc(sb->p, sb->cap);
	}
}

static const char *type_name(enum metric_kind k)
{
	return k == M_COUNTER ? "counter" : k == M_GAUGE ? "gauge" : "histogram";
}

char *metrics_render(size_t *len)
{
	struct sbuf sb = { xmalloc(4096), 0, 4096 };
	sb.p[0] = '\0';
	pthread_mutex_lock(&reg_lock);
	/* Prometheus wants all series of one name together under one HELP/TYPE. */
	for (struct metric *m = reg_head; m; m = m->next) {
		int first = 1;
		for (struct metric *o = reg_head; o != m; o = o->next)
			if (!strcmp(o->name, m->name))
				first = 0;
		if (!first)
			continue;
		sb_printf(&sb, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name, type_name(m->kind));
		for (struct metric *s = m; s; s = s->next) {
			if (strcmp(s->name, m->name))
				continue;
			const char *sep = *s->labels ? "," : "";
			if (s->kind != M_HISTOGRAM) {
				sb_printf(&sb, "%s%s%s%s %lld\n", s->name, *s->labels ? "{" : "", s->labels,
					  *s->labels ? "}" : "", (long long)atomic_load(&s->value));
				continue;
			}
			uint64_t cum = 0;
			for (size_t i = 0; i < NBUCKETS; i++) {
				cum += atomic_load(&s->buckets[i]);
				sb_printf(&sb, "%s_bucket{%s%sle=\"%g\"} %llu\n", s->name, s->labels, sep,
					  (double)bucket_us[i] / 1e6, (unsigned long long)cum);
			}
			uint64_t count = atomic_load(&s->count);
			sb_printf(&sb, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", s->name, s->labels, sep,
				  (unsigned long long)count);
			sb_printf(&sb, "%s_sum%s%s%s %.6f\n", s->name, *s->labels ? "{" : "", s->labels,
				  *s->labels ? "}" : "", (double)atomic_load(&s->sum_us) / 1e6);
			sb_printf(&sb, "%s_count%s%s%s %llu\n", s->name, *s->labels ? "{" : "", s->labels,
				  *s->labels ? "}" : "", (unsigned long long)count);
		}
	}
	pthread_mutex_unlock(&reg_lock);
	*len = sb.len;
	return sb.p;
}
