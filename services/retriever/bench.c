/* retriever-bench: loads a knowledge base straight into PostgreSQL (the
 * demo folder, or a generated one of N chunks) under a tenant of its own,
 * then measures retrieval quality (eval) or latency (latency), and
 * removes it (clean). Used by make eval-retrieval and make bench-retrieval.
 *
 *   retriever-bench load   --tenant T DIR
 *   retriever-bench gen    --tenant T --chunks N --from DIR
 *   retriever-bench eval   --tenant T QUESTIONS.tsv
 *   retriever-bench latency --tenant T --lang L --queries QUESTIONS.tsv [--rounds R] [--slowest N]
 *                           (--slowest: the N slowest questions per ranking, by median)
 *   retriever-bench clean  --tenant T
 *
 * DATABASE_URL and the EMBED_* variables as for the services. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chunk.h"
#include "cpg.h"
#include "embed.h"
#include "services/ingestion/ingestion.h"
#include "store.h"
#include "tools/chatctl/pdf.h"
#include "util.h"
#include "vindex.h"

#define MAX_Q 1024

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 2; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return def;
}

static struct embedder *make_embedder(void)
{
	struct embed_conf c = {
		.provider = env_or("EMBED_PROVIDER", "local"),
		.dim = strtol(env_or("EMBED_DIM", "0"), NULL, 10),
		.url = env_or("EMBED_URL", ""),
		.model = env_or("EMBED_MODEL", ""),
		.api_key = env_or("EMBED_API_KEY", ""),
		.region = env_or("EMBED_REGION", "us-east-1"),
		.timeout_ms = 10000,
	};
	char errstr[256];
	struct embedder *e = embed_new(&c, errstr, sizeof(errstr));
	if (!e) {
		fprintf(stderr, "retriever-bench: %s\n", errstr);
		exit(2);
	}
	return e;
}

static void must(int rc, const char *what, const char *errstr)
{
	if (rc) {
		fprintf(stderr, "retriever-bench: %s: %s\n", what, rc == -1 ? "database unreachable" : errstr);
		exit(1);
	}
}

static void vec_hex(const float *v, int dim, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < dim; i++) {
		uint32_t u;
		memcpy(&u, &v[i], 4);
		for (int b = 0; b < 4; b++) {
			unsigned char byte = (unsigned char)(u >> (8 * b));
			*out++ = hx[byte >> 4];
			*out++ = hx[byte & 15];
		}
	}
	*out = '\0';
}

/* Insert one chunk as the ingestion service does (same search text and
 * weights; see services/ingestion/store.c). */
static void insert_chunk(struct cpg *pg, struct embedder *e, const char *tenant, const char *doc_id, int seq,
			 const char *title, const char *language, const char *text)
{
	static const char sql[] =
	    "INSERT INTO kb_chunks (tenant_id, chunk_id, doc_id, seq, title, language, text, search_text, tsv, "
	    "embedding, embed_model) VALUES ($1, $2, $3, $4::int, $5, $6, $7, $8, "
	    "setweight(to_tsvector($9::regconfig, $10), 'A') || setweight(to_tsvector($9::regconfig, $8), 'B'), "
	    "decode($11, 'hex'), $12)";
	char errstr[256], seqs[16];
	char *et = ingest_embed_text(title, text);
	float *v = NULL;
	int dim = 0;
	must(embed_texts(e, (const char *const *)&et, 1, &v, &dim, errstr, sizeof(errstr)), "embedding", errstr);
	char *hex = xmalloc((size_t)dim * 8 + 1);
	vec_hex(v, dim, hex);
	int zh = !strcmp(language, "zh") || chunk_has_han(text);
	char *search = zh ? chunk_space_han(text) : xstrdup(text);
	char *stitle = zh || chunk_has_han(title) ? chunk_space_han(title) : xstrdup(title);
	char *chunk_id = xasprintf("%s#%d", doc_id, seq);
	snprintf(seqs, sizeof(seqs), "%d", seq);
	const char *p[] = { tenant, chunk_id, doc_id, seqs, title, language, text, search,
			    !strcmp(language, "en") ? "english" : "simple", stitle, hex, embed_model_id(e) };
	must(cpg_run(pg, sql, 12, p, NULL, errstr, sizeof(errstr)), "insert", errstr);
	free(chunk_id);
	free(search);
	free(stitle);
	free(hex);
	free(v);
	free(et);
}

