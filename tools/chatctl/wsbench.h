/* wsbench: the gateway alone under WebSocket load: many idle connections
 * held (and the gateway's memory for them), then turns through a subset,
 * with the latency the gateway adds separated from the pipeline's. */
#ifndef TOOLS_CHATCTL_WSBENCH_H
#define TOOLS_CHATCTL_WSBENCH_H

struct wsbench_conf {
	const char *url;   /* REST base, for sessions */
	const char *host;
	int ws_port;
	int connections;   /* idle connections to hold */
	int sources;       /* loopback source addresses 127.0.0.1.. to spread them over */
	int gateway_pid;   /* 0: memory not measured */
	int active;        /* connections that send turns */
	int turns;         /* turns in total */
	int hold_s;        /* how long the idle connections are held and checked */
	const char *metrics_url; /* the gateway's /metrics, or NULL */
};

int cc_wsbench(const struct wsbench_conf *c);

#endif
