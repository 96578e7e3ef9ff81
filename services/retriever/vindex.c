/* vindex: in-memory int8 vector index over the knowledge-base chunks. */
#include "vindex.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define VX_BATCH 2000
#define RETR_STR_(x) #x
#define RETR_XSTR(x) RETR_STR_(x)

/* Document frequency of local features: hash -> chunks that have it. */
struct dftab {
	uint32_t *key, *cnt;
	size_t cap, n;
};

struct vindex {
	struct embedder *emb;
	int dim;
	size_t n, cap;
	struct vrow *rows;
	int8_t *q;     /* n * dim */
	int *grp;      /* n: rows[i].group, compact for the scan */
	int32_t *qsum; /* n: sum of the row's int8 values (for the AVX2 path) */
	float *scale;  /* n */
	int8_t *sk;    /* n * VX_SKETCH_DIM: the rows' sketches (see sketch()) */
	int32_t *sksum; /* n: sum of each sketch's int8 values (for the AVX2 path) */
	float *skscale; /* n */
	size_t prefilter_min; /* groups larger than this are searched in two stages */
	char **groups; /* "tenant\x1flanguage" */
	size_t *gcount; /* rows per group */
	int ngroups;
	struct dftab df;
	char sig[128]; /* kb_documents signature at the last load */
};

/* --- document frequencies ------------------------------------------------- */

static uint32_t *df_slot(struct dftab *t, uint32_t h, int create)
{
	if (h == 0)
		h = 1;
	if (create && (t->n + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 4096;
		uint32_t *nk = xcalloc(ncap, sizeof(*nk)), *nc = xcalloc(ncap, sizeof(*nc));
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->key[i])
				continue;
			size_t j = t->key[i] & (ncap - 1);
			while (nk[j])
				j = (j + 1) & (ncap - 1);
			nk[j] = t->key[i];
			nc[j] = t->cnt[i];
		}
		free(t->key);
		free(t->cnt);
		t->key = nk;
		t->cnt = nc;
		t->cap = ncap;
	}
	if (!t->cap)
		return NULL;
	size_t j = h & (t->cap - 1);
	while (t->key[j] && t->key[j] != h)
		j = (j + 1) & (t->cap - 1);
	if (!t->key[j]) {
		if (!create)
			return NULL;
		t->key[j] = h;
		t->n++;
	}
	return &t->cnt[j];
}

/* The distinct features of one text. */
struct fset {
	uint32_t *v;
	size_t n, cap;
};

static void fset_add(void *arg, uint32_t h, float w)
{
	struct fset *s = arg;
	(void)w;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = h;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Document frequencies are per tenant: one tenant's documents never
 * weigh another's queries. */
static uint32_t tenant_salt(const char *tenant)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)tenant; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static void df_update(struct vindex *vx, const struct vrow *r, int delta)
{
	uint32_t salt = tenant_salt(r->tenant);
	if (!embed_is_local(vx->emb))
		return;
	struct fset s = { 0 };
	char *t = xasprintf("%s\n%s", r->title, r->text);
	embed_local_features(t, fset_add, &s);
	free(t);
	qsort(s.v, s.n, sizeof(*s.v), cmp_u32);
	for (size_t i = 0; i < s.n; i++) {
		if (i && s.v[i] == s.v[i - 1])
			continue;
		uint32_t *c = df_slot(&vx->df, s.v[i] ^ salt, delta > 0);
		if (c)
			*c = delta > 0 ? *c + 1 : *c ? *c - 1 : 0;
	}
	free(s.v);
}

struct idf_ctx {
	const struct vindex *vx;
	uint32_t salt;
	double n; /* the tenant's rows */
};

static float idf(void *arg, uint32_t h)
{
	const struct idf_ctx *x = arg;
	uint32_t *c = df_slot((struct dftab *)&x->vx->df, h ^ x->salt, 0);
	double df = c ? *c : 0;
	double n = x->n;
	/* A feature no chunk has cannot match: give it the weight of the
	 * rarest ones, not more, so a typo does not dominate the query. */
	double w = log((n + 1.0) / (df + 0.5));
	return (float)(w < 0.05 ? 0.05 : w);
}

/* --- rows ----------------------------------------------------------------- */

