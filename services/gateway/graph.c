/* graph: the WhatsApp Cloud API client (libcurl). */
#include "graph.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define GRAPH_MAX_ANSWER 65536 /* bytes of an answer kept for the error message */

struct graph {
	char *base, *version, *auth;
	long timeout_ms, max_attempts, backoff_ms;
	CURL *curl;
};

struct graph *graph_new(const struct graph_conf *conf)
{
	/* Once per process, before any thread uses curl (a no-op after). */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct graph *g = xcalloc(1, sizeof(*g));
	g->base = xstrdup(conf->base);
	size_t n = strlen(g->base);
	while (n && g->base[n - 1] == '/')
		g->base[--n] = '\0';
	g->version = xstrdup(conf->version);
	g->auth = xasprintf("Authorization: Bearer %s", conf->token);
	g->timeout_ms = conf->timeout_ms;
	g->max_attempts = conf->max_attempts > 0 ? conf->max_attempts : 1;
	g->backoff_ms = conf->backoff_ms;
	g->curl = curl_easy_init();
	return g;
}

void graph_free(struct graph *g)
{
	if (!g)
		return;
	if (g->curl)
		curl_easy_cleanup(g->curl);
	free(g->base);
	free(g->version);
	/* The token is a secret: do not leave it in freed memory. */
	memset(g->auth, 0, strlen(g->auth));
	free(g->auth);
	free(g);
}

int graph_retryable(long status)
{
	return status == 0 || status == 429 || (status >= 500 && status <= 599);
}

char *graph_message_body(const char *msg, size_t len, const char *to, char *errstr, size_t errlen)
{
	json_error_t jerr;
	json_t *o = json_loadb(msg, len, 0, &jerr);
	char *out = NULL;
	if (!json_is_object(o) || !json_is_string(json_object_get(o, "type"))) {
		snprintf(errstr, errlen, "a rendered WhatsApp message must be a JSON object with a \"type\"");
		goto out;
	}
	json_object_set_new(o, "messaging_product", json_string("whatsapp"));
	json_object_set_new(o, "recipient_type", json_string("individual"));
	json_object_set_new(o, "to", json_string(to));
	out = json_dumps(o, JSON_COMPACT);
out:
	json_decref(o);
	return out;
}

struct answer {
	char buf[GRAPH_MAX_ANSWER];
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t bytes = size * n;
	size_t room = sizeof(a->buf) - 1 - a->len;
	size_t take = bytes < room ? bytes : room;
	memcpy(a->buf + a->len, p, take);
	a->len += take;
	a->buf[a->len] = '\0';
	return bytes;
}

/* Graph errors are {"error":{"message","code",...}}: the message and code,
 * cut short; never the request (it holds the customer's number). */
static void describe(long status, const struct answer *a, char *errstr, size_t errlen)
{
	json_t *j = json_loadb(a->buf, a->len, 0, NULL);
	json_t *e = json_object_get(j, "error");
	const char *m = json_string_value(json_object_get(e, "message"));
	if (m)
		snprintf(errstr, errlen, "Graph API answered HTTP %ld: %.160s (code %lld)", status, m,
			 (long long)json_integer_value(json_object_get(e, "code")));
	else
		snprintf(errstr, errlen, "Graph API answered HTTP %ld", status);
	json_decref(j);
}

static long attempt(struct graph *g, const char *url, const char *body, char *errstr, size_t errlen)
{
	struct answer *a = xmalloc(sizeof(*a));
	a->len = 0;
	a->buf[0] = '\0';
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, g->auth);
	CURL *c = g->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, g->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, g->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	long status = 0;
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		snprintf(errstr, errlen, "Graph API unreachable: %s", curl_easy_strerror(rc));
	else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status < 200 || status > 299)
			describe(status, a, errstr, errlen);
	}
	curl_slist_free_all(hdr);
	free(a);
	return status;
}

int graph_send(struct graph *g, const char *phone_number_id, const char *body, volatile sig_atomic_t *stop,
	       long *status, int *attempts, char *errstr, size_t errlen)
{
	char *url = xasprintf("%s/%s/%s/messages", g->base, g->version, phone_number_id);
	long backoff = g->backoff_ms;
	int rc = -1;
	*attempts = 0;
	*status = 0;
	if (!g->curl) {
		snprintf(errstr, errlen, "cannot create a curl handle");
		goto out;
	}
	for (long i = 0; i < g->max_attempts; i++) {
		if (i > 0) {
			util_sleep_ms((int)backoff, stop);
			backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
		}
		if (stop && *stop)
			break;
		++*attempts;
		*status = attempt(g, url, body, errstr, errlen);
		if (*status >= 200 && *status <= 299) {
			rc = 0;
			break;
		}
		if (!graph_retryable(*status))
			break;
	}
out:
	free(url);
	return rc;
}