struct fm {
	char title[256], language[16];
};

static void on_fm(void *arg, const char *key, size_t klen, const char *val, size_t vlen)
{
	struct fm *f = arg;
	if (klen == 5 && !memcmp(key, "title", 5))
		snprintf(f->title, sizeof(f->title), "%.*s", (int)vlen, val);
	if (klen == 8 && !memcmp(key, "language", 8))
		snprintf(f->language, sizeof(f->language), "%.*s", (int)vlen, val);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = xmalloc((size_t)n + 1);
	*len = fread(b, 1, (size_t)n, f);
	b[*len] = '\0';
	fclose(f);
	return b;
}

/* Every document under dir (one level of language folders), chunked. */
typedef void (*doc_fn)(void *arg, const char *doc_id, const struct fm *fm, const struct chunk_list *cl);

/* A PDF's bytes replaced by its text, its title metadata into fm, as
 * chatctl kb ingest publishes it. -1 (and a message) when it does not
 * parse. */
static int pdf_body(const char *path, char **body, size_t *len, struct fm *fm)
{
	char *title = NULL, errstr[256];
	if (pdf_to_text(body, len, 64u << 20, &title, errstr, sizeof(errstr))) {
		fprintf(stderr, "retriever-bench: %s: %s\n", path, errstr);
		return -1;
	}
	snprintf(fm->title, sizeof(fm->title), "%s", title);
	free(title);
	return 0;
}

static void walk(const char *dir, const char *rel, doc_fn fn, void *arg)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "retriever-bench: cannot open %s\n", dir);
		exit(1);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, de->d_name);
		char *id = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		struct stat sb;
		int pdf = pdf_path(de->d_name);
		int fmt = pdf ? CHUNK_TEXT : chunk_format_of_path(de->d_name);
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			walk(path, id, fn, arg);
		} else if (fmt >= 0) {
			size_t len = 0;
			char *body = slurp(path, &len);
			struct fm fm = { "", "" };
			/* A PDF is published as its text, as chatctl kb ingest does. */
			if (body && pdf && pdf_body(path, &body, &len, &fm)) {
				free(body);
				body = NULL;
			}
			if (!body) {
				free(path);
				free(id);
				continue;
			}
			if (fmt != CHUNK_HTML && !pdf)
				chunk_front_matter(body, len, on_fm, &fm);
			struct chunk_list cl = { 0 };
			char errstr[256];
			if (chunk_document(body, len, fmt, 0, -1, &cl, errstr, sizeof(errstr)) == 0) {
				if (!*fm.title)
					snprintf(fm.title, sizeof(fm.title), "%s", *cl.first_heading ? cl.first_heading : id);
				if (!*fm.language)
					snprintf(fm.language, sizeof(fm.language), "en");
				fn(arg, id, &fm, &cl);
			}
			chunk_list_release(&cl);
			free(body);
		}
		free(path);
		free(id);
	}
	closedir(d);
}

struct loader {
	struct cpg *pg;
	struct embedder *e;
	const char *tenant;
	size_t chunks;
};

static void load_doc(void *arg, const char *doc_id, const struct fm *fm, const struct chunk_list *cl)
{
	struct loader *l = arg;
	for (size_t i = 0; i < cl->n; i++) {
		char *ct = chunk_title(fm->title, cl->v[i].heading);
		insert_chunk(l->pg, l->e, l->tenant, doc_id, (int)i, ct, fm->language, cl->v[i].text);
		free(ct);
		l->chunks++;
	}
}

static void clean(struct cpg *pg, const char *tenant)
{
	char errstr[256];
	const char *p[] = { tenant };
	must(cpg_run(pg, "DELETE FROM kb_chunks WHERE tenant_id = $1", 1, p, NULL, errstr, sizeof(errstr)), "clean",
	     errstr);
}

