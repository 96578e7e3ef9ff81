/* client: the gateway's REST API from the client side. */
#include "client.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "util.h"

/* Session tokens by session id, shared by every handle of the process. */
struct tok {
	char *token;
	int64_t expires_us; /* monotonic */
};
static pthread_mutex_t tok_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hmap *tokens;

struct buf {
	char *p;
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	if (b->len + n > 16 * 1024 * 1024)
		return 0; /* a reply that large is not ours: abort the transfer */
	b->p = xrealloc(b->p, b->len + n + 1);
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

int cc_http_init(struct cc_http *h, const char *base_url)
{
	memset(h, 0, sizeof(*h));
	if (util_strlcpy(h->base, base_url, sizeof(h->base)) >= sizeof(h->base))
		return -1;
	size_t n = strlen(h->base);
	if (n && h->base[n - 1] == '/')
		h->base[n - 1] = '\0';
	h->curl = curl_easy_init();
	return h->curl ? 0 : -1;
}

void cc_http_release(struct cc_http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
}

static int perform_hdrs(struct cc_http *h, const char *url, const char *post, const char *const *extra,
			long timeout_ms, long *status, char **body, char *errstr, size_t errlen)
{
	struct buf b = { NULL, 0 };
	struct curl_slist *hdrs = NULL;
	for (int i = 0; extra && extra[i]; i++)
		hdrs = curl_slist_append(hdrs, extra[i]);
	CURL *c = h->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	if (post) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	}
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		snprintf(errstr, errlen, "%s: %s", url, curl_easy_strerror(rc));
		free(b.p);
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	*body = b.p ? b.p : xstrdup("");
	return 0;
}

int cc_request(struct cc_http *h, const char *url, const char *body, const char *const *headers, long timeout_ms,
	       long *status, char **resp_body, char *errstr, size_t errlen)
{
	return perform_hdrs(h, url, body, headers, timeout_ms, status, resp_body, errstr, errlen);
}

int cc_get(struct cc_http *h, const char *url, long *status, char **body, char *errstr, size_t errlen)
{
	return perform_hdrs(h, url, NULL, NULL, 5000, status, body, errstr, errlen);
}

void cc_set_token(const char *sid, const char *token, long expires_in)
{
	struct tok *t = xmalloc(sizeof(*t));
	t->token = xstrdup(token);
	t->expires_us = util_mono_us() + expires_in * 1000000LL;
	pthread_mutex_lock(&tok_lock);
	if (!tokens)
		tokens = hmap_new(256);
	struct tok *old = hmap_put(tokens, sid, t);
	pthread_mutex_unlock(&tok_lock);
	if (old) {
		free(old->token);
		free(old);
	}
}

/* Remember the token of a session document {"session_id","token","expires_in"}. */
static void remember(const json_t *doc)
{
	const char *sid = json_string_value(json_object_get(doc, "session_id"));
	const char *tok = json_string_value(json_object_get(doc, "token"));
	if (sid && tok)
		cc_set_token(sid, tok, (long)json_integer_value(json_object_get(doc, "expires_in")));
}

char *cc_token(struct cc_http *h, const char *sid)
{
	char *tok = NULL;
	int stale = 0;
	pthread_mutex_lock(&tok_lock);
	struct tok *t = tokens ? hmap_get(tokens, sid) : NULL;
	if (t) {
		tok = xstrdup(t->token);
		stale = t->expires_us - util_mono_us() < 60 * 1000000LL;
	}
	pthread_mutex_unlock(&tok_lock);
	if (!tok || !stale)
		return tok;
	/* Close to expiry: refresh it (the old one is still valid). */
	char url[512], auth[4200], errstr[256], *body = NULL;
	long status = 0;
	snprintf(url, sizeof(url), "%s/v1/sessions/%s/token", h->base, sid);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	const char *hdrs[] = { auth, NULL };
	if (perform_hdrs(h, url, "", hdrs, 10000, &status, &body, errstr, sizeof(errstr)) == 0 && status == 200) {
		json_t *doc = json_loads(body, 0, NULL);
		remember(doc);
		const char *fresh = json_string_value(json_object_get(doc, "token"));
		if (fresh) {
			free(tok);
			tok = xstrdup(fresh);
		}
		json_decref(doc);
	}
	free(body);
	return tok;
}