struct vindex *vindex_new(struct embedder *emb)
{
	struct vindex *vx = xcalloc(1, sizeof(*vx));
	vx->emb = emb;
	vx->dim = embed_dim(emb);
	vx->prefilter_min = VX_PREFILTER_MIN;
	return vx;
}

static void row_release(struct vrow *r)
{
	free(r->tenant);
	free(r->language);
	free(r->doc_id);
	free(r->chunk_id);
	free(r->title);
	free(r->text);
}

static void clear_rows(struct vindex *vx)
{
	for (size_t i = 0; i < vx->n; i++)
		row_release(&vx->rows[i]);
	vx->n = 0;
	free(vx->df.key);
	free(vx->df.cnt);
	memset(&vx->df, 0, sizeof(vx->df));
}

void vindex_free(struct vindex *vx)
{
	if (!vx)
		return;
	clear_rows(vx);
	free(vx->rows);
	free(vx->q);
	free(vx->scale);
	free(vx->grp);
	free(vx->qsum);
	free(vx->sk);
	free(vx->skscale);
	free(vx->sksum);
	for (int i = 0; i < vx->ngroups; i++)
		free(vx->groups[i]);
	free(vx->groups);
	free(vx->gcount);
	free(vx);
}

static int group_of(const struct vindex *vx, const char *tenant, const char *language, int create)
{
	char key[320];
	snprintf(key, sizeof(key), "%s\x1f%s", tenant, language);
	for (int i = 0; i < vx->ngroups; i++)
		if (!strcmp(vx->groups[i], key))
			return i;
	if (!create)
		return -1;
	struct vindex *m = (struct vindex *)vx;
	m->groups = xrealloc(m->groups, (size_t)(m->ngroups + 1) * sizeof(*m->groups));
	m->gcount = xrealloc(m->gcount, (size_t)(m->ngroups + 1) * sizeof(*m->gcount));
	m->groups[m->ngroups] = xstrdup(key);
	m->gcount[m->ngroups] = 0;
	return m->ngroups++;
}

/* int8 with one scale: v[i] ~= q[i] * scale. */
static float quantize(const float *v, int dim, int8_t *q)
{
	float mx = 0;
	for (int i = 0; i < dim; i++)
		mx = fabsf(v[i]) > mx ? fabsf(v[i]) : mx;
	if (mx == 0) {
		memset(q, 0, (size_t)dim);
		return 0;
	}
	float s = 127.0f / mx;
	for (int i = 0; i < dim; i++)
		q[i] = (int8_t)lrintf(v[i] * s);
	return mx / 127.0f;
}

/* The sketch of v: a count sketch into VX_SKETCH_DIM buckets (dimension i
 * goes to bucket i mod VX_SKETCH_DIM with a fixed pseudo-random sign), so
 * the sketches' dot product estimates the vectors' without bias whatever
 * the provider. Quantized like the rows; the scale is returned. */
static void sketch_f(const float *v, int dim, float s[VX_SKETCH_DIM])
{
	memset(s, 0, VX_SKETCH_DIM * sizeof(*s));
	for (int i = 0; i < dim; i++) {
		uint32_t h = (uint32_t)i * 2654435761u;
		s[i % VX_SKETCH_DIM] += (h >> 16 & 1) ? -v[i] : v[i];
	}
}

static float sketch(const float *v, int dim, int8_t *out)
{
	float s[VX_SKETCH_DIM];
	sketch_f(v, dim, s);
	return quantize(s, VX_SKETCH_DIM, out);
}

static int32_t sum_i8(const int8_t *v, int dim)
{
	int32_t sum = 0;
	for (int i = 0; i < dim; i++)
		sum += v[i];
	return sum;
}

