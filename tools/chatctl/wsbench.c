/* wsbench: idle WebSocket connections and turns through the gateway. */
#include "wsbench.h"

#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "client.h"
#include "util.h"
#include "wsclient.h"

static long rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static double pct(const int64_t *v, int n, double p)
{
	if (n == 0)
		return NAN;
	int i = (int)ceil(p * n) - 1;
	return (double)v[i < 0 ? 0 : i >= n ? n - 1 : i] / 1000.0;
}

static int64_t stage_at(const json_t *ev, const char *stage, int last)
{
	size_t i;
	json_t *st;
	int64_t at = -1;
	json_array_foreach(json_object_get(ev, "stage_times"), i, st)
	{
		const char *name = json_string_value(json_object_get(st, "stage"));
		if (name && !strcmp(name, stage)) {
			at = json_integer_value(json_object_get(st, "at_us"));
			if (!last)
				break;
		}
	}
	return at;
}

/* Pipeline time of a final event: first stage after the gateway to the last
 * stage before gateway.out; -1 when the stamps are missing. */
static int64_t pipeline_us(const json_t *ev)
{
	json_t *st = json_object_get(ev, "stage_times");
	size_t n = json_array_size(st);
	if (n < 4)
		return -1;
	int64_t first = json_integer_value(json_object_get(json_array_get(st, 1), "at_us"));
	int64_t last = json_integer_value(json_object_get(json_array_get(st, n - 2), "at_us"));
	return last >= first ? last - first : -1;
}

/* Read whatever connections [0, n) have (answering the server's pings,
 * noticing closes), waiting at most wait_ms. Returns how many closed. */
