/* pdf: text of a PDF document through poppler-glib. */
#include "pdf.h"

#include <poppler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

int pdf_text(const void *data, size_t len, size_t max_text, char **text, char **title, char *errstr, size_t errlen)
{
	GError *err = NULL;
	*text = NULL;
	*title = NULL;
	if (len < 5 || memcmp(data, "%PDF-", 5)) {
		snprintf(errstr, errlen, "not a PDF (no %%PDF- header)");
		return -1;
	}
	GBytes *bytes = g_bytes_new(data, len);
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &err);
	g_bytes_unref(bytes);
	if (!doc) {
		snprintf(errstr, errlen, "cannot parse the PDF: %s", err ? err->message : "unknown error");
		if (err)
			g_error_free(err);
		return -1;
	}
	int pages = poppler_document_get_n_pages(doc);
	size_t n = 0;
	char *out = xmalloc(1);
	out[0] = '\0';
	int rc = 0;
	for (int i = 0; i < pages; i++) {
		PopplerPage *page = poppler_document_get_page(doc, i);
		if (!page)
			continue;
		char *t = poppler_page_get_text(page);
		g_object_unref(page);
		if (!t)
			continue;
		size_t tl = strlen(t);
		if (n + tl + 2 > max_text) {
			snprintf(errstr, errlen, "more than %zu bytes of text", max_text);
			g_free(t);
			rc = -1;
			break;
		}
		out = xrealloc(out, n + tl + 3);
		memcpy(out + n, t, tl);
		n += tl;
		memcpy(out + n, "\n\n", 3);
		n += 2;
		g_free(t);
	}
	char *ti = poppler_document_get_title(doc);
	g_object_unref(doc);
	if (rc) {
		free(out);
		g_free(ti);
		return -1;
	}
	*text = out;
	*title = xstrdup(ti ? ti : "");
	g_free(ti);
	return 0;
}

int pdf_path(const char *path)
{
	size_t n = strlen(path);
	return n > 4 && !strcasecmp(path + n - 4, ".pdf");
}

int pdf_to_text(char **data, size_t *len, size_t max_text, char **title, char *errstr, size_t errlen)
{
	char *text = NULL;
	if (pdf_text(*data, *len, max_text, &text, title, errstr, errlen))
		return -1;
	free(*data);
	*data = text;
	*len = strlen(text);
	return 0;
}
