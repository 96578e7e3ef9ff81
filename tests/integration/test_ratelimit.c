/* A flood beyond a session's rate limit: the extra messages get 429 with
 * Retry-After and are not enqueued; exactly the accepted ones reach
 * chat.inbound.v1. */
#include <criterion/criterion.h>
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