void vindex_add(struct vindex *vx, const char *tenant, const char *language, const char *doc_id,
		const char *chunk_id, const char *title, const char *text, const float *v)
{
	if (vx->n == vx->cap) {
		vx->cap = vx->cap ? vx->cap * 2 : 1024;
		vx->rows = xrealloc(vx->rows, vx->cap * sizeof(*vx->rows));
		vx->q = xrealloc(vx->q, vx->cap * (size_t)vx->dim);
		vx->scale = xrealloc(vx->scale, vx->cap * sizeof(*vx->scale));
		vx->grp = xrealloc(vx->grp, vx->cap * sizeof(*vx->grp));
		vx->qsum = xrealloc(vx->qsum, vx->cap * sizeof(*vx->qsum));
		vx->sk = xrealloc(vx->sk, vx->cap * VX_SKETCH_DIM);
		vx->skscale = xrealloc(vx->skscale, vx->cap * sizeof(*vx->skscale));
		vx->sksum = xrealloc(vx->sksum, vx->cap * sizeof(*vx->sksum));
	}
	struct vrow *r = &vx->rows[vx->n];
	r->tenant = xstrdup(tenant);
	r->language = xstrdup(language);
	r->doc_id = xstrdup(doc_id);
	r->chunk_id = xstrdup(chunk_id);
	r->title = xstrdup(title);
	r->text = xstrdup(text);
	r->group = group_of(vx, tenant, language, 1);
	vx->grp[vx->n] = r->group;
	vx->gcount[r->group]++;
	vx->scale[vx->n] = quantize(v, vx->dim, vx->q + vx->n * (size_t)vx->dim);
	vx->qsum[vx->n] = sum_i8(vx->q + vx->n * (size_t)vx->dim, vx->dim);
	vx->skscale[vx->n] = sketch(v, vx->dim, vx->sk + vx->n * VX_SKETCH_DIM);
	vx->sksum[vx->n] = sum_i8(vx->sk + vx->n * VX_SKETCH_DIM, VX_SKETCH_DIM);
	df_update(vx, r, +1);
	vx->n++;
}

/* Remove row i: the last row takes its place. */
static void remove_row(struct vindex *vx, size_t i)
{
	df_update(vx, &vx->rows[i], -1);
	vx->gcount[vx->rows[i].group]--;
	row_release(&vx->rows[i]);
	size_t last = vx->n - 1;
	if (i != last) {
		vx->rows[i] = vx->rows[last];
		memcpy(vx->q + i * (size_t)vx->dim, vx->q + last * (size_t)vx->dim, (size_t)vx->dim);
		vx->scale[i] = vx->scale[last];
		vx->grp[i] = vx->grp[last];
		vx->qsum[i] = vx->qsum[last];
		memcpy(vx->sk + i * VX_SKETCH_DIM, vx->sk + last * VX_SKETCH_DIM, VX_SKETCH_DIM);
		vx->skscale[i] = vx->skscale[last];
		vx->sksum[i] = vx->sksum[last];
	}
	vx->n--;
}

/* --- loading -------------------------------------------------------------- */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A bytea in PostgreSQL's hex output ("\x...") of dim float32 (LE) into
 * v; 0 or -1 when it is not that. */
static int decode_vec(const char *s, int dim, float *v)
{
	if (s[0] != '\\' || s[1] != 'x' || strlen(s + 2) != (size_t)dim * 8)
		return -1;
	s += 2;
	for (int i = 0; i < dim; i++) {
		uint32_t u = 0;
		for (int b = 0; b < 4; b++) {
			int hi = hexval(s[0]), lo = hexval(s[1]);
			if (hi < 0 || lo < 0)
				return -1;
			u |= (uint32_t)(hi << 4 | lo) << (8 * b);
			s += 2;
		}
		memcpy(&v[i], &u, 4);
		if (!isfinite(v[i]))
			return -1;
	}
	return 0;
}

static int pg_error(PGresult *res, char *errstr, size_t errlen)
{
	if (!res)
		return -1;
	snprintf(errstr, errlen, "%s", PQresultErrorMessage(res));
	errstr[strcspn(errstr, "\n")] = '\0';
	PQclear(res);
	return -2;
}

/* Add the rows of res (tenant, language, doc_id, chunk_id, title, text,
 * embedding); returns how many were skipped (no or bad vector). */
static size_t add_rows(struct vindex *vx, PGresult *res)
{
	size_t skipped = 0;
	float *v = NULL;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *hex = PQgetvalue(res, i, 6);
		if (!vx->dim && !PQgetisnull(res, i, 6) && strlen(hex) > 2 && (strlen(hex) - 2) % 8 == 0 &&
		    (strlen(hex) - 2) / 8 <= EMBED_MAX_DIM)
			vx->dim = (int)((strlen(hex) - 2) / 8);
		if (!vx->dim || PQgetisnull(res, i, 6)) {
			skipped++;
			continue;
		}
		if (!v)
			v = xmalloc((size_t)vx->dim * sizeof(*v));
		if (decode_vec(hex, vx->dim, v)) {
			skipped++;
			continue;
		}
		vindex_add(vx, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
			   PQgetvalue(res, i, 3), PQgetvalue(res, i, 4), PQgetvalue(res, i, 5), v);
	}
	free(v);
	return skipped;
}

