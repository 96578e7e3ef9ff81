/* Bad input at the gateway gets a clear 4xx and enqueues nothing. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "util.h"

struct raw {
	long status;
	json_t *body;
};

/* The session the bad-input tests post to (opened once per process). */
static char rest_sid[64];

/* path with "%s" replaced by a session id of ours; with its token. */
static struct raw post_raw(const char *path, const char *body)
{
	CURL *c = curl_easy_init();
	char url[512];
	if (!rest_sid[0])
		it_open_session(rest_sid, sizeof(rest_sid));
	char *p = xasprintf("%s%s", it_gateway_url(), path);
	snprintf(url, sizeof(url), p, rest_sid);
	free(p);
	char *auth = it_auth_header(rest_sid);
	struct curl_slist *hdrs = curl_slist_append(NULL, auth);
	free(auth);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	FILE *sink = tmpfile();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	cr_assert_eq(curl_easy_perform(c), CURLE_OK);
	struct raw r = { 0, NULL };
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	rewind(sink);
	r.body = json_loadf(sink, 0, NULL);
	fclose(sink);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	return r;
}

static void expect_error(struct raw r, long status, const char *words)
{
	cr_assert_eq(r.status, status, "expected HTTP %ld, got %ld", status, r.status);
	const char *err = json_string_value(json_object_get(r.body, "error"));
	cr_assert_not_null(err, "error body is not {\"error\": ...}");
	cr_assert(strstr(err, words), "error \"%s\" does not say \"%s\"", err, words);
	json_decref(r.body);
}

Test(rest, malformed_json_is_400_saying_where)
{
	expect_error(post_raw("/v1/sessions/%s/messages", "{\"text\": \"hi\""), 400, "malformed JSON at line 1");
}

Test(rest, missing_or_empty_text_is_400)
{
	expect_error(post_raw("/v1/sessions/%s/messages", "{\"message\":\"hi\"}"), 400, "\"text\" is required");
	expect_error(post_raw("/v1/sessions/%s/messages", "{\"text\":\"   \"}"), 400, "empty");
	expect_error(post_raw("/v1/sessions/%s/messages", "[1,2]"), 400, "JSON object");
}

Test(rest, body_over_the_limit_is_413)
{
	size_t n = 64 * 1024;
	char *big = malloc(n + 32);
	memcpy(big, "{\"text\":\"", 9);
	memset(big + 9, 'a', n);
	memcpy(big + 9 + n, "\"}", 3);
	expect_error(post_raw("/v1/sessions/%s/messages", big), 413, "limit");
	free(big);
}

Test(rest, bad_session_id_and_unknown_paths)
{
	expect_error(post_raw("/v1/sessions/bad%%20id/messages", "{\"text\":\"hi\"}"), 400, "session id");
	expect_error(post_raw("/v1/nothing", NULL), 404, "no such endpoint");
	expect_error(post_raw("/v1/sessions/%s/nothing", NULL), 404, "no such endpoint");
	expect_error(post_raw("/v1/sessions/%s/messages?wait=abc", "{\"text\":\"hi\"}"), 400, "wait");
}

Test(rest, retried_client_message_is_one_turn)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	struct cc_http h;
	char errstr[256];
	long s1 = 0, s2 = 0;
	json_t *r1 = NULL, *r2 = NULL, *evs = NULL;
	cr_assert_eq(cc_http_init(&h, it_gateway_url()), 0);
	cr_assert_eq(cc_post_message(&h, sid, "where is my parcel", "m-1", 20000, &s1, &r1, errstr, sizeof(errstr)), 0);
	cr_assert_eq(cc_post_message(&h, sid, "where is my parcel", "m-1", 0, &s2, &r2, errstr, sizeof(errstr)), 0);
	cr_assert_eq(s1, 200);
	cr_assert_eq(s2, 202);
	cr_assert_str_eq(json_string_value(json_object_get(r1, "turn_id")),
			 json_string_value(json_object_get(r2, "turn_id")));
	util_sleep_ms(1500, NULL); /* time for the replayed turn to come back and be dropped */
	long st = 0;
	cr_assert_eq(cc_get_events(&h, sid, 0, 0, &st, &evs, errstr, sizeof(errstr)), 0);
	cr_assert_eq(st, 200);
	cr_assert_eq(json_array_size(json_object_get(evs, "events")), 1, "the customer saw %zu replies",
		     json_array_size(json_object_get(evs, "events")));
	json_decref(r1);
	json_decref(r2);
	json_decref(evs);
	cc_http_release(&h);
}
