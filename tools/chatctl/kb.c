/* kb: chatctl's knowledge-base commands. */
#include "kb.h"

#include <dirent.h>
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "kstage.h"
#include "proto/chat.pb-c.h"
#include "chunk.h"
#include "common/topics.h"
#include "pdf.h"
#include "util.h"

#define KB_MAX_DEPTH 16
#define KB_DOC_ID_MAX 255

struct kb_run {
	rd_kafka_t *rk;
	const char *tenant;
	int published, skipped, failed;
};

/* Delivery report: the opaque is the caller's int result (1 ok, -1 failed). */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	(void)rk;
	(void)opaque;
	int *done = rkm->_private;
	if (done)
		*done = rkm->err ? -1 : 1;
	if (rkm->err)
		fprintf(stderr, "chatctl: delivery failed: %s\n", rd_kafka_err2str(rkm->err));
}

static rd_kafka_t *kb_producer(const char *brokers)
{
	char errstr[512];
	rd_kafka_conf_t *conf = kstage_base_conf(brokers, errstr, sizeof(errstr));
	if (!conf || kstage_producer_conf(conf, errstr, sizeof(errstr)) ||
	    /* A command line gives up instead of waiting forever. */
	    kstage_conf_set(conf, "message.timeout.ms", "30000", errstr, sizeof(errstr))) {
		fprintf(stderr, "chatctl: %s\n", errstr);
		if (conf)
			rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk)
		fprintf(stderr, "chatctl: %s\n", errstr);
	return rk;
}

/* Produce one document and wait for its delivery report. 0 when delivered. */
static int publish(rd_kafka_t *rk, const Chat__Document *doc)
{
	size_t len = chat__document__get_packed_size(doc);
	void *buf = xmalloc(len);
	chat__document__pack(doc, buf);
	int done = 0;
	rd_kafka_resp_err_t err = rd_kafka_producev(
	    rk, RD_KAFKA_V_TOPIC(TOPIC_KB_DOCUMENTS), RD_KAFKA_V_KEY(doc->doc_id, strlen(doc->doc_id)),
	    RD_KAFKA_V_VALUE(buf, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&done),
	    RD_KAFKA_V_END);
	free(buf);
	if (err) {
		fprintf(stderr, "chatctl: cannot produce to %s: %s\n", TOPIC_KB_DOCUMENTS, rd_kafka_err2str(err));
		return -1;
	}
	while (!done)
		rd_kafka_poll(rk, 100);
	return done == 1 ? 0 : -1;
}

static void set_field(char **field, const char *val, size_t n)
{
	*field = xstrndup(val, n);
}

/* chunk_fm_fn: front matter keys into Document fields. */
static void on_front_matter(void *arg, const char *key, size_t klen, const char *val, size_t vlen)
{
	Chat__Document *doc = arg;
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "title", offsetof(Chat__Document, title) },
		{ "type", offsetof(Chat__Document, type) },
		{ "category", offsetof(Chat__Document, category) },
		{ "language", offsetof(Chat__Document, language) },
		{ "effective_date", offsetof(Chat__Document, effective_date) },
		{ "version", offsetof(Chat__Document, version) },
	};
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		if (strlen(keys[i].key) == klen && !memcmp(keys[i].key, key, klen)) {
			char **field = (char **)((char *)doc + keys[i].off);
			if (**field) /* the first occurrence wins */
				return;
			set_field(field, val, vlen);
		}
	}
}

static const char *content_type_of(int fmt)
{
	return fmt == CHUNK_MARKDOWN ? "text/markdown" : fmt == CHUNK_HTML ? "text/html" : "text/plain";
}

