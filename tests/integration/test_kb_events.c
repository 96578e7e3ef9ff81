/* Knowledge base and live facts, end to end through the stack: a PDF is
 * ingested and found (full text and vectors), a PDF that does not parse
 * fails alone with a non-zero exit, chatctl inventory / price events
 * (protobuf and JSON) reach PostgreSQL and Redis, an older event never
 * overwrites a newer one, and an event for an unknown SKU is dead-lettered
 * with its reason while the next one is applied. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "helpers.h"
#include "kstage.h"
#include "util.h"

static char *sh(const char *cmd, int *status)
{
	const char *r = getenv("REPO_DIR");
	char *full = xasprintf("cd '%s' && %s", r && *r ? r : ".", cmd);
	FILE *p = popen(full, "r");
	free(full);
	cr_assert_not_null(p);
	size_t cap = 8192, len = 0, n;
	char *out = xmalloc(cap);
	while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2)
			out = xrealloc(out, cap *= 2);
	}
	out[len] = '\0';
	int rc = pclose(p);
	*status = rc == -1 ? -1 : WEXITSTATUS(rc);
	return out;
}

Test(kb_events, pdf_is_ingested_and_a_broken_one_fails_alone, .timeout = 120)
{
	char name[64], dir[128], cmd[1024];
	it_session(name, sizeof(name), "pdf");
	snprintf(dir, sizeof(dir), "/tmp/%s", name);
	cr_assert_eq(mkdir(dir, 0700), 0);
	/* A real PDF (the demo's care guide), a damaged one, an empty file. */
	snprintf(cmd, sizeof(cmd),
		 "cp deploy/demo/kb/en/care-guide.pdf %s/%s-care.pdf && printf '%%%%PDF-1.4\\nnot really' > %s/broken.pdf "
		 "&& : > %s/empty.md",
		 dir, name, dir, dir);
	int st;
	free(sh(cmd, &st));
	cr_assert_eq(st, 0);
	snprintf(cmd, sizeof(cmd), "build/bin/chatctl kb ingest %s 2>&1", dir);
	char *out = sh(cmd, &st);
	cr_assert_eq(st, 1, "a failed file makes the exit non-zero:\n%s", out);
	cr_assert(strstr(out, "FAILED   ") && strstr(out, "broken.pdf: cannot parse the PDF"), "%s", out);
	cr_assert(strstr(out, "skip     ") && strstr(out, "empty.md: empty"), "%s", out);
	cr_assert(strstr(out, "1 published, 1 skipped, 1 failed"), "%s", out);
	free(out);
	char doc[96];
	snprintf(doc, sizeof(doc), "%s-care.pdf", name);
	char *n = it_pg_wait("SELECT count(*) FROM kb_chunks WHERE doc_id = $1 AND embedding IS NOT NULL AND "
			     "text LIKE '%monsoon%' HAVING count(*) > 0",
			     doc, 60000);
	cr_assert_not_null(n, "the PDF's text was not indexed with vectors within 60 s");
	free(n);
	char *title = it_pg_wait("SELECT title FROM kb_documents WHERE doc_id = $1", doc, 5000);
	cr_assert_str_eq(title, "Furniture care guide", "the PDF's title metadata");
	free(title);
	/* Found by meaning, by the vectors alone. */
	out = sh("build/bin/retriever --query 'keeping a wooden table from cracking near the aircon' --mode vector "
		 "--k 5 2>/dev/null",
		 &st);
	cr_assert_eq(st, 0);
	cr_assert(strstr(out, "care.pdf#0") || strstr(out, "care-guide.pdf#0"), "vector search:\n%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "build/bin/chatctl kb rm %s >/dev/null 2>&1", doc);
	free(sh(cmd, &st));
}

static long pg_num(const char *sql, const char *param, int timeout_ms)
{
	char *v = it_pg_wait(sql, param, timeout_ms);
	long x = v ? strtol(v, NULL, 10) : -1;
	free(v);
	return x;
}

