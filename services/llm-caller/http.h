/* http: one streaming POST with libcurl for the network providers, with
 * connect, first-byte and total timeouts and the HTTP status mapped to an
 * llm_err. */
#ifndef SERVICES_LLM_CALLER_HTTP_H
#define SERVICES_LLM_CALLER_HTTP_H

#include <stddef.h>

#include "llm-caller.h"

struct curl_slist;

/* Called with each piece of a 200 response body; a non-zero return aborts
 * the transfer and becomes the result (an llm_err). */
typedef int (*llm_body_fn)(void *arg, const char *buf, size_t len, char errstr[256]);

/* POST body to url with headers; stream a 200 body to fn. Returns 0 or an
 * llm_err with errstr. */
int llm_http_post(const struct llm_config *cfg, const char *url, struct curl_slist *headers, const char *body,
		  size_t body_len, llm_body_fn fn, void *arg, char errstr[256]);

#endif