/* --- generated KB --------------------------------------------------------- */

struct sentences {
	char **v;
	size_t n;
};

static void collect(void *arg, const char *doc_id, const struct fm *fm, const struct chunk_list *cl)
{
	struct sentences *s = arg;
	(void)doc_id;
	if (strcmp(fm->language, "en"))
		return;
	for (size_t i = 0; i < cl->n; i++) {
		const char *t = cl->v[i].text;
		while (*t) {
			size_t k = strcspn(t, ".\n");
			if (k > 20) {
				s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
				s->v[s->n++] = xstrndup(t, k);
			}
			t += k;
			while (*t == '.' || *t == '\n' || *t == ' ')
				t++;
		}
	}
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

/* COPY text format: escape backslash, tab, newline, carriage return. */
static void copy_field(char **buf, size_t *len, size_t *cap, const char *s, int last)
{
	size_t need = strlen(s) * 2 + 2;
	if (*len + need > *cap) {
		*cap = (*len + need) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	char *o = *buf + *len;
	for (; *s; s++) {
		if (*s == '\\' || *s == '\t' || *s == '\n' || *s == '\r') {
			*o++ = '\\';
			*o++ = *s == '\t' ? 't' : *s == '\n' ? 'n' : *s == '\r' ? 'r' : '\\';
		} else {
			*o++ = *s;
		}
	}
	*o++ = last ? '\n' : '\t';
	*len = (size_t)(o - *buf);
}

static void pg_must(PGconn *c, PGresult *res, ExecStatusType want, const char *what)
{
	if (PQresultStatus(res) != want) {
		fprintf(stderr, "retriever-bench: %s: %s", what, PQerrorMessage(c));
		exit(1);
	}
	PQclear(res);
}

/* N chunks of 3-6 sentences drawn from the English demo documents, with
 * a generated title and model name: the demo's vocabulary at 100k scale.
 * COPY into a staging table, then one INSERT computes the text vectors. */
static int cmd_gen(const char *url, struct embedder *e, const char *tenant, long n, const char *from)
{
	struct sentences s = { 0 };
	walk(from, "", collect, &s);
	if (!s.n) {
		fprintf(stderr, "retriever-bench: no English sentences under %s\n", from);
		return 1;
	}
	static const char *const things[] = { "sofa", "wardrobe", "mattress", "desk", "lamp", "cabinet", "rug",
					      "stool", "bookshelf", "cot", "wok", "curtain", "mirror", "bench" };
	PGconn *c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "retriever-bench: %s", PQerrorMessage(c));
		return 1;
	}
	pg_must(c, PQexec(c, "CREATE TEMP TABLE gen_chunks (chunk_id text, doc_id text, seq int, title text, "
			     "text text, embedding text)"),
		PGRES_COMMAND_OK, "staging table");
	pg_must(c, PQexec(c, "COPY gen_chunks FROM STDIN"), PGRES_COPY_IN, "copy");
	size_t cap = 1 << 20, len = 0;
	char *buf = xmalloc(cap);
	int dim = embed_dim(e);
	char *hex = xmalloc((size_t)dim * 8 + 3);
	for (long i = 0; i < n; i++) {
		char doc[64], title[128], id[80], seq[16], text[4096];
		snprintf(doc, sizeof(doc), "gen/doc-%05ld.md", i / 10);
		snprintf(id, sizeof(id), "%s#%ld", doc, i % 10);
		snprintf(seq, sizeof(seq), "%ld", i % 10);
		snprintf(title, sizeof(title), "Generated %s guide %ld", things[rnd() % ARRAY_LEN(things)], i / 10);
		size_t tl = 0;
		int m = 3 + (int)(rnd() % 4);
		for (int k = 0; k < m && tl < sizeof(text) - 600; k++)
			tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "%.500s. ", s.v[rnd() % s.n]);
		snprintf(text + tl, sizeof(text) - tl, "Model %s-%ld.", things[rnd() % ARRAY_LEN(things)], i);
		char *et = ingest_embed_text(title, text);
		float *v = NULL;
		int d = 0;
		char errstr[256];
		must(embed_texts(e, (const char *const *)&et, 1, &v, &d, errstr, sizeof(errstr)), "embedding", errstr);
		hex[0] = '\\';
		hex[1] = 'x';
		vec_hex(v, d, hex + 2);
		free(v);
		free(et);
		copy_field(&buf, &len, &cap, id, 0);
		copy_field(&buf, &len, &cap, doc, 0);
		copy_field(&buf, &len, &cap, seq, 0);
		copy_field(&buf, &len, &cap, title, 0);
		copy_field(&buf, &len, &cap, text, 0);
		copy_field(&buf, &len, &cap, hex, 1);
		if (len > (1 << 20) || i == n - 1) {
			if (PQputCopyData(c, buf, (int)len) != 1) {
				fprintf(stderr, "retriever-bench: copy: %s", PQerrorMessage(c));
				return 1;
			}
			len = 0;
		}
		if (i % 20000 == 19999)
			fprintf(stderr, "  %ld chunks\n", i + 1);
	}
	if (PQputCopyEnd(c, NULL) != 1) {
		fprintf(stderr, "retriever-bench: copy end: %s", PQerrorMessage(c));
		return 1;
	}
	pg_must(c, PQgetResult(c), PGRES_COMMAND_OK, "copy");
	const char *params[] = { tenant, embed_model_id(e) };
	/* The embedding column gets the hex through bytea's input ("\x..."). */
	pg_must(c, PQexecParams(c,
				"INSERT INTO kb_chunks (tenant_id, chunk_id, doc_id, seq, title, language, text, "
				"search_text, tsv, embedding, embed_model) SELECT $1, chunk_id, doc_id, seq, title, 'en', "
				"text, text, setweight(to_tsvector('english', title), 'A') || "
				"setweight(to_tsvector('english', text), 'B'), embedding::bytea, $2 FROM gen_chunks",
				2, NULL, params, NULL, NULL, 0),
		PGRES_COMMAND_OK, "insert");
	/* The table as autovacuum leaves it within a minute of a bulk load
	 * (PostgreSQL 13+ also vacuums after inserts): statistics for the
	 * planner, the visibility map set. The searches measure that steady
	 * state, not the first minute after the load. */
	pg_must(c, PQexec(c, "VACUUM ANALYZE kb_chunks"), PGRES_COMMAND_OK, "vacuum");
	PQfinish(c);
	free(buf);
	free(hex);
	for (size_t i = 0; i < s.n; i++)
		free(s.v[i]);
	free(s.v);
	printf("generated %ld chunks for tenant %s\n", n, tenant);
	return 0;
}

