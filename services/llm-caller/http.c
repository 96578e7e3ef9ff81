/* http: streaming POST with libcurl. */
#include "http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

struct xfer {
	CURL *curl;
	llm_body_fn fn;
	void *arg;
	long status;
	char errbody[512];
	size_t errlen;
	int rc;
	char err[256];
	int64_t start_us, first_ms;
	int got_body;
	int first_timeout;
};

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;
	if (!x->status)
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
	x->got_body = 1;
	if (x->status != 200) {
		size_t k = n < sizeof(x->errbody) - 1 - x->errlen ? n : sizeof(x->errbody) - 1 - x->errlen;
		memcpy(x->errbody + x->errlen, ptr, k);
		x->errlen += k;
		x->errbody[x->errlen] = '\0';
		return n;
	}
	int rc = x->fn(x->arg, ptr, n, x->err);
	if (rc) {
		x->rc = rc;
		return 0; /* abort */
	}
	return n;
}

static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = p;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (!x->got_body && x->first_ms > 0 && util_mono_us() - x->start_us > x->first_ms * 1000) {
		x->first_timeout = 1;
		return 1;
	}
	return 0;
}

int llm_http_post(const struct llm_config *cfg, const char *url, struct curl_slist *headers, const char *body,
		  size_t body_len, llm_body_fn fn, void *arg, char errstr[256])
{
	struct xfer x;
	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	x.first_ms = cfg->first_token_timeout_ms;
	x.start_us = util_mono_us();
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(errstr, 256, "curl_easy_init failed");
		return LLM_ETRANSPORT;
	}
	x.curl = c;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cfg->total_timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "identity");
	CURLcode cc = curl_easy_perform(c);
	int rc = 0;
	if (!x.status)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x.status);
	if (x.rc) {
		rc = x.rc;
		snprintf(errstr, 256, "%s", x.err);
	} else if (x.first_timeout) {
		rc = LLM_ETIMEOUT;
		snprintf(errstr, 256, "no response within %ld ms (first-token timeout) from %s", x.first_ms, url);
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		rc = LLM_ETIMEOUT;
		snprintf(errstr, 256, "timeout talking to %s: %s", url, curl_easy_strerror(cc));
	} else if (cc != CURLE_OK) {
		rc = LLM_ETRANSPORT;
		snprintf(errstr, 256, "request to %s failed: %s", url, curl_easy_strerror(cc));
	} else if (x.status != 200) {
		rc = x.status == 429 || x.status >= 500 ? LLM_ETRANSPORT : LLM_EREJECTED;
		snprintf(errstr, 256, "HTTP %ld from %s: %.120s", x.status, url, x.errbody);
	}
	curl_easy_cleanup(c);
	return rc;
}