/* Read a whole file of at most KB_MAX_FILE_BYTES; -1 with why. */
static int read_file(const char *path, char **data, size_t *len, char *why, size_t whylen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		return -1;
	}
	char *buf = xmalloc(KB_MAX_FILE_BYTES + 1);
	size_t n = fread(buf, 1, KB_MAX_FILE_BYTES + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		snprintf(why, whylen, "cannot read");
		free(buf);
		return -1;
	}
	if (n > KB_MAX_FILE_BYTES) {
		snprintf(why, whylen, "larger than %d bytes", KB_MAX_FILE_BYTES);
		free(buf);
		return -1;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* A file chatctl can publish: a chunker format or a PDF. */
static int supported(const char *path)
{
	return chunk_format_of_path(path) >= 0 || pdf_path(path);
}

static void ingest_file(struct kb_run *run, const char *path, const char *doc_id)
{
	int pdf = pdf_path(path);
	int fmt = pdf ? CHUNK_TEXT : chunk_format_of_path(path);
	char *pdf_title = NULL;
	char why[256];
	char *data = NULL;
	size_t len = 0;
	if (strlen(doc_id) > KB_DOC_ID_MAX) {
		printf("skip     %s: document id longer than %d bytes\n", path, KB_DOC_ID_MAX);
		run->skipped++;
		return;
	}
	if (read_file(path, &data, &len, why, sizeof(why))) {
		printf("skip     %s: %s\n", path, why);
		run->skipped++;
		return;
	}
	/* the PDF's title metadata fills an empty title */
	if (pdf && len && pdf_to_text(&data, &len, KB_MAX_FILE_BYTES, &pdf_title, why, sizeof(why))) {
		printf("FAILED   %s: %s\n", path, why);
		run->failed++;
		free(data);
		return;
	}
	size_t body = fmt == CHUNK_HTML ? 0 : chunk_front_matter(data, len, NULL, NULL);
	int empty = 1;
	for (size_t i = body; i < len && empty; i++)
		empty = data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t';
	if (empty) {
		printf("skip     %s: empty%s\n", path, pdf ? " (no text in the PDF: scanned pages need OCR first)" : "");
		run->skipped++;
		free(data);
		free(pdf_title);
		return;
	}
	Chat__Document doc = CHAT__DOCUMENT__INIT;
	if (fmt != CHUNK_HTML && !pdf)
		chunk_front_matter(data, len, on_front_matter, &doc);
	if (pdf && *pdf_title)
		doc.title = xstrdup(pdf_title);
	free(pdf_title);
	doc.tenant_id = (char *)run->tenant;
	doc.doc_id = (char *)doc_id;
	doc.content_type = (char *)content_type_of(fmt);
	doc.body.data = (uint8_t *)data;
	doc.body.len = len;
	if (publish(run->rk, &doc)) {
		printf("FAILED   %s\n", doc_id);
		run->failed++;
	} else {
		printf("publish  %-36s %7zu bytes  %-13s %s  %s\n", doc_id, len, doc.content_type,
		       *doc.language ? doc.language : "-", *doc.title ? doc.title : "(no title)");
		run->published++;
	}
	char **fields[] = { &doc.title, &doc.type, &doc.category, &doc.language, &doc.effective_date, &doc.version };
	for (size_t i = 0; i < ARRAY_LEN(fields); i++)
		if (**fields[i])
			free(*fields[i]);
	free(data);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk dir (relative name rel under the root, "" at the root). */
static void ingest_dir(struct kb_run *run, const char *dir, const char *rel, int depth)
{
	if (depth > KB_MAX_DEPTH) {
		printf("skip     %s: deeper than %d folders\n", dir, KB_MAX_DEPTH);
		run->skipped++;
		return;
	}
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "chatctl: cannot open folder \"%s\": %s\n", dir, strerror(errno));
		run->failed++;
		return;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue; /* ., .. and hidden files */
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		char *sub = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		struct stat sb;
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			ingest_dir(run, path, sub, depth + 1);
		else if (supported(names[i]))
			ingest_file(run, path, sub);
		free(path);
		free(sub);
		free(names[i]);
	}
	free(names);
}

int cc_kb_ingest(const char *brokers, const char *tenant, char **paths, int n)
{
	struct kb_run run = { kb_producer(brokers), tenant, 0, 0, 0 };
	if (!run.rk)
		return 1;
	for (int i = 0; i < n; i++) {
		char *p = xstrdup(paths[i]);
		size_t pl = strlen(p);
		while (pl > 1 && p[pl - 1] == '/')
			p[--pl] = '\0';
		struct stat sb;
		if (stat(p, &sb)) {
			fprintf(stderr, "chatctl: \"%s\": %s\n", p, strerror(errno));
			run.failed++;
		} else if (S_ISDIR(sb.st_mode)) {
			ingest_dir(&run, p, "", 0);
		} else if (!supported(p)) {
			printf("skip     %s: not .md .markdown .txt .html .htm or .pdf\n", p);
			run.skipped++;
		} else {
			const char *slash = strrchr(p, '/');
			ingest_file(&run, p, slash ? slash + 1 : p);
		}
		free(p);
	}
	rd_kafka_flush(run.rk, 10000);
	rd_kafka_destroy(run.rk);
	printf("kb ingest: %d published, %d skipped, %d failed (to %s; the ingestion service re-indexes only "
	       "changed documents)\n",
	       run.published, run.skipped, run.failed, TOPIC_KB_DOCUMENTS);
	return run.failed ? 1 : 0;
}

int cc_kb_rm(const char *brokers, const char *tenant, const char *doc_id)
{
	if (!*doc_id || strlen(doc_id) > KB_DOC_ID_MAX) {
		fprintf(stderr, "chatctl: a document id is 1..%d bytes\n", KB_DOC_ID_MAX);
		return 2;
	}
	rd_kafka_t *rk = kb_producer(brokers);
	if (!rk)
		return 1;
	Chat__Document doc = CHAT__DOCUMENT__INIT;
	doc.tenant_id = (char *)tenant;
	doc.doc_id = (char *)doc_id;
	doc.deleted = 1;
	int rc = publish(rk, &doc);
	rd_kafka_flush(rk, 10000);
	rd_kafka_destroy(rk);
	if (rc)
		return 1;
	printf("kb rm: tombstone for %s published to %s\n", doc_id, TOPIC_KB_DOCUMENTS);
	return 0;
}
