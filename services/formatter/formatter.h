/* formatter: renders a checked turn for its channel and sends it to the
 * partition of the gateway instance that holds the customer's connection. */
#ifndef SERVICES_FORMATTER_H
#define SERVICES_FORMATTER_H

#include "turn.h"

struct fmt {
	const char *out_topic;
};

/* Render the turn's draft as the web/mobile JSON reply (heap string). */
char *fmt_render_web(const Chat__Turn *turn);
/* turn_fn: fill rendered, route to out_topic at reply_partition. */
int fmt_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);

#endif