/* --- questions ------------------------------------------------------------ */

struct question {
	char half, lang[8], expected[512], text[512];
};

static size_t read_questions(const char *path, struct question *q, size_t max)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "retriever-bench: cannot open %s\n", path);
		exit(1);
	}
	char line[2048];
	size_t n = 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line || *line == '#')
			continue;
		char *f1 = line, *f2 = strchr(f1, '\t'), *f3, *f4;
		if (!f2 || !(f3 = strchr(f2 + 1, '\t')) || !(f4 = strchr(f3 + 1, '\t')))
			continue;
		*f2++ = *f3++ = *f4++ = '\0';
		q[n].half = f1[0];
		snprintf(q[n].lang, sizeof(q[n].lang), "%s", f2);
		snprintf(q[n].expected, sizeof(q[n].expected), ",%s,", f3);
		snprintf(q[n].text, sizeof(q[n].text), "%s", f4);
		n++;
	}
	fclose(f);
	return n;
}

/* Rank of the first expected document in the top 5 of question qi (0:
 * none); the first hit's document into got. */
static int rank_of(struct retr_store *st, const char *tenant, const struct question *qi, char *got, size_t len)
{
	Chat__Passage **ps = NULL;
	size_t n = 0;
	char errstr[256];
	must(retr_store_search(st, tenant, qi->lang, qi->text, 5, &ps, &n, errstr, sizeof(errstr)), "search", errstr);
	int rank = 0;
	for (size_t j = 0; j < n; j++) {
		char key[300];
		snprintf(key, sizeof(key), ",%s,", ps[j]->document);
		if (!rank && strstr(qi->expected, key))
			rank = (int)j + 1;
	}
	snprintf(got, len, "%s", n ? ps[0]->document : "-");
	for (size_t j = 0; j < n; j++)
		chat__passage__free_unpacked(ps[j], NULL);
	free(ps);
	return rank;
}