int cc_open_session(struct cc_http *h, const char *assertion, const char *locale, char *sid_out, size_t sid_len,
		    long *status, json_t **resp, char *errstr, size_t errlen)
{
	char url[512];
	snprintf(url, sizeof(url), "%s/v1/sessions", h->base);
	json_t *j = json_object();
	if (assertion)
		json_object_set_new(j, "customer_assertion", json_string(assertion));
	if (locale)
		json_object_set_new(j, "locale", json_string(locale));
	char *payload = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	char *body = NULL;
	int rc = perform_hdrs(h, url, payload, NULL, 10000, status, &body, errstr, errlen);
	free(payload);
	if (rc)
		return rc;
	*resp = json_loads(body, 0, NULL);
	free(body);
	const char *sid = json_string_value(json_object_get(*resp, "session_id"));
	if (*status == 201 && sid) {
		remember(*resp);
		if (sid_out)
			util_strlcpy(sid_out, sid, sid_len);
	}
	return 0;
}

/* POST or GET on a session's endpoint with its token when one is known. */
static int perform(struct cc_http *h, const char *sid, const char *url, const char *post, long timeout_ms,
		   long *status, char **body, char *errstr, size_t errlen)
{
	char *tok = cc_token(h, sid);
	char *auth = tok ? xasprintf("Authorization: Bearer %s", tok) : NULL;
	const char *hdrs[] = { auth, NULL };
	int rc = perform_hdrs(h, url, post, hdrs, timeout_ms, status, body, errstr, errlen);
	free(auth);
	free(tok);
	return rc;
}

int cc_post_message(struct cc_http *h, const char *sid, const char *text, const char *client_msg_id, int wait_ms,
		    long *status, json_t **resp, char *errstr, size_t errlen)
{
	char url[512];
	snprintf(url, sizeof(url), "%s/v1/sessions/%s/messages?wait=%d", h->base, sid, wait_ms);
	json_t *j = json_pack("{s:s}", "text", text);
	if (client_msg_id)
		json_object_set_new(j, "client_msg_id", json_string(client_msg_id));
	char *payload = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	char *body = NULL;
	int rc = perform(h, sid, url, payload, wait_ms + 15000L, status, &body, errstr, errlen);
	free(payload);
	if (rc)
		return rc;
	*resp = json_loads(body, 0, NULL);
	free(body);
	return 0;
}

int cc_get_events(struct cc_http *h, const char *sid, uint64_t after, int wait_ms, long *status, json_t **resp,
		  char *errstr, size_t errlen)
{
	char url[512];
	snprintf(url, sizeof(url), "%s/v1/sessions/%s/events?after=%llu&wait=%d", h->base, sid,
		 (unsigned long long)after, wait_ms);
	char *body = NULL;
	if (perform(h, sid, url, NULL, wait_ms + 15000L, status, &body, errstr, errlen))
		return -1;
	*resp = json_loads(body, 0, NULL);
	free(body);
	return 0;
}

static int64_t stage_at(const json_t *event, const char *stage)
{
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(event, "stage_times"), i, st)
	{
		const char *name = json_string_value(json_object_get(st, "stage"));
		if (name && !strcmp(name, stage))
			return json_integer_value(json_object_get(st, "at_us"));
	}
	return -1;
}

int64_t cc_stage_delta(const json_t *event, const char *from, const char *to)
{
	int64_t a = stage_at(event, from), b = stage_at(event, to);
	return a < 0 || b < 0 ? -1 : b - a;
}