static int signature(struct cpg *pg, char *out, size_t len, char *errstr, size_t errlen)
{
	PGresult *res = cpg_exec(pg,
				 "SELECT count(*) || '/' || coalesce(sum(version), 0) || '/' || "
				 "coalesce(max(updated_at)::text, '') FROM kb_documents",
				 0, NULL);
	if (!res || !cpg_ok(res))
		return pg_error(res, errstr, errlen);
	snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int vindex_load(struct vindex *vx, struct cpg *pg, char *errstr, size_t errlen)
{
	static const char sql[] =
	    "SELECT tenant_id, language, doc_id, chunk_id, title, text, embedding FROM kb_chunks "
	    "WHERE embed_model = $1 AND (tenant_id, chunk_id) > ($2, $3) ORDER BY tenant_id, chunk_id LIMIT " RETR_XSTR(
		VX_BATCH);
	char sig[128];
	int rc = signature(pg, sig, sizeof(sig), errstr, errlen);
	if (rc)
		return rc;
	/* Load into a fresh index, then swap: a failure keeps the old one. */
	struct vindex *nx = vindex_new(vx->emb);
	char *last_t = xstrdup(""), *last_c = xstrdup("");
	size_t skipped = 0;
	for (;;) {
		const char *params[] = { embed_model_id(vx->emb), last_t, last_c };
		PGresult *res = cpg_exec(pg, sql, 3, params);
		if (!res || !cpg_ok(res)) {
			rc = pg_error(res, errstr, errlen);
			break;
		}
		int rows = PQntuples(res);
		skipped += add_rows(nx, res);
		if (rows) {
			free(last_t);
			free(last_c);
			last_t = xstrdup(PQgetvalue(res, rows - 1, 0));
			last_c = xstrdup(PQgetvalue(res, rows - 1, 3));
		}
		PQclear(res);
		if (rows < VX_BATCH)
			break;
	}
	free(last_t);
	free(last_c);
	if (rc) {
		vindex_free(nx);
		return rc;
	}
	if (skipped)
		log_warn("vector index: %zu chunk(s) without a usable vector (full-text search only)", skipped);
	/* Swap contents. */
	struct vindex tmp = *vx;
	*vx = *nx;
	*nx = tmp;
	vx->prefilter_min = nx->prefilter_min;
	vindex_free(nx);
	snprintf(vx->sig, sizeof(vx->sig), "%s", sig);
	return 0;
}

int vindex_refresh_doc(struct vindex *vx, struct cpg *pg, const char *tenant, const char *doc_id, char *errstr,
		       size_t errlen)
{
	static const char sql[] = "SELECT tenant_id, language, doc_id, chunk_id, title, text, embedding FROM kb_chunks "
				  "WHERE tenant_id = $1 AND doc_id = $2 AND embed_model = $3 ORDER BY seq";
	const char *params[] = { tenant, doc_id, embed_model_id(vx->emb) };
	PGresult *res = cpg_exec(pg, sql, 3, params);
	if (!res || !cpg_ok(res))
		return pg_error(res, errstr, errlen);
	for (size_t i = vx->n; i-- > 0;)
		if (!strcmp(vx->rows[i].doc_id, doc_id) && !strcmp(vx->rows[i].tenant, tenant))
			remove_row(vx, i);
	add_rows(vx, res);
	PQclear(res);
	/* This change is now in the index: the next sync need not reload. */
	signature(pg, vx->sig, sizeof(vx->sig), errstr, errlen);
	return 0;
}

int vindex_sync(struct vindex *vx, struct cpg *pg, char *errstr, size_t errlen)
{
	char sig[128];
	int rc = signature(pg, sig, sizeof(sig), errstr, errlen);
	if (rc || !strcmp(sig, vx->sig))
		return rc;
	rc = vindex_load(vx, pg, errstr, errlen);
	if (rc == 0)
		log_info("vector index reloaded: %zu chunk(s)", vx->n);
	return rc;
}

/* --- searching ------------------------------------------------------------ */

int vindex_query_vec(struct vindex *vx, const char *tenant, const char *query, float *out, char *errstr,
		     size_t errlen)
{
	if (embed_is_local(vx->emb)) {
		struct idf_ctx x = { vx, tenant_salt(tenant), 0 };
		size_t tl = strlen(tenant);
		for (int g = 0; g < vx->ngroups; g++)
			if (!strncmp(vx->groups[g], tenant, tl) && vx->groups[g][tl] == '\x1f')
				x.n += (double)vx->gcount[g];
		embed_local_query(query, idf, &x, out, vx->dim);
		return 0;
	}
	float *v = NULL;
	int d = 0;
	int rc = embed_texts(vx->emb, &query, 1, &v, &d, errstr, errlen);
	if (rc == 0 && d != vx->dim) {
		snprintf(errstr, errlen, "query vector has %d dimensions, the index %d", d, vx->dim);
		rc = -2;
	}
	if (rc == 0)
		memcpy(out, v, (size_t)d * sizeof(*v));
	free(v);
	return rc;
}

/* The hot loop: the compiler vectorizes this int8 dot product, with an
 * AVX2 version chosen at run time where the CPU has it (x86-64 GCC). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((optimize("O3"), target_clones("avx2", "default")))
#elif defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
static int32_t dot_i8(const int8_t *restrict a, const int8_t *restrict b, int dim)
{
	int32_t s = 0;
	for (int i = 0; i < dim; i++)
		s += (int16_t)a[i] * (int16_t)b[i];
	return s;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VX_HAVE_AVX2_PATH 1

/* sum(qu[i] * d[i]) for qu in 0..127 and d in -127..127, dim a multiple of
 * 32: vpmaddubsw takes 32 pairs at a time (pair sums stay below 32767, so
 * nothing saturates), vpmaddwd widens to 32 bits. */
__attribute__((target("avx2"))) static int32_t dot_u7_avx2(const uint8_t *qu, const int8_t *d, int dim)
{
	__m256i acc = _mm256_setzero_si256(), ones = _mm256_set1_epi16(1);
	for (int i = 0; i < dim; i += 32) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(qu + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(d + i));
		acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), ones));
	}
	__m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
	return _mm_cvtsi128_si32(s);
}
#endif

