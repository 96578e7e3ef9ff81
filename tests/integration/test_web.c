/* The gateway serves the widget and the demo page from its own binary:
 * the same bytes as the files in the repository, with their content types. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

struct page {
	long status;
	char type[128];
	char *body;
	size_t len;
};

static struct page fetch(const char *method, const char *path)
{
	struct page p = { 0, "", NULL, 0 };
	char url[512];
	snprintf(url, sizeof(url), "%s%s", it_gateway_url(), path);
	FILE *sink = open_memstream(&p.body, &p.len);
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
	cr_assert_eq(curl_easy_perform(c), CURLE_OK, "%s %s failed", method, url);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p.status);
	char *ct = NULL;
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(p.type, sizeof(p.type), "%s", ct ? ct : "");
	curl_easy_cleanup(c);
	fclose(sink);
	return p;
}

static char *slurp(const char *rel, size_t *len)
{
	char path[1024];
	const char *root = getenv("REPO_DIR") ? getenv("REPO_DIR") : ".";
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, out);
	fclose(f);
	fclose(out);
	return buf;
}

static void same_as_file(const char *path, const char *file, const char *type)
{
	struct page p = fetch("GET", path);
	size_t len;
	char *want = slurp(file, &len);
	cr_assert_eq(p.status, 200, "GET %s: HTTP %ld", path, p.status);
	cr_assert(!strncmp(p.type, type, strlen(type)), "GET %s: Content-Type \"%s\", want \"%s\"", path, p.type, type);
	cr_assert_eq(p.len, len, "GET %s: %zu bytes, the file has %zu (rebuild the gateway?)", path, p.len, len);
	cr_assert(!memcmp(p.body, want, len), "GET %s differs from %s", path, file);
	free(p.body);
	free(want);
}

Test(web, widget_js_is_the_file_in_the_repository)
{
	same_as_file("/widget.js", "services/gateway/web/widget.js", "text/javascript");
}

Test(web, demo_page_is_served_at_the_root_and_embeds_the_widget)
{
	same_as_file("/", "services/gateway/web/index.html", "text/html");
	struct page p = fetch("GET", "/");
	cr_assert_not_null(memmem(p.body, p.len, "src=\"/widget.js\"", 16), "the demo page does not load /widget.js");
	free(p.body);
}

Test(web, other_methods_are_405_with_an_error)
{
	struct page p = fetch("POST", "/widget.js");
	cr_assert_eq(p.status, 405);
	cr_assert_not_null(memmem(p.body, p.len, "\"error\"", 7), "no {\"error\"} body: %.*s", (int)p.len, p.body);
	free(p.body);
}
