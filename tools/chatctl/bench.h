/* bench: open-loop load through the gateway at a fixed rate, reporting
 * latency percentiles measured from each turn's scheduled send time (so a
 * slow system cannot hide its queueing) and the per-hop breakdown. */
#ifndef TOOLS_CHATCTL_BENCH_H
#define TOOLS_CHATCTL_BENCH_H

struct bench_conf {
	const char *url;
	double rate;      /* turns per second */
	int duration_s;
	int sessions;     /* turns are spread over this many sessions */
	int workers;      /* concurrent connections */
	const char *text;
};

/* Run one load step and print the report. Returns 0 when every turn was
 * answered, 1 when some were not, -1 on a setup error. */
int cc_bench(const struct bench_conf *bc);

#endif