static int cmd_eval(const char *url, struct embedder *e, const char *tenant, const char *path, int verbose)
{
	static struct question q[MAX_Q];
	size_t nq = read_questions(path, q, MAX_Q);
	static const char *const modes[] = { "fts", "vector", "fused" };
	printf("| ranking | half | questions | recall@5 | MRR |\n| --- | --- | --- | --- | --- |\n");
	for (size_t m = 0; m < ARRAY_LEN(modes); m++) {
		struct retr_store *st = retr_store_new(url, e, (enum retr_mode)retr_mode_of(modes[m]));
		/* A: used while tuning; B: written with A, C: later, both held
		 * out until D was written and tuned on since; D: held out. */
		static const char *const halves[] = { "A (tuned on)", "B (tuned on, later)", "C (tuned on, later)",
						      "D (held out)", "all" };
		double hits[5] = { 0 }, rr[5] = { 0 };
		size_t cnt[5] = { 0 };
		for (size_t i = 0; i < nq; i++) {
			char got[300];
			int rank = rank_of(st, tenant, &q[i], got, sizeof(got));
			int h = q[i].half == 'B' ? 1 : q[i].half == 'C' ? 2 : q[i].half == 'D' ? 3 : 0;
			int slots[2] = { h, 4 };
			for (int k = 0; k < 2; k++) {
				cnt[slots[k]]++;
				hits[slots[k]] += rank > 0;
				rr[slots[k]] += rank ? 1.0 / rank : 0;
			}
			if (verbose && !rank && q[i].half != 'D')
				fprintf(stderr, "miss %-6s %s [%s] got %s\n", modes[m], q[i].text, q[i].expected, got);
		}
		for (int h = 0; h < 5; h++)
			if (cnt[h])
					printf("| %s | %s | %zu | %.3f | %.3f |\n", modes[m], halves[h], cnt[h],
				       hits[h] / (double)cnt[h], rr[h] / (double)cnt[h]);
		retr_store_free(st);
	}
	return 0;
}

/* The fusion's parameters over a grid, on the halves tuned on (A-C; D stays
 * held out): recall@5 and MRR of each. */
