/* A flood beyond a session's rate limit: the extra messages get 429 with
 * Retry-After and are not enqueued; exactly the accepted ones reach
 * chat.inbound.v1. Opening sessions has its own per-address bucket: a
 * gateway with a small one (the stack's is wide, for the benchmarks) limits
 * a flood of POST /v1/sessions from one address and not another address. */
#include <criterion/criterion.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "helpers.h"
#include "topics.h"
#include "util.h"

#define FLOOD 80

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
	long *retry_after = arg;
	size_t len = size * n;
	if (len > 12 && !strncasecmp(buf, "Retry-After:", 12))
		*retry_after = strtol(buf + 12, NULL, 10);
	return len;
}

static size_t discard(char *buf, size_t size, size_t n, void *arg)
{
	(void)buf;
	(void)arg;
	return size * n;
}

Test(ratelimit, flood_gets_429_and_only_accepted_messages_are_enqueued, .timeout = 120)
{
	char sid[64];
	it_open_session(sid, sizeof(sid));
	char *auth = it_auth_header(sid);
	char url[512];
	snprintf(url, sizeof(url), "%s/v1/sessions/%s/messages", it_gateway_url(), sid);
	rd_kafka_t *rk = it_tail(TOPIC_INBOUND);
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = curl_slist_append(curl_slist_append(NULL, auth), "Content-Type: application/json");
	int accepted = 0, limited = 0, other = 0;
	for (int i = 0; i < FLOOD; i++) {
		long status = 0, retry_after = -1;
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"text\":\"is this in stock?\"}");
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &retry_after);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		cr_assert_eq(curl_easy_perform(c), CURLE_OK);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status == 202) {
			accepted++;
		} else if (status == 429) {
			limited++;
			cr_assert(retry_after >= 1, "429 without a Retry-After of at least 1 s (%ld)", retry_after);
		} else {
			other++;
		}
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(auth);
	fprintf(stderr, "flood of %d: %d accepted, %d limited\n", FLOOD, accepted, limited);
	cr_assert_eq(other, 0, "%d answers were neither 202 nor 429", other);
	cr_assert_gt(limited, 0, "a flood of %d messages was never limited", FLOOD);
	if (getenv("GATEWAY_RATE_SESSION_BURST"))
		cr_assert_geq(accepted, it_env_long("GATEWAY_RATE_SESSION_BURST", 0), "fewer than the burst were accepted");

	/* A 202 means the broker acknowledged the message, so every accepted
	 * message is on the topic now; count this session's, then make sure
	 * no limited one follows. */
	int seen = 0;
	while (seen < accepted) {
		rd_kafka_message_t *rkm = it_poll_key(rk, sid, 20000);
		cr_assert_not_null(rkm, "only %d of %d accepted messages reached %s", seen, accepted, TOPIC_INBOUND);
		rd_kafka_message_destroy(rkm);
		seen++;
	}
	rd_kafka_message_t *extra = it_poll_key(rk, sid, 3000);
	cr_assert_null(extra, "a rate-limited message was enqueued");
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

#define OPEN_BURST 3
#define OPEN_FLOOD 12

/* POST /v1/sessions to base from source address src: the status, with
 * *retry_after from the header (-1 when absent) and the body's "error". */
static long open_from(const char *base, const char *src, long *retry_after, char *error, size_t errlen)
{
	char url[256], iface[64];
	char *body = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&body, &blen);
	snprintf(url, sizeof(url), "%s/v1/sessions", base);
	snprintf(iface, sizeof(iface), "host!%s", src);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	CURL *c = curl_easy_init();
	long status = 0;
	*retry_after = -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_INTERFACE, iface);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, retry_after);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	CURLcode rc = curl_easy_perform(c);
	cr_assert_eq(rc, CURLE_OK, "POST %s from %s: %s", url, src, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	fclose(f);
	json_t *j = json_loads(body ? body : "", 0, NULL);
	const char *e = json_string_value(json_object_get(j, "error"));
	util_strlcpy(error, e ? e : "", errlen);
	json_decref(j);
	free(body);
	return status;
}

Test(ratelimit, opening_sessions_is_limited_per_address, .timeout = 240)
{
	/* A loopback address of this run only: an earlier run's bucket may
	 * still be empty. */
	unsigned salt = (unsigned)getpid() ^ (unsigned)time(NULL);
	char src[32], other[32];
	snprintf(src, sizeof(src), "127.%u.%u.%u", 10 + salt % 200, (salt >> 8) % 250 + 1, (salt >> 16) % 250 + 2);
	snprintf(other, sizeof(other), "127.%u.%u.1", 10 + salt % 200, (salt >> 8) % 250 + 1);
	char burst[64];
	snprintf(burst, sizeof(burst), "GATEWAY_RATE_NEW_SESSIONS_BURST=%d", OPEN_BURST);
	const char *env[] = { "GATEWAY_RATE_NEW_SESSIONS_PER_MIN=1", burst, "GATEWAY_RATE_FAIL_OPEN=0", NULL };
	struct it_gateway g;
	it_spawn_gateway(&g, 20070 + (int)it_env_long("PORT_OFFSET", 0), 2, env);
	int accepted = 0, limited = 0, other_status = 0;
	char error[256];
	for (int i = 0; i < OPEN_FLOOD; i++) {
		long retry_after;
		long status = open_from(g.url, src, &retry_after, error, sizeof(error));
		if (status == 201) {
			accepted++;
		} else if (status == 429) {
			limited++;
			if (retry_after < 1 || !strstr(error, "sessions")) {
				it_stop_gateway(&g);
				cr_assert_fail("429 needs a Retry-After of at least 1 s (%ld) and a message (\"%s\")",
					       retry_after, error);
			}
		} else {
			other_status++;
		}
	}
	long retry_after;
	long elsewhere = open_from(g.url, other, &retry_after, error, sizeof(error));
	it_stop_gateway(&g);
	fprintf(stderr, "%d sessions opened from %s: %d accepted, %d limited\n", OPEN_FLOOD, src, accepted, limited);
	cr_assert_eq(other_status, 0, "%d answers were neither 201 nor 429", other_status);
	cr_assert_geq(accepted, OPEN_BURST, "fewer than the burst of %d were opened", OPEN_BURST);
	cr_assert_gt(limited, 0, "%d sessions from one address were never limited", OPEN_FLOOD);
	cr_assert_eq(elsewhere, 201, "another address was limited too (%ld: %s)", elsewhere, error);
}