/* A query prepared for scoring rows: int8 (portable) or 7-bit offset to
 * unsigned for vpmaddubsw (AVX2: q.d = (q + 64).d - 64 * sum(d)). */
struct qprep {
	int avx2;
	int8_t *qq;
	uint8_t *qu;
	float qs;
};

static void qprep_init(struct qprep *p, int dim, const float *q)
{
	memset(p, 0, sizeof(*p));
#ifdef VX_HAVE_AVX2_PATH
	p->avx2 = dim % 32 == 0 && __builtin_cpu_supports("avx2");
#endif
	if (p->avx2) {
		p->qu = xmalloc((size_t)dim);
		float mx = 0;
		for (int i = 0; i < dim; i++)
			mx = fabsf(q[i]) > mx ? fabsf(q[i]) : mx;
		float inv = mx > 0 ? 63.0f / mx : 0;
		p->qs = mx > 0 ? mx / 63.0f : 0;
		for (int i = 0; i < dim; i++)
			p->qu[i] = (uint8_t)(lrintf(q[i] * inv) + 64);
	} else {
		p->qq = xmalloc((size_t)dim);
		p->qs = quantize(q, dim, p->qq);
	}
}

static void qprep_release(struct qprep *p)
{
	free(p->qq);
	free(p->qu);
}

/* The prepared query's dot product with the int8 vector d (dim values
 * summing to dsum, scale ds). */
static inline float score_i8(const struct qprep *p, const int8_t *d, int dim, int32_t dsum, float ds)
{
#ifdef VX_HAVE_AVX2_PATH
	if (p->avx2)
		return (float)(dot_u7_avx2(p->qu, d, dim) - 64 * dsum) * p->qs * ds;
#endif
	(void)dsum;
	return (float)dot_i8(p->qq, d, dim) * p->qs * ds;
}

