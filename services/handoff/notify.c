/* notify: webhook notifications on their own thread, with retries. */
#include "notify.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

struct notifier {
	char *url;
	int max_attempts, backoff_ms, timeout_ms, queue_max;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char **queue; /* ring of queue_max */
	int head, count;
	volatile int stop;
	long sent, failed;
};

static size_t discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

/* One POST: 0 on a 2xx answer. */
static int post_once(struct notifier *n, CURL *curl, const char *body, long *status)
{
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, n->url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)n->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	CURLcode cc = curl_easy_perform(curl);
	*status = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdr);
	return cc == CURLE_OK && *status >= 200 && *status < 300 ? 0 : -1;
}

static void *run(void *arg)
{
	struct notifier *n = arg;
	CURL *curl = curl_easy_init();
	for (;;) {
		pthread_mutex_lock(&n->lock);
		while (!n->count && !n->stop)
			pthread_cond_wait(&n->cond, &n->lock);
		if (n->stop) {
			pthread_mutex_unlock(&n->lock);
			break;
		}
		char *text = n->queue[n->head];
		n->head = (n->head + 1) % n->queue_max;
		n->count--;
		pthread_mutex_unlock(&n->lock);

		json_t *j = json_pack("{s:s}", "text", text);
		char *body = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		int ok = 0, delay = n->backoff_ms;
		long status = 0;
		for (int attempt = 1; attempt <= n->max_attempts && !n->stop; attempt++) {
			if (post_once(n, curl, body, &status) == 0) {
				ok = 1;
				break;
			}
			if (attempt < n->max_attempts) {
				util_sleep_ms(delay, NULL);
				delay *= 2;
			}
		}
		pthread_mutex_lock(&n->lock);
		if (ok)
			n->sent++;
		else
			n->failed++;
		pthread_mutex_unlock(&n->lock);
		if (!ok)
			log_warn("agent notification not delivered after %d tries (last HTTP status %ld)", n->max_attempts,
				 status);
		free(body);
		free(text);
	}
	curl_easy_cleanup(curl);
	return NULL;
}

struct notifier *notifier_new(const char *url, int max_attempts, int backoff_ms, int timeout_ms, int queue_max)
{
	struct notifier *n = xcalloc(1, sizeof(*n));
	n->url = xstrdup(url);
	n->max_attempts = max_attempts > 0 ? max_attempts : 1;
	n->backoff_ms = backoff_ms;
	n->timeout_ms = timeout_ms;
	n->queue_max = queue_max > 0 ? queue_max : 1;
	n->queue = xcalloc((size_t)n->queue_max, sizeof(*n->queue));
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	pthread_create(&n->thread, NULL, run, n);
	return n;
}

void notifier_post(struct notifier *n, const char *text)
{
	pthread_mutex_lock(&n->lock);
	if (n->count == n->queue_max) {
		free(n->queue[n->head]);
		n->head = (n->head + 1) % n->queue_max;
		n->count--;
		n->failed++;
		log_warn("agent notification queue full: the oldest notification was dropped");
	}
	n->queue[(n->head + n->count) % n->queue_max] = xstrdup(text);
	n->count++;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

long notifier_sent(struct notifier *n)
{
	pthread_mutex_lock(&n->lock);
	long v = n->sent;
	pthread_mutex_unlock(&n->lock);
	return v;
}

long notifier_failed(struct notifier *n)
{
	pthread_mutex_lock(&n->lock);
	long v = n->failed;
	pthread_mutex_unlock(&n->lock);
	return v;
}

void notifier_free(struct notifier *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	n->stop = 1;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	for (int i = 0; i < n->count; i++)
		free(n->queue[(n->head + i) % n->queue_max]);
	free(n->queue);
	pthread_mutex_destroy(&n->lock);
	pthread_cond_destroy(&n->cond);
	free(n->url);
	free(n);
}
