/* Knowledge base: `chatctl kb ingest` publishes documents, the ingestion
 * service chunks and indexes them in PostgreSQL, the retriever finds them
 * (CLI and pipeline), an unchanged document is skipped, a changed one is
 * replaced and `chatctl kb rm` removes it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "helpers.h"
#include "kstage.h"
#include "turn.h"
#include "util.h"

static const char *repo(void)
{
	const char *r = getenv("REPO_DIR");
	return r && *r ? r : ".";
}

/* Run a shell command from the repository root; returns its stdout (heap)
 * and sets *status to its exit status. */
static char *run(const char *cmd, int *status)
{
	char *full = xasprintf("cd '%s' && %s", repo(), cmd);
	FILE *p = popen(full, "r");
	free(full);
	cr_assert_not_null(p, "cannot run %s", cmd);
	size_t cap = 4096, len = 0, n;
	char *out = xmalloc(cap);
	while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			out = xrealloc(out, cap);
		}
	}
	out[len] = '\0';
	int rc = pclose(p);
	*status = rc == -1 ? -1 : WEXITSTATUS(rc);
	return out;
}

static void ingest_demo(void)
{
	int st;
	char *out = run("build/bin/chatctl kb ingest deploy/demo/kb 2>&1", &st);
	cr_assert_eq(st, 0, "chatctl kb ingest failed:\n%s", out);
	cr_assert(strstr(out, "17 published"), "%s", out);
	free(out);
}

static long pg_long(const char *sql, const char *param, int timeout_ms)
{
	char *v = it_pg_wait(sql, param, timeout_ms);
	long n = v ? strtol(v, NULL, 10) : -1;
	free(v);
	return n;
}

Test(kb, demo_documents_are_chunked_and_found, .timeout = 90)
{
	ingest_demo();
	long chunks = pg_long("SELECT count(*) FROM kb_chunks WHERE tenant_id = 'demo' AND doc_id = $1 HAVING count(*) > 0",
			      "en/returns-refunds.md", 30000);
	cr_assert_gt(chunks, 0, "no chunks for en/returns-refunds.md within 30 s");
	long docs = pg_long("SELECT count(*) FROM kb_documents WHERE tenant_id = $1 AND chunks > 0 HAVING count(*) >= 17",
			    "demo", 30000);
	cr_assert_geq(docs, 17, "every demo document indexed");

	/* A paraphrase that shares few words with the policy. */
	int st;
	char *out = run("build/bin/retriever --query 'What is your refund policy for furniture I no longer want?' "
			"--k 3 2>/dev/null",
			&st);
	cr_assert_eq(st, 0);
	cr_assert(strstr(out, "\ten/returns-refunds.md\t"), "returns policy not in the top 3:\n%s", out);
	/* rank<TAB>score<TAB>document<TAB>chunk_id<TAB>title */
	char rank[8], score[32], doc[128], chunk[160];
	cr_assert_eq(sscanf(out, "%7[^\t]\t%31[^\t]\t%127[^\t]\t%159[^\t]\t", rank, score, doc, chunk), 4, "%s", out);
	cr_assert_str_eq(rank, "1");
	cr_assert_gt(strtod(score, NULL), 0.0);
	cr_assert(!strncmp(chunk, doc, strlen(doc)) && chunk[strlen(doc)] == '#', "chunk id is <doc>#<n>: %s", chunk);
	int lines = 0;
	for (const char *c = out; *c; c++)
		lines += *c == '\n';
	cr_assert_leq(lines, 3, "--k 3");
	free(out);

	out = run("build/bin/retriever --query '退货期是多少天？' --lang zh --k 3 2>/dev/null", &st);
	cr_assert_eq(st, 0);
	cr_assert(strstr(out, "\tzh/returns-refunds.md\t"), "Chinese query:\n%s", out);
	free(out);
	out = run("build/bin/retriever --query 'Berapa lama tempoh pemulangan?' --lang ms --k 3 2>/dev/null", &st);
	cr_assert(strstr(out, "\tms/returns-refunds.md\t"), "Malay query:\n%s", out);
	free(out);
}