static inline float score_row(const struct vindex *vx, const struct qprep *p, size_t i)
{
	return score_i8(p, vx->q + i * (size_t)vx->dim, vx->dim, vx->qsum[i], vx->scale[i]);
}

/* Keep out[0..*n) (at most k) best first with (row, s) offered. */
static inline void topk_offer(struct vhit *out, size_t *n, size_t k, size_t row, float s)
{
	if (*n == k && s <= out[k - 1].score)
		return;
	size_t j = *n < k ? (*n)++ : k - 1;
	while (j > 0 && out[j - 1].score < s) {
		out[j] = out[j - 1];
		j--;
	}
	out[j].row = row;
	out[j].score = s;
}

/* A min-heap of hits on score: the shortlist of the first stage. */
static void heap_offer(struct vhit *h, size_t *n, size_t cap, size_t row, float s)
{
	size_t i;
	if (*n < cap) {
		i = (*n)++;
		while (i > 0 && h[(i - 1) / 2].score > s) {
			h[i] = h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
	} else {
		if (s <= h[0].score)
			return;
		i = 0;
		for (;;) {
			size_t c = 2 * i + 1;
			if (c >= cap)
				break;
			if (c + 1 < cap && h[c + 1].score < h[c].score)
				c++;
			if (h[c].score >= s)
				break;
			h[i] = h[c];
			i = c;
		}
	}
	h[i].row = row;
	h[i].score = s;
}

/* Exact: every row of the group, full vectors. */
static size_t scan_exact(const struct vindex *vx, int g, const struct qprep *p, size_t k, struct vhit *out)
{
	size_t n = 0;
	for (size_t i = 0; i < vx->n; i++)
		if (vx->grp[i] == g)
			topk_offer(out, &n, k, i, score_row(vx, p, i));
	return n;
}

/* Two stages: the sketches (VX_SKETCH_DIM bytes a row instead of dim)
 * pick a shortlist, whose full vectors give the scores. */
static size_t scan_two_stage(const struct vindex *vx, int g, const float *q, const struct qprep *p, size_t k,
			     struct vhit *out)
{
	float qsk[VX_SKETCH_DIM];
	sketch_f(q, vx->dim, qsk);
	struct qprep ps;
	qprep_init(&ps, VX_SKETCH_DIM, qsk);
	size_t cap = k * VX_SHORTLIST_PER_HIT > VX_SHORTLIST ? k * VX_SHORTLIST_PER_HIT : VX_SHORTLIST, m = 0;
	struct vhit *sl = xmalloc(cap * sizeof(*sl));
	for (size_t i = 0; i < vx->n; i++)
		if (vx->grp[i] == g)
			heap_offer(sl, &m, cap, i,
				   score_i8(&ps, vx->sk + i * VX_SKETCH_DIM, VX_SKETCH_DIM, vx->sksum[i], vx->skscale[i]));
	qprep_release(&ps);
	size_t n = 0;
	for (size_t j = 0; j < m; j++)
		topk_offer(out, &n, k, sl[j].row, score_row(vx, p, sl[j].row));
	free(sl);
	return n;
}

size_t vindex_search(const struct vindex *vx, const char *tenant, const char *language, const float *q, int k,
		     struct vhit *out)
{
	int g = group_of(vx, tenant, language, 0);
	if (g < 0 || k <= 0 || !vx->dim)
		return 0;
	struct qprep p;
	qprep_init(&p, vx->dim, q);
	size_t n = vx->gcount[g] > vx->prefilter_min && vx->dim > VX_SKETCH_DIM
			   ? scan_two_stage(vx, g, q, &p, (size_t)k, out)
			   : scan_exact(vx, g, &p, (size_t)k, out);
	qprep_release(&p);
	return n;
}

void vindex_set_prefilter(struct vindex *vx, size_t min_rows)
{
	vx->prefilter_min = min_rows;
}

size_t vindex_count(const struct vindex *vx, const char *tenant, const char *language)
{
	int g = group_of(vx, tenant, language, 0);
	return g < 0 ? 0 : vx->gcount[g];
}

size_t vindex_size(const struct vindex *vx)
{
	return vx->n;
}

int vindex_dim(const struct vindex *vx)
{
	return vx->dim;
}

const struct vrow *vindex_row(const struct vindex *vx, size_t i)
{
	return &vx->rows[i];
}