Test(kb_events, inventory_and_price_events_from_chatctl, .timeout = 90)
{
	int st;
	long qty = 100 + (long)(util_now_us() % 800);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "build/bin/chatctl inventory HL-SOFA-0009 %ld --store KL-MVM 2>&1", qty);
	char *out = sh(cmd, &st);
	cr_assert_eq(st, 0, "%s", out);
	free(out);
	char want[32];
	snprintf(want, sizeof(want), "%ld", qty);
	char *sql = xasprintf("SELECT qty FROM inventory WHERE tenant_id = 'demo' AND sku = $1 AND "
			      "store_id = 'KL-MVM' AND qty = %ld",
			      qty);
	cr_assert_eq(pg_num(sql, "HL-SOFA-0009", 30000), qty, "protobuf stock event not applied");
	free(sql);
	/* The JSON form, one more. */
	snprintf(cmd, sizeof(cmd), "build/bin/chatctl inventory HL-SOFA-0009 %ld --store KL-MVM --json 2>&1", qty + 1);
	free(sh(cmd, &st));
	cr_assert_eq(st, 0);
	sql = xasprintf("SELECT qty FROM inventory WHERE sku = $1 AND store_id = 'KL-MVM' AND qty = %ld", qty + 1);
	cr_assert_eq(pg_num(sql, "HL-SOFA-0009", 30000), qty + 1, "JSON stock event not applied");
	free(sql);
	/* Price: 1234.50 ringgit. */
	free(sh("build/bin/chatctl price HL-SOFA-0013 1234.50 --json 2>&1", &st));
	cr_assert_eq(st, 0);
	cr_assert_eq(pg_num("SELECT price_sen FROM prices WHERE sku = $1 AND price_sen = 123450", "HL-SOFA-0013", 30000),
		     123450);
	out = sh("build/bin/chatctl price HL-SOFA-0013 12.345 2>&1", &st);
	cr_assert_eq(st, 2, "three decimals are refused: %s", out);
	free(out);
}

static char *header(rd_kafka_message_t *rkm, const char *name)
{
	rd_kafka_headers_t *hdrs = NULL;
	const void *val;
	size_t size;
	if (rd_kafka_message_headers(rkm, &hdrs) || rd_kafka_header_get_last(hdrs, name, &val, &size))
		return NULL;
	return xstrndup(val, size);
}

Test(kb_events, unknown_sku_is_dead_lettered_and_the_next_event_applies, .timeout = 90)
{
	char sku[64];
	it_session(sku, sizeof(sku), "NOSUCH");
	rd_kafka_t *rk = it_tail("chat.dlq.v1");
	char cmd[256];
	int st;
	snprintf(cmd, sizeof(cmd), "build/bin/chatctl inventory %s 3 --store KL-MVM --json 2>&1", sku);
	free(sh(cmd, &st));
	cr_assert_eq(st, 0);
	rd_kafka_message_t *m = it_poll_key(rk, sku, 30000);
	cr_assert_not_null(m, "the unknown SKU's event is not in chat.dlq.v1 within 30 s");
	char *err = header(m, "dlq.error");
	cr_assert(err && strstr(err, "unknown SKU"), "dlq.error: %s", err ? err : "(none)");
	cr_assert_eq(m->payload && ((const char *)m->payload)[0] == '{', 1, "the original JSON is kept");
	free(err);
	rd_kafka_message_destroy(m);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	cr_assert_eq(pg_num("SELECT count(*) FROM inventory WHERE sku = $1", sku, 2000), 0);
	/* The stage goes on. */
	long qty = 1000 + (long)(util_now_us() % 1000);
	snprintf(cmd, sizeof(cmd), "build/bin/chatctl inventory HL-SOFA-0009 %ld --store SEL-SWP 2>&1", qty);
	free(sh(cmd, &st));
	char *sql = xasprintf("SELECT qty FROM inventory WHERE sku = $1 AND store_id = 'SEL-SWP' AND qty = %ld", qty);
	cr_assert_eq(pg_num(sql, "HL-SOFA-0009", 30000), qty);
	free(sql);
}