static int cmd_sweep(const char *url, struct embedder *e, const char *tenant, const char *path)
{
	static struct question q[MAX_Q];
	size_t nq = read_questions(path, q, MAX_Q);
	static const int ks[] = { 5, 10, 20, 40, 60 };
	static const double wv[] = { 0.25, 0.5, 0.75, 1.0 };
	static const double alphas[] = { 0.3, 0.4, 0.5, 0.6, 0.7, 0.8 };
	struct retr_store *st = retr_store_new(url, e, RETR_FUSED);
	printf("| fusion | recall@5 (A-C) | MRR (A-C) |\n| --- | --- | --- |\n");
	size_t grid = ARRAY_LEN(ks) * ARRAY_LEN(wv) + ARRAY_LEN(alphas);
	for (size_t g = 0; g < grid; g++) {
		char name[64];
		if (g < ARRAY_LEN(ks) * ARRAY_LEN(wv)) {
			st->fusion = (struct retr_fusion){ RETR_FUSE_RRF, ks[g / ARRAY_LEN(wv)], 1.0, wv[g % ARRAY_LEN(wv)], 0 };
			snprintf(name, sizeof(name), "RRF k=%d vector weight %.2f", st->fusion.k, st->fusion.w_vec);
		} else {
			st->fusion = (struct retr_fusion){ RETR_FUSE_CC, 0, 0, 0, alphas[g - ARRAY_LEN(ks) * ARRAY_LEN(wv)] };
			snprintf(name, sizeof(name), "CC alpha %.2f", st->fusion.alpha);
		}
		double hits = 0, rr = 0;
		size_t cnt = 0;
		for (size_t i = 0; i < nq; i++) {
			if (q[i].half == 'D') /* held out */
				continue;
			char got[300];
			int rank = rank_of(st, tenant, &q[i], got, sizeof(got));
			cnt++;
			hits += rank > 0;
			rr += rank ? 1.0 / rank : 0;
		}
		printf("| %s | %.3f | %.3f |\n", name, cnt ? hits / (double)cnt : 0, cnt ? rr / (double)cnt : 0);
	}
	retr_store_free(st);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* How much of the exact vector top-k (k = 5 and RETR_CANDIDATES) the
 * two-stage search finds, over the questions: its recall against the
 * full scan, as a line under the latency table. */
static void vector_agreement(struct retr_store *st, const char *tenant, const char *lang, const struct question *q,
			     size_t nq, char *line, size_t len)
{
	int dim = vindex_dim(st->vx);
	if (!dim || vindex_count(st->vx, tenant, lang) <= VX_PREFILTER_MIN)
		return;
	static const int ks[] = { 5, RETR_CANDIDATES };
	float *v = xmalloc((size_t)dim * sizeof(*v));
	struct vhit exact[RETR_CANDIDATES], fast[RETR_CANDIDATES];
	size_t o = (size_t)snprintf(line, len, "vector two-stage search vs the full scan (%zu questions):", nq);
	for (size_t t = 0; t < ARRAY_LEN(ks); t++) {
		size_t found = 0, total = 0;
		for (size_t i = 0; i < nq; i++) {
			char errstr[256];
			must(vindex_query_vec(st->vx, tenant, q[i].text, v, errstr, sizeof(errstr)), "query vector", errstr);
			vindex_set_prefilter(st->vx, SIZE_MAX);
			size_t ne = vindex_search(st->vx, tenant, lang, v, ks[t], exact);
			vindex_set_prefilter(st->vx, VX_PREFILTER_MIN);
			size_t nf = vindex_search(st->vx, tenant, lang, v, ks[t], fast);
			for (size_t a = 0; a < ne; a++)
				for (size_t b = 0; b < nf; b++)
					if (exact[a].row == fast[b].row) {
						found++;
						break;
					}
			total += ne;
		}
		if (o < len)
			o += (size_t)snprintf(line + o, len - o, " recall@%d %.3f", ks[t],
					      total ? (double)found / (double)total : 0);
	}
	free(v);
}

/* The slow questions of one ranking: each question's median over the
 * rounds (t[r * nq + i]), the `show` slowest printed. */
static void print_slowest(const char *mode, const struct question *q, size_t nq, const int64_t *t, int rounds,
			  size_t show)
{
	struct slow {
		int64_t med;
		size_t i;
	} *s = xmalloc((nq + 1) * sizeof(*s));
	int64_t *one = xmalloc((size_t)rounds * sizeof(*one) + 1);
	for (size_t i = 0; i < nq; i++) {
		for (int r = 0; r < rounds; r++)
			one[r] = t[(size_t)r * nq + i];
		qsort(one, (size_t)rounds, sizeof(*one), cmp_i64);
		s[i] = (struct slow){ one[rounds / 2], i };
	}
	for (size_t a = 0; a < nq && a < show; a++) /* selection: show is small */
		for (size_t b = a + 1; b < nq; b++)
			if (s[b].med > s[a].med) {
				struct slow x = s[a];
				s[a] = s[b];
				s[b] = x;
			}
	for (size_t a = 0; a < nq && a < show; a++)
		printf("  slow %s: %.2f ms median: %s\n", mode, (double)s[a].med / 1000.0, q[s[a].i].text);
	free(one);
	free(s);
}

static int cmd_latency(const char *url, struct embedder *e, const char *tenant, const char *lang, const char *path,
		       int rounds, size_t slowest)
{
	static struct question q[MAX_Q];
	size_t nq = read_questions(path, q, MAX_Q), use = 0;
	for (size_t i = 0; i < nq; i++)
		if (!strcmp(q[i].lang, lang))
			q[use++] = q[i];
	static const char *const modes[] = { "fts", "vector", "fused" };
	int64_t *t = xmalloc((size_t)rounds * use * sizeof(*t) + 1);
	char agree[256] = "";
	for (size_t m = 0; m < ARRAY_LEN(modes); m++) {
		struct retr_store *st = retr_store_new(url, e, (enum retr_mode)retr_mode_of(modes[m]));
		char errstr[256];
		if (st->vx) {
			int64_t t0 = util_mono_us();
			must(vindex_load(st->vx, st->pg, errstr, sizeof(errstr)), "load", errstr);
			st->last_sync_us = util_mono_us();
			if (m == 0)
				printf("index: %zu chunks of %d dimensions loaded in %.1f s\n", vindex_size(st->vx),
				       vindex_dim(st->vx), (double)(util_mono_us() - t0) / 1e6);
		}
		size_t n = 0;
		for (int r = 0; r < rounds; r++) {
			for (size_t i = 0; i < use; i++) {
				Chat__Passage **ps = NULL;
				size_t np = 0;
				int64_t t0 = util_mono_us();
				must(retr_store_search(st, tenant, lang, q[i].text, 5, &ps, &np, errstr, sizeof(errstr)),
				     "search", errstr);
				t[n++] = util_mono_us() - t0;
				for (size_t j = 0; j < np; j++)
					chat__passage__free_unpacked(ps[j], NULL);
				free(ps);
			}
		}
		if (m == 1 && st->vx)
			vector_agreement(st, tenant, lang, q, use, agree, sizeof(agree));
		if (slowest && rounds > 0)
			print_slowest(modes[m], q, use, t, rounds, slowest);
		qsort(t, n, sizeof(*t), cmp_i64);
		printf("| %s | %s | %zu | %.2f | %.2f |\n", tenant, modes[m], n, n ? (double)t[n / 2] / 1000.0 : 0,
		       n ? (double)t[(n * 99) / 100] / 1000.0 : 0);
		retr_store_free(st);
	}
	if (*agree)
		printf("\n%s\n", agree);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: retriever-bench load|gen|eval|sweep|latency|clean --tenant T ...\n", stderr);
		return 2;
	}
	const char *url = env_or("DATABASE_URL", "postgresql://chat:chat@127.0.0.1:5432/chat");
	const char *tenant = opt(argc, argv, "--tenant", "eval");
	struct embedder *e = make_embedder();
	struct cpg *pg = cpg_new(url);
	int rc = 0;
	const char *last = argv[argc - 1];
	if (!strcmp(argv[1], "load")) {
		struct loader l = { pg, e, tenant, 0 };
		clean(pg, tenant);
		walk(last, "", load_doc, &l);
		printf("loaded %zu chunks for tenant %s\n", l.chunks, tenant);
	} else if (!strcmp(argv[1], "gen")) {
		clean(pg, tenant);
		rc = cmd_gen(url, e, tenant, strtol(opt(argc, argv, "--chunks", "100000"), NULL, 10),
			     opt(argc, argv, "--from", "deploy/demo/kb"));
	} else if (!strcmp(argv[1], "eval")) {
		rc = cmd_eval(url, e, tenant, last, getenv("EVAL_VERBOSE") != NULL);
	} else if (!strcmp(argv[1], "sweep")) {
		rc = cmd_sweep(url, e, tenant, last);
	} else if (!strcmp(argv[1], "latency")) {
		rc = cmd_latency(url, e, tenant, opt(argc, argv, "--lang", "en"), opt(argc, argv, "--queries", last),
				 (int)strtol(opt(argc, argv, "--rounds", "20"), NULL, 10),
				 (size_t)strtoul(opt(argc, argv, "--slowest", "0"), NULL, 10));
	} else if (!strcmp(argv[1], "clean")) {
		clean(pg, tenant);
	} else {
		fputs("retriever-bench: unknown command\n", stderr);
		rc = 2;
	}
	cpg_free(pg);
	embed_free(e);
	return rc;
}
