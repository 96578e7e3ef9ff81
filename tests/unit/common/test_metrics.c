/* metrics: counters, gauges, histograms and their Prometheus rendering. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "../testutil.h"

TestSuite(metrics, .fini = tu_leak_check);

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static char *render(void)
{
	size_t len = 0;
	char *s = metrics_render(&len);
	cr_assert_eq(strlen(s), len);
	return s;
}

Test(metrics, counter_increments)
{
	struct metric *c = metrics_counter("ut_events_total", "Events", "");
	metrics_inc(c, 1);
	metrics_inc(c, 5);
	cr_assert_eq(metrics_value(c), 6);
	cr_assert_eq(metrics_counter("ut_events_total", "Events", ""), c, "same name and labels: same series");
	char *s = render();
	cr_assert(strstr(s, "# TYPE ut_events_total counter\n") != NULL, "%s", s);
	cr_assert(strstr(s, "\nut_events_total 6\n") != NULL, "%s", s);
	free(s);
}

Test(metrics, gauge_set)
{
	struct metric *g = metrics_gauge("ut_queue_depth", "Depth", "queue=\"a\"");
	metrics_set(g, 42);
	cr_assert_eq(metrics_value(g), 42);
	metrics_set(g, -3);
	cr_assert_eq(metrics_value(g), -3);
	char *s = render();
	cr_assert(strstr(s, "# TYPE ut_queue_depth gauge\n") != NULL, "%s", s);
	cr_assert(strstr(s, "ut_queue_depth{queue=\"a\"} -3\n") != NULL, "%s", s);
	free(s);
}

Test(metrics, histogram_cumulative_buckets)
{
	struct metric *h = metrics_histogram("ut_latency_seconds", "Latency", "");
	metrics_observe_us(h, 500);      /* le 0.0005 */
	metrics_observe_us(h, 1000);     /* le 0.001 (inclusive) */
	metrics_observe_us(h, 2000);     /* le 0.002 (inclusive) */
	metrics_observe_us(h, 20000000); /* over every bucket: only +Inf */
	char *s = render();
	cr_assert(strstr(s, "# TYPE ut_latency_seconds histogram\n") != NULL, "%s", s);
	cr_assert(strstr(s, "ut_latency_seconds_bucket{le=\"0.0001\"} 0\n") != NULL, "%s", s);
	cr_assert(strstr(s, "ut_latency_seconds_bucket{le=\"0.0005\"} 1\n") != NULL, "%s", s);
	cr_assert(strstr(s, "ut_latency_seconds_bucket{le=\"0.001\"} 2\n") != NULL, "%s", s);
	cr_assert(strstr(s, "ut_latency_seconds_bucket{le=\"0.00075\"} 1\n") != NULL, "%s", s);
	cr_assert(strstr(s, "ut_latency_seconds_bucket{le=\"0.0015\"} 2\n") != NULL, "%s", s);
	cr_assert(strstr(s, "ut_latency_seconds_bucket{le=\"0.002\"} 3\n") != NULL, "%s", s);
	cr_assert(strstr(s, "ut_latency_seconds_bucket{le=\"0.0025\"} 3\n") != NULL, "%s", s);
	cr_assert(strstr(s, "ut_latency_seconds_bucket{le=\"10\"} 3\n") != NULL, "%s", s);
	cr_assert(strstr(s, "ut_latency_seconds_bucket{le=\"+Inf\"} 4\n") != NULL, "%s", s);
	cr_assert(strstr(s, "ut_latency_seconds_count 4\n") != NULL, "%s", s);
	cr_assert(strstr(s, "ut_latency_seconds_sum 20.003500\n") != NULL, "%s", s);
	free(s);
}

Test(metrics, histogram_with_labels)
{
	struct metric *h = metrics_histogram("ut_stage_seconds", "Stage", "stage=\"x\"");
	metrics_observe_us(h, 1000);
	char *s = render();
	cr_assert(strstr(s, "ut_stage_seconds_bucket{stage=\"x\",le=\"0.001\"} 1\n") != NULL, "%s", s);
	cr_assert(strstr(s, "ut_stage_seconds_count{stage=\"x\"} 1\n") != NULL, "%s", s);
	free(s);
}

Test(metrics, help_and_type_once_per_name)
{
	struct metric *a = metrics_counter("ut_msgs_total", "Messages", "topic=\"a\"");
	struct metric *other = metrics_counter("ut_other_total", "Other", "");
	struct metric *b = metrics_counter("ut_msgs_total", "Messages", "topic=\"b\"");
	cr_assert_neq(a, b, "different labels: different series");
	metrics_inc(a, 2);
	metrics_inc(b, 3);
	metrics_inc(other, 1);
	char *s = render();
	cr_assert_eq(count_of(s, "# HELP ut_msgs_total "), 1, "%s", s);
	cr_assert_eq(count_of(s, "# TYPE ut_msgs_total "), 1, "%s", s);
	const char *ta = strstr(s, "ut_msgs_total{topic=\"a\"} 2\n");
	const char *tb = strstr(s, "ut_msgs_total{topic=\"b\"} 3\n");
	const char *oth = strstr(s, "# HELP ut_other_total");
	cr_assert(ta && tb && oth, "%s", s);
	cr_assert(ta < oth && tb < oth, "series of one name are grouped together:\n%s", s);
	free(s);
}