Test(kb, unchanged_documents_are_skipped, .timeout = 90)
{
	ingest_demo();
	const char *id = "en/returns-refunds.md";
	cr_assert_gt(pg_long("SELECT count(*) FROM kb_chunks WHERE doc_id = $1 HAVING count(*) > 0", id, 30000), 0);
	util_sleep_ms(2000, NULL); /* let the first ingest settle */
	char *before = it_pg_wait("SELECT version || '/' || chunks || '/' || updated_at FROM kb_documents "
				  "WHERE tenant_id = 'demo' AND doc_id = $1",
				  id, 5000);
	long nchunks = pg_long("SELECT count(*) FROM kb_chunks WHERE tenant_id = 'demo' AND doc_id = $1", id, 5000);
	ingest_demo();
	util_sleep_ms(3000, NULL);
	char *after = it_pg_wait("SELECT version || '/' || chunks || '/' || updated_at FROM kb_documents "
				 "WHERE tenant_id = 'demo' AND doc_id = $1",
				 id, 5000);
	cr_assert_not_null(before);
	cr_assert_str_eq(after, before, "re-ingesting an unchanged file changed the document");
	cr_assert_eq(pg_long("SELECT count(*) FROM kb_chunks WHERE tenant_id = 'demo' AND doc_id = $1", id, 5000),
		     nchunks);
	free(before);
	free(after);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

Test(kb, changed_document_is_replaced_and_rm_removes_it, .timeout = 90)
{
	char name[64], dir[128], path[256], cmd[512];
	it_session(name, sizeof(name), "kb");
	snprintf(dir, sizeof(dir), "/tmp/%s", name);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s.md", dir, name);
	char *doc_id = xasprintf("%s.md", name);
	write_file(path, "---\ntitle: Gift wrapping\nlanguage: en\nversion: 1\n---\n# Gift wrapping\n\n"
			 "We wrap presents in zebrawrap paper for free.\n");
	int st;
	snprintf(cmd, sizeof(cmd), "build/bin/chatctl kb ingest %s 2>&1", dir);
	char *out = run(cmd, &st);
	cr_assert_eq(st, 0, "%s", out);
	free(out);
	cr_assert_gt(pg_long("SELECT count(*) FROM kb_chunks WHERE doc_id = $1 AND text LIKE '%zebrawrap%' "
			     "HAVING count(*) > 0",
			     doc_id, 30000),
		     0);
	long v1 = pg_long("SELECT version FROM kb_documents WHERE doc_id = $1", doc_id, 5000);

	write_file(path, "---\ntitle: Gift wrapping\nlanguage: en\nversion: 2\n---\n# Gift wrapping\n\n"
			 "Gift wrapping now uses quokkafoil paper.\n");
	out = run(cmd, &st);
	cr_assert_eq(st, 0, "%s", out);
	free(out);
	cr_assert_gt(pg_long("SELECT count(*) FROM kb_chunks WHERE doc_id = $1 AND text LIKE '%quokkafoil%' "
			     "HAVING count(*) > 0",
			     doc_id, 30000),
		     0);
	cr_assert_eq(pg_long("SELECT count(*) FROM kb_chunks WHERE doc_id = $1 AND text LIKE '%zebrawrap%'", doc_id,
			     5000),
		     0, "the old chunks are gone");
	cr_assert_eq(pg_long("SELECT version FROM kb_documents WHERE doc_id = $1", doc_id, 5000), v1 + 1);
	out = run("build/bin/retriever --query quokkafoil --k 1 2>/dev/null", &st);
	cr_assert(strstr(out, doc_id), "%s", out);
	free(out);

	snprintf(cmd, sizeof(cmd), "build/bin/chatctl kb rm %s 2>&1", doc_id);
	out = run(cmd, &st);
	cr_assert_eq(st, 0, "%s", out);
	free(out);
	cr_assert_eq(pg_long("SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM kb_documents WHERE doc_id = $1) AND NOT "
			     "EXISTS (SELECT 1 FROM kb_chunks WHERE doc_id = $1)",
			     doc_id, 30000),
		     0, "document and chunks removed");
	unlink(path);
	rmdir(dir);
	free(doc_id);
}

Test(kb, rag_turn_reaches_the_llm_caller_with_passages, .timeout = 90)
{
	ingest_demo();
	cr_assert_gt(pg_long("SELECT count(*) FROM kb_chunks WHERE doc_id = $1 HAVING count(*) > 0",
			     "en/returns-refunds.md", 30000),
		     0);
	char errstr[512], sid[64];
	it_open_session(sid, sizeof(sid));
	rd_kafka_t *rk = it_tail("chat.grounded.v1");

	json_t *reply = it_ask(sid, "Can I return a sofa I bought two weeks ago?");
	json_decref(reply);

	Chat__Turn *turn = NULL;
	rd_kafka_message_t *rkm = it_poll_key(rk, sid, 30000);
	if (rkm) {
		turn = turn_decode(rkm->payload, rkm->len, errstr, sizeof(errstr));
		rd_kafka_message_destroy(rkm);
	}
	cr_assert_not_null(turn, "the question never reached chat.grounded.v1 (the llm-caller's input)");
	cr_assert_gt(turn->n_passages, 0, "no passages attached");
	int found = 0;
	for (size_t i = 0; i < turn->n_passages && i < 3; i++)
		found |= !strcmp(turn->passages[i]->document, "en/returns-refunds.md");
	cr_assert(found, "returns policy not among the top 3 passages (first: %s)", turn->passages[0]->id);
	cr_assert_neq(turn->passages[0]->text[0], '\0');
	cr_assert_gt(turn->passages[0]->score, 0.0);
	turn_free(turn);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}
