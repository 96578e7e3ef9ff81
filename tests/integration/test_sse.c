/* The events endpoint as Server-Sent Events, and sessions that outlive a
 * gateway restart through the event log in Redis. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "util.h"

struct sse_read {
	char *buf;
	size_t len;
	const char *stop_at; /* abort the transfer once this appears */
};

static size_t on_sse(char *ptr, size_t size, size_t n, void *arg)
{
	struct sse_read *r = arg;
	size_t len = size * n;
	r->buf = xrealloc(r->buf, r->len + len + 1);
	memcpy(r->buf + r->len, ptr, len);
	r->len += len;
	r->buf[r->len] = '\0';
	if (r->stop_at && strstr(r->buf, r->stop_at))
		return 0; /* got what we came for */
	return len;
}

/* GET the events of sid as SSE until stop_at shows up (or timeout_ms). */
static char *sse(const char *sid, const char *last_event_id, const char *stop_at, int timeout_ms, char **ctype)
{
	CURL *c = curl_easy_init();
	char url[512];
	snprintf(url, sizeof(url), "%s/v1/sessions/%s/events", it_gateway_url(), sid);
	char *auth = it_auth_header(sid);
	struct curl_slist *h = curl_slist_append(curl_slist_append(NULL, auth), "Accept: text/event-stream");
	char *lei = NULL;
	if (last_event_id) {
		lei = xasprintf("Last-Event-ID: %s", last_event_id);
		h = curl_slist_append(h, lei);
	}
	struct sse_read r = { NULL, 0, stop_at };
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_sse);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	cr_assert_eq(status, 200, "SSE answered %ld", status);
	char *ct = NULL;
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	*ctype = xstrdup(ct ? ct : "");
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(auth);
	free(lei);
	return r.buf ? r.buf : xstrdup("");
}

Test(sse, events_stream_resumes_from_last_event_id, .timeout = 120)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_t *r1 = it_ask(sid, "hello");
	json_t *r2 = it_ask(sid, "what are your opening hours?");
	long long seq1 = json_integer_value(json_object_get(r1, "seq"));
	long long seq2 = json_integer_value(json_object_get(r2, "seq"));
	cr_assert_gt(seq2, seq1);
	char *ct = NULL, want[64];
	snprintf(want, sizeof(want), "id: %lld\nevent: final\n", seq2);
	char *all = sse(sid, NULL, want, 20000, &ct);
	cr_assert(strstr(ct, "text/event-stream"), "content type %s", ct);
	free(ct);
	char first[64];
	snprintf(first, sizeof(first), "id: %lld\nevent: final\ndata: {", seq1);
	cr_assert(strstr(all, first), "the first reply is missing from the stream:\n%s", all);
	cr_assert(strstr(all, want), "the second reply is missing from the stream:\n%s", all);
	cr_assert(strstr(all, json_string_value(json_object_get(r2, "turn_id"))));
	free(all);

	/* From Last-Event-ID: only what came after. */
	char lei[24];
	snprintf(lei, sizeof(lei), "%lld", seq1);
	char *rest = sse(sid, lei, want, 20000, &ct);
	free(ct);
	cr_assert(strstr(rest, want), "%s", rest);
	cr_assert_null(strstr(rest, first), "an event at or before Last-Event-ID was sent again:\n%s", rest);
	free(rest);
	json_decref(r1);
	json_decref(r2);
}

Test(sse, session_and_its_replies_survive_a_gateway_restart, .timeout = 180)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	json_t *r1 = it_ask(sid, "hello");
	const char *t1 = json_string_value(json_object_get(r1, "turn_id"));
	util_sleep_ms(500, NULL); /* the event log is written behind the reply */
	cr_assert_eq(it_stack("restart gateway"), 0, "could not restart the gateway");
	struct cc_http h;
	char errstr[256];
	long status = 0;
	json_t *doc = NULL;
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	cr_assert_eq(cc_get_events(&h, sid, 0, 0, &status, &doc, errstr, sizeof(errstr)), 0, "%s", errstr);
	cr_assert_eq(status, 200, "the session was lost in the restart (HTTP %ld)", status);
	int found = 0;
	size_t i;
	json_t *ev;
	json_array_foreach(json_object_get(doc, "events"), i, ev)
	{
		const char *tid = json_string_value(json_object_get(ev, "turn_id"));
		found += tid && !strcmp(tid, t1) && !strcmp(json_string_value(json_object_get(ev, "type")), "final");
	}
	cr_assert_eq(found, 1, "the reply before the restart is there once, found %d", found);
	json_decref(doc);
	/* and the session goes on */
	json_t *r2 = it_ask(sid, "thanks");
	cr_assert_gt(json_integer_value(json_object_get(r2, "seq")), json_integer_value(json_object_get(r1, "seq")));
	json_decref(r2);
	json_decref(r1);
	cc_http_release(&h);
}
