/* sse: text/event-stream parsing, any split of the bytes. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../testutil.h"
#include "services/llm-caller/sse.h"

TestSuite(sse, .fini = tu_leak_check);

struct evs {
	int n;
	char ev[8][32];
	char data[8][256];
};

static int collect(void *arg, const char *event, const char *data, size_t len)
{
	struct evs *e = arg;
	if (e->n < 8) {
		snprintf(e->ev[e->n], 32, "%s", event);
		snprintf(e->data[e->n], 256, "%.*s", (int)len, data);
	}
	e->n++;
	return 0;
}

static const char STREAM[] = ": keep-alive comment\n"
			     "data: {\"a\":1}\n\n"
			     "event: update\r\n"
			     "data:first\r\n"
			     "data:  second\r\n"
			     "id: 7\r\n\r\n"
			     "data: [DONE]\r\r"
			     "data\n\n";

static void check(const struct evs *e)
{
	cr_assert_eq(e->n, 4);
	cr_assert_str_eq(e->ev[0], "message");
	cr_assert_str_eq(e->data[0], "{\"a\":1}");
	cr_assert_str_eq(e->ev[1], "update");
	cr_assert_str_eq(e->data[1], "first\n second", "one leading space is dropped, not two");
	cr_assert_str_eq(e->ev[2], "message", "the event type resets after dispatch");
	cr_assert_str_eq(e->data[2], "[DONE]", "bare CR line ends");
	cr_assert_str_eq(e->data[3], "", "a data line without a colon is empty data");
}

Test(sse, every_split_gives_the_same_events)
{
	size_t len = strlen(STREAM);
	for (size_t cut = 0; cut <= len; cut++) {
		struct sse_parser p;
		struct evs e = { 0 };
		char err[256] = "";
		sse_init(&p);
		cr_assert_eq(sse_feed(&p, STREAM, cut, collect, &e, err), 0);
		cr_assert_eq(sse_feed(&p, STREAM + cut, len - cut, collect, &e, err), 0);
		check(&e);
		sse_release(&p);
	}
	struct sse_parser p;
	struct evs e = { 0 };
	char err[256] = "";
	sse_init(&p);
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(sse_feed(&p, STREAM + i, 1, collect, &e, err), 0);
	check(&e);
	sse_release(&p);
}

Test(sse, an_unterminated_event_is_not_dispatched)
{
	struct sse_parser p;
	struct evs e = { 0 };
	char err[256] = "";
	sse_init(&p);
	cr_assert_eq(sse_feed(&p, "data: half\n", 11, collect, &e, err), 0);
	cr_assert_eq(e.n, 0);
	sse_release(&p);
}

Test(sse, a_line_past_the_limit_fails)
{
	struct sse_parser p;
	struct evs e = { 0 };
	char err[256] = "";
	sse_init(&p);
	char *big = malloc(SSE_MAX_LINE + 10);
	memset(big, 'x', SSE_MAX_LINE + 10);
	cr_assert_eq(sse_feed(&p, big, SSE_MAX_LINE + 10, collect, &e, err), -1);
	cr_assert(strstr(err, "longer"), "%s", err);
	cr_assert_eq(sse_feed(&p, "\n\n", 2, collect, &e, err), -1, "stays failed");
	free(big);
	sse_release(&p);
}

static int stop_at_first(void *arg, const char *event, const char *data, size_t len)
{
	(void)event;
	(void)data;
	(void)len;
	(*(int *)arg)++;
	return 7;
}

Test(sse, the_callback_can_stop)
{
	struct sse_parser p;
	int n = 0;
	char err[256] = "";
	sse_init(&p);
	cr_assert_eq(sse_feed(&p, "data: a\n\ndata: b\n\n", 18, stop_at_first, &n, err), 7);
	cr_assert_eq(n, 1);
	sse_release(&p);
}