static int service(struct wsc *w, struct pollfd *pfd, int n, int wait_ms)
{
	int lost = 0;
	for (int i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ w[i].fd, POLLIN, 0 };
	if (poll(pfd, (nfds_t)n, wait_ms) <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		if (w[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		int r = wsc_fill(&w[i]);
		char *m;
		while ((m = wsc_next(&w[i])))
			free(m);
		if (r == 0 || r == -1 || w[i].closed) {
			wsc_close(&w[i]);
			lost++;
		}
	}
	return lost;
}

/* A histogram of the gateway's /metrics: the count per bucket (cumulative,
 * as exposed) and the bucket bounds in seconds. */
#define WSB_BUCKETS 24
struct wsb_hist {
	double le[WSB_BUCKETS];
	double cum[WSB_BUCKETS];
	int n;
};

static int scrape_hist(struct cc_http *h, const char *url, const char *name, struct wsb_hist *out)
{
	long status = 0;
	char *body = NULL, errstr[256];
	memset(out, 0, sizeof(*out));
	if (cc_get(h, url, &status, &body, errstr, sizeof(errstr)) || status != 200) {
		fprintf(stderr, "wsbench: %s: %s\n", url, status ? "not 200" : errstr);
		free(body);
		return -1;
	}
	char prefix[128];
	snprintf(prefix, sizeof(prefix), "%s_bucket{le=\"", name);
	for (char *line = body; line && *line && out->n < WSB_BUCKETS;) {
		char *nl = strchr(line, '\n');
		if (!strncmp(line, prefix, strlen(prefix))) {
			const char *v = line + strlen(prefix);
			double le = strncmp(v, "+Inf", 4) ? strtod(v, NULL) : INFINITY;
			const char *cnt = strstr(v, "} ");
			if (cnt) {
				out->le[out->n] = le;
				out->cum[out->n++] = strtod(cnt + 2, NULL);
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	free(body);
	return out->n ? 0 : -1;
}

/* The bucket bound (ms) under which a fraction q of the observations
 * between snapshots a and b fall: an upper bound of that quantile. */
static double hist_quantile_ms(const struct wsb_hist *a, const struct wsb_hist *b, double q, double *count)
{
	double total = b->cum[b->n - 1] - (a->n ? a->cum[a->n - 1] : 0);
	*count = total;
	for (int i = 0; total > 0 && i < b->n; i++)
		if (b->cum[i] - (i < a->n ? a->cum[i] : 0) >= q * total)
			return b->le[i] * 1000;
	return NAN;
}

#define WSB_HISTS 3
static const char *const hist_names[WSB_HISTS] = { "gateway_ws_in_seconds", "gateway_ratelimit_seconds",
						   "gateway_ws_out_seconds" };

static void print_gateway_hists(struct cc_http *h, const char *url, const struct wsb_hist before[WSB_HISTS])
{
	static const char *const what[WSB_HISTS] = { "in: frame read -> turn handed to Kafka",
						     "  of which the rate-limit check (Redis)",
						     "out: reply from Kafka -> frame written" };
	const char *const *names = hist_names;
	printf("  measured by the gateway itself (its histograms; a quantile is the bucket bound it falls under):\n");
	for (int k = 0; k < WSB_HISTS; k++) {
		struct wsb_hist after;
		double n = 0;
		if (scrape_hist(h, url, names[k], &after))
			continue;
		double p50 = hist_quantile_ms(&before[k], &after, 0.5, &n), p99 = hist_quantile_ms(&before[k], &after, 0.99, &n);
		printf("  %-52s %8s%.2f %8s%.2f  (%.0f)\n", what[k], "<= ", p50, "<= ", p99, n);
	}
}

int cc_wsbench(const struct wsbench_conf *c)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if ((long)rl.rlim_cur < c->connections + 64) {
		fprintf(stderr, "wsbench: open-file limit %lu is below %d connections\n", (unsigned long)rl.rlim_cur,
			c->connections);
		return -1;
	}
	struct cc_http h;
	if (cc_http_init(&h, c->url))
		return -1;
	char (*sids)[64] = xcalloc((size_t)c->connections, sizeof(*sids));
	int64_t t0 = util_mono_us();
	for (int i = 0; i < c->connections; i++) {
		char errstr[256];
		long status = 0;
		json_t *resp = NULL;
		if (cc_open_session(&h, NULL, NULL, sids[i], sizeof(sids[i]), &status, &resp, errstr, sizeof(errstr)) ||
		    status != 201) {
			fprintf(stderr, "wsbench: session %d: %s\n", i, status ? "refused" : errstr);
			json_decref(resp);
			return -1;
		}
		json_decref(resp);
	}
	printf("opened %d sessions in %.1f s\n", c->connections, (double)(util_mono_us() - t0) / 1e6);
	long rss0 = c->gateway_pid ? rss_kb(c->gateway_pid) : -1;

	struct wsc *w = xcalloc((size_t)c->connections, sizeof(*w));
	struct pollfd *pfd = xcalloc((size_t)c->connections, sizeof(*pfd));
	int open = 0, lost = 0;
	t0 = util_mono_us();
	for (int i = 0; i < c->connections; i++) {
		char src[32], err[512];
		snprintf(src, sizeof(src), "127.0.0.%d", 1 + i % (c->sources > 0 ? c->sources : 1));
		char *tok = cc_token(&h, sids[i]);
		char *path = xasprintf("/v1/ws?token=%s", tok);
		if (wsc_connect(&w[i], c->host, c->ws_port, path, src, 10000, err, sizeof(err))) {
			fprintf(stderr, "wsbench: connection %d: %s\n", i, err);
			w[i].fd = -1;
		} else {
			wsc_nonblock(&w[i]);
			open++;
		}
		free(path);
		free(tok);
		/* Keep answering pings while the rest connect. */
		if (i % 100 == 99)
			lost += service(w, pfd, i + 1, 0);
	}
	printf("connected %d of %d WebSockets in %.1f s\n", open, c->connections, (double)(util_mono_us() - t0) / 1e6);

	/* Hold them: answer pings, notice any close. */
	int64_t until = util_mono_us() + (int64_t)c->hold_s * 1000000;
	while (util_mono_us() < until)
		lost += service(w, pfd, c->connections, 500);
	long rss1 = c->gateway_pid ? rss_kb(c->gateway_pid) : -1;
	printf("held %d idle connections for %d s: %d closed by the server\n", open - lost, c->hold_s, lost);
	if (rss0 > 0 && rss1 > 0)
		printf("gateway RSS: %.1f MB before, %.1f MB with %d connections: %.1f MB per 1,000 idle connections\n",
		       rss0 / 1024.0, rss1 / 1024.0, open - lost, (double)(rss1 - rss0) / 1024.0 * 1000.0 / (open - lost));

	/* Turns over the first `active` connections, each sending its next
	 * message when the previous one's final arrives. */
	int active = c->active < c->connections ? c->active : c->connections;
	int64_t *rtt = xcalloc((size_t)c->turns, sizeof(int64_t));
	int64_t *added = xcalloc((size_t)c->turns, sizeof(int64_t));
	int64_t *inside = xcalloc((size_t)c->turns, sizeof(int64_t));
	int64_t *sent_at = xcalloc((size_t)active, sizeof(int64_t));
	int64_t *sent_wall = xcalloc((size_t)active, sizeof(int64_t));
	int ninside = 0;
	int sent = 0, done = 0, nadded = 0, errors = 0, nrtt = 0;
	struct wsb_hist before[WSB_HISTS];
	memset(before, 0, sizeof(before));
	for (int k = 0; c->metrics_url && k < WSB_HISTS; k++)
		scrape_hist(&h, c->metrics_url, hist_names[k], &before[k]);
	for (int i = 0; i < active && sent < c->turns; i++) {
		if (w[i].fd < 0)
			continue;
		char msg[96];
		snprintf(msg, sizeof(msg), "{\"type\":\"message\",\"text\":\"hello\"}");
		sent_at[i] = util_mono_us();
		sent_wall[i] = util_now_us();
		if (wsc_send(&w[i], msg, strlen(msg)) == 0)
			sent++;
	}
	int64_t tstart = util_mono_us(), deadline = tstart + 600 * 1000000LL;
	while (done < sent && util_mono_us() < deadline) {
		for (int i = 0; i < active; i++)
			pfd[i] = (struct pollfd){ w[i].fd, POLLIN, 0 };
		if (poll(pfd, (nfds_t)active, 1000) <= 0)
			continue;
		for (int i = 0; i < active; i++) {
			if (w[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			int n = wsc_fill(&w[i]);
			char *m;
			while ((m = wsc_next(&w[i]))) {
				json_t *ev = json_loads(m, 0, NULL);
				free(m);
				const char *type = json_string_value(json_object_get(ev, "type"));
				if (type && !strcmp(type, "error"))
					errors++;
				if (type && (!strcmp(type, "final") || !strcmp(type, "error"))) {
					int64_t r = util_mono_us() - sent_at[i];
					if (!strcmp(type, "final"))
						rtt[nrtt++] = r;
					int64_t p = pipeline_us(ev);
					if (p >= 0 && !strcmp(type, "final"))
						added[nadded++] = r - p;
					/* Same machine, same wall clock: the time spent in the
					 * gateway itself, in and out. */
					int64_t in_at = stage_at(ev, "gateway", 0), out_at = stage_at(ev, "gateway.out", 1);
					if (in_at > 0 && out_at > 0 && !strcmp(type, "final"))
						inside[ninside++] = (in_at - sent_wall[i]) + (util_now_us() - out_at);
					done++;
					if (sent < c->turns) {
						const char *msg = "{\"type\":\"message\",\"text\":\"hello\"}";
						sent_at[i] = util_mono_us();
						sent_wall[i] = util_now_us();
						if (wsc_send(&w[i], msg, strlen(msg)) == 0)
							sent++;
					}
				}
				json_decref(ev);
			}
			if (n == 0 || n == -1)
				wsc_close(&w[i]);
		}
	}
	double secs = (double)(util_mono_us() - tstart) / 1e6;
	qsort(rtt, (size_t)nrtt, sizeof(int64_t), cmp_i64);
	qsort(added, (size_t)nadded, sizeof(int64_t), cmp_i64);
	qsort(inside, (size_t)ninside, sizeof(int64_t), cmp_i64);
	printf("turns: %d sent over %d connections, %d answered (%d error frames) in %.1f s: %.1f turns/s\n", sent,
	       active, done, errors, secs, done / secs);
	printf("  %-52s %9s %9s\n", "latency (ms)", "p50", "p99");
	printf("  %-52s %9.2f %9.2f\n", "client round trip (WebSocket send to final frame)", pct(rtt, nrtt, 0.5),
	       pct(rtt, nrtt, 0.99));
	printf("  %-52s %9.2f %9.2f\n", "gateway + Kafka hops + queues (round trip - pipeline)",
	       pct(added, nadded, 0.5), pct(added, nadded, 0.99));
	printf("  %-52s %9.2f %9.2f\n", "inside the gateway (frame in to turn, reply to frame)", pct(inside, ninside, 0.5),
	       pct(inside, ninside, 0.99));
	if (c->metrics_url)
		print_gateway_hists(&h, c->metrics_url, before);
	for (int i = 0; i < c->connections; i++)
		if (w[i].fd >= 0)
			wsc_close(&w[i]);
	cc_http_release(&h);
	free(w);
	free(pfd);
	free(sids);
	free(rtt);
	free(added);
	free(sent_at);
	free(sent_wall);
	free(inside);
	return 0;
}
