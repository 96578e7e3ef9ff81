/* model: hashed text features and a softmax regression trained by SGD. */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ICM_MAGIC "ICM1"
#define ICM_VERSION 1u
#define ICM_FEATURES_VERSION 1u /* bump when feature extraction changes */
#define MAX_FEAT 4096           /* features of one message */
#define MAX_TOKENS 1024
#define MAX_LINE 16384

struct icm {
	int bits;
	uint32_t mask;
	int k;
	char labels[ICM_MAX_LABELS][ICM_MAX_LABEL_LEN];
	float *bias; /* k */
	/* Training keeps every row: w, (mask + 1) rows of k, a feature's
	 * weights adjacent. A loaded model keeps only its non-zero rows
	 * (packed, nrows of k) and row_of, bucket -> row + 1 (0: all zero):
	 * a dense 2^18 x 18 table would be ~19 MB resident in the service. */
	float *w;
	int32_t *row_of;
	float *packed;
};

/* The weights of feature bucket idx, or NULL when they are all zero. */
static const float *row_ptr(const struct icm *m, uint32_t idx)
{
	if (!m->row_of)
		return m->w + (size_t)idx * (size_t)m->k;
	int32_t r = m->row_of[idx];
	return r ? m->packed + (size_t)(r - 1) * (size_t)m->k : NULL;
}

struct feat {
	uint32_t idx;
	float val;
};

void icm_params_default(struct icm_params *p)
{
	p->bits = 18;
	p->epochs = 30;
	p->lr = 1.0f;
	p->l2 = 1e-3f;
	p->seed = 1;
}

/* --- examples --------------------------------------------------------------- */

void icm_data_init(struct icm_data *d)
{
	memset(d, 0, sizeof(*d));
}

void icm_data_release(struct icm_data *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->ex[i].label);
		free(d->ex[i].text);
	}
	free(d->ex);
	memset(d, 0, sizeof(*d));
}

void icm_data_add(struct icm_data *d, const char *label, const char *text)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->ex = xrealloc(d->ex, d->cap * sizeof(*d->ex));
	}
	d->ex[d->n].label = xstrdup(label);
	d->ex[d->n].text = xstrdup(text);
	d->n++;
}

static int valid_label(const char *s, size_t len)
{
	if (len == 0 || len >= ICM_MAX_LABEL_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

long icm_data_read_tsv(struct icm_data *d, const char *path, char *errstr, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(errstr, errlen, "cannot open \"%s\": %s", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0, added = 0, rc = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (len > MAX_LINE) {
			snprintf(errstr, errlen, "%s:%ld: line longer than %d bytes", path, lineno, MAX_LINE);
			rc = -1;
			goto out;
		}
		char *tab = strchr(line, '\t');
		if (!tab || !valid_label(line, (size_t)(tab - line)) || !tab[1]) {
			snprintf(errstr, errlen, "%s:%ld: want `intent<TAB>text` with intent of [a-z0-9_]", path,
				 lineno);
			rc = -1;
			goto out;
		}
		*tab = '\0';
		icm_data_add(d, line, tab + 1);
		added++;
	}
	rc = added;
out:
	free(line);
	fclose(f);
	return rc;
}

/* xorshift64*: small, fast and the same on every platform. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void shuffle(size_t *a, size_t n, uint64_t *s)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(rng_next(s) % i);
		size_t t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Distinct labels of data, sorted (so label order never depends on the
 * order of the rows). Returns the count, or -1 when there are too many. */
static int collect_labels(const struct icm_data *d, const char **out)
{
	int k = 0;
	for (size_t i = 0; i < d->n; i++) {
		int j;
		for (j = 0; j < k; j++)
			if (!strcmp(out[j], d->ex[i].label))
				break;
		if (j < k)
			continue;
		if (k == ICM_MAX_LABELS)
			return -1;
		out[k++] = d->ex[i].label;
	}
	qsort(out, (size_t)k, sizeof(*out), cmp_str);
	return k;
}

void icm_data_split(const struct icm_data *src, double holdout, uint64_t seed, struct icm_data *train,
		    struct icm_data *test)
{
	size_t *order = xmalloc((src->n ? src->n : 1) * sizeof(*order));
	for (size_t i = 0; i < src->n; i++)
		order[i] = i;
	uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
	shuffle(order, src->n, &s);
	/* Per-label running counts: an example goes to test whenever its
	 * label's share of test examples would fall below holdout. */
	const char *names[ICM_MAX_LABELS * 4];
	size_t seen[ICM_MAX_LABELS * 4], nnames = 0;
	for (size_t r = 0; r < src->n; r++) {
		const struct icm_example *e = &src->ex[order[r]];
		size_t j;
		for (j = 0; j < nnames; j++)
			if (!strcmp(names[j], e->label))
				break;
		if (j == nnames && nnames < ARRAY_LEN(names)) {
			names[nnames] = e->label;
			seen[nnames++] = 0;
		}
		size_t c = j < nnames ? seen[j]++ : r;
		int to_test = (size_t)((double)(c + 1) * holdout) > (size_t)((double)c * holdout);
		icm_data_add(to_test ? test : train, e->label, e->text);
	}
	free(order);
}

/* --- normalization and features --------------------------------------------- */

/* Decode one UTF-8 character at p (n bytes available); *len gets its size.
 * Invalid bytes decode as U+FFFD, one byte each. */
static uint32_t utf8_next(const unsigned char *p, size_t n, size_t *len)
{
	uint32_t c = p[0];
	size_t need;
	if (c < 0x80) {
		*len = 1;
		return c;
	} else if ((c & 0xE0) == 0xC0) {
		need = 2;
		c &= 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		need = 3;
		c &= 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		need = 4;
		c &= 0x07;
	} else {
		*len = 1;
		return 0xFFFD;
	}
	if (need > n) {
		*len = 1;
		return 0xFFFD;
	}
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*len = 1;
			return 0xFFFD;
		}
		c = (c << 6) | (p[i] & 0x3F);
	}
	*len = need;
	return c;
}

static int is_han(uint32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF);
}

/* Latin-1 letters U+00C0..U+00FF folded to ASCII ('\0' for none). */
static char fold_latin1(uint32_t c)
{
	static const char tab[] = "aaaaaaaceeeeiiii"
				  "dnooooo ouuuuyts"
				  "aaaaaaaceeeeiiii"
				  "dnooooo ouuuuyty";
	if (c < 0xC0 || c > 0xFF)
		return '\0';
	char f = tab[c - 0xC0];
	return f == ' ' ? '\0' : f;
}

size_t icm_normalize(const char *text, char *buf, size_t buflen)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = strlen(text), o = 0;
	if (n > ICM_MAX_TEXT)
		n = ICM_MAX_TEXT;
	if (buflen == 0)
		return 0;
	for (size_t i = 0; i < n;) {
		size_t len;
		uint32_t c = utf8_next(p + i, n - i, &len);
		i += len;
		if (c >= 0xFF01 && c <= 0xFF5E) /* full-width ASCII */
			c -= 0xFEE0;
		char a = '\0';
		if (c < 0x80) {
			if (c >= 'A' && c <= 'Z')
				a = (char)(c - 'A' + 'a');
			else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
				a = (char)c;
			else if (c == '\'')
				continue; /* don't -> dont */
			else
				a = ' ';
		} else if (c == 0x2019) {
			continue;
		} else if (is_han(c)) {
			if (o + len + 1 >= buflen)
				break;
			memcpy(buf + o, p + i - len, len);
			o += len;
			continue;
		} else {
			a = fold_latin1(c);
			if (!a)
				a = ' ';
		}
		if (a == ' ' && (o == 0 || buf[o - 1] == ' '))
			continue;
		if (o + 2 >= buflen)
			break;
		buf[o++] = a;
	}
	while (o > 0 && buf[o - 1] == ' ')
		o--;
	buf[o] = '\0';
	return o;
}

static uint64_t hash_bytes(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint32_t hash_final(uint64_t h, uint32_t mask)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h & mask;
}

#define HASH_SEED 0xcbf29ce484222325ull

struct token {
	const char *s;
	size_t len;
};

struct fbuf {
	struct feat f[MAX_FEAT];
	int n;
};

static void feat_add(struct fbuf *fb, uint32_t idx, float val)
{
	if (fb->n < MAX_FEAT)
		fb->f[fb->n++] = (struct feat){ idx, val };
}

static int cmp_feat(const void *a, const void *b)
{
	uint32_t x = ((const struct feat *)a)->idx, y = ((const struct feat *)b)->idx;
	return (x > y) - (x < y);
}

/* Weights of the feature kinds before normalization: words carry most of
 * the meaning; character n-grams catch typos, inflection and code-mixing. */
#define W_WORD 1.0f
#define W_BIGRAM 0.7f
#define W_CHAR 0.35f

/* Features of text into fb: sorted by index, duplicates merged with a
 * sublinear count, L2 normalized. */
static void featurize(const char *text, uint32_t mask, struct fbuf *fb)
{
	char norm[ICM_MAX_TEXT + 8];
	size_t nlen = icm_normalize(text, norm, sizeof(norm));
	/* Digit runs collapse to one '0' so order numbers and quantities
	 * generalize: "ord-123456" and "ord 999" share features. */
	char word[ICM_MAX_TEXT + 8];
	size_t wlen = 0;
	struct token tok[MAX_TOKENS];
	int ntok = 0;
	for (size_t i = 0; i < nlen && ntok < MAX_TOKENS;) {
		unsigned char c = (unsigned char)norm[i];
		if (c == ' ') {
			i++;
			continue;
		}
		if (c >= 0x80) { /* a Han character: a token of its own */
			size_t len;
			(void)utf8_next((const unsigned char *)norm + i, nlen - i, &len);
			tok[ntok++] = (struct token){ norm + i, len };
			i += len;
			continue;
		}
		size_t start = wlen;
		while (i < nlen && norm[i] != ' ' && (unsigned char)norm[i] < 0x80) {
			if (norm[i] >= '0' && norm[i] <= '9') {
				while (i < nlen && norm[i] >= '0' && norm[i] <= '9')
					i++;
				word[wlen++] = '0';
			} else {
				word[wlen++] = norm[i++];
			}
		}
		tok[ntok++] = (struct token){ word + start, wlen - start };
	}

	fb->n = 0;
	static const char bos[] = "<s>", eos[] = "</s>";
	for (int t = 0; t < ntok; t++) {
		uint64_t h = hash_bytes(HASH_SEED, "u", 1);
		feat_add(fb, hash_final(hash_bytes(h, tok[t].s, tok[t].len), mask), W_WORD);
		const char *ps = t ? tok[t - 1].s : bos;
		size_t pl = t ? tok[t - 1].len : 3;
		h = hash_bytes(HASH_SEED, "b", 1);
		h = hash_bytes(h, ps, pl);
		h = hash_bytes(h, " ", 1);
		feat_add(fb, hash_final(hash_bytes(h, tok[t].s, tok[t].len), mask), W_BIGRAM);
		if ((unsigned char)tok[t].s[0] < 0x80) {
			/* character 3..5-grams of "<word>" */
			char b[ICM_MAX_TEXT + 8];
			size_t bl = tok[t].len + 2;
			if (bl > sizeof(b))
				bl = sizeof(b);
			b[0] = '<';
			memcpy(b + 1, tok[t].s, bl - 2);
			b[bl - 1] = '>';
			for (size_t g = 3; g <= 5; g++)
				for (size_t i = 0; i + g <= bl; i++) {
					if (g == bl && g <= 3)
						continue; /* "<a>" is the word itself */
					h = hash_bytes(HASH_SEED, "c", 1);
					feat_add(fb, hash_final(hash_bytes(h, b + i, g), mask), W_CHAR);
				}
		}
	}
	if (ntok > 0) {
		uint64_t h = hash_bytes(HASH_SEED, "b", 1);
		h = hash_bytes(h, tok[ntok - 1].s, tok[ntok - 1].len);
		h = hash_bytes(h, " ", 1);
		feat_add(fb, hash_final(hash_bytes(h, eos, 4), mask), W_BIGRAM);
	}
	if (fb->n == 0)
		return;
	qsort(fb->f, (size_t)fb->n, sizeof(fb->f[0]), cmp_feat);
	int o = 0;
	for (int i = 0; i < fb->n;) {
		uint32_t idx = fb->f[i].idx;
		float sum = 0, maxw = 0;
		int cnt = 0;
		for (; i < fb->n && fb->f[i].idx == idx; i++) {
			sum += fb->f[i].val;
			if (fb->f[i].val > maxw)
				maxw = fb->f[i].val;
			cnt++;
		}
		fb->f[o++] = (struct feat){ idx, cnt == 1 ? sum : maxw * (1.0f + logf((float)cnt)) };
	}
	fb->n = o;
	double norm2 = 0;
	for (int i = 0; i < fb->n; i++)
		norm2 += (double)fb->f[i].val * fb->f[i].val;
	float inv = (float)(1.0 / sqrt(norm2));
	for (int i = 0; i < fb->n; i++)
		fb->f[i].val *= inv;
}

/* Scores into p[k], then softmax in place. */
static void softmax_scores(const struct icm *m, const struct feat *f, int nf, float *p)
{
	for (int c = 0; c < m->k; c++)
		p[c] = m->bias[c];
	for (int i = 0; i < nf; i++) {
		const float *row = row_ptr(m, f[i].idx);
		if (!row)
			continue;
		float v = f[i].val;
		for (int c = 0; c < m->k; c++)
			p[c] += v * row[c];
	}
	float mx = p[0];
	for (int c = 1; c < m->k; c++)
		if (p[c] > mx)
			mx = p[c];
	float sum = 0;
	for (int c = 0; c < m->k; c++) {
		p[c] = expf(p[c] - mx);
		sum += p[c];
	}
	for (int c = 0; c < m->k; c++)
		p[c] /= sum;
}

/* A model with every row (for training), or, when packed_rows >= 0, room
 * for that many non-zero rows only (for a loaded model). */
static struct icm *model_alloc(int bits, int k, int64_t packed_rows)
{
	struct icm *m = xcalloc(1, sizeof(*m));
	m->bits = bits;
	m->mask = (1u << bits) - 1;
	m->k = k;
	m->bias = xcalloc((size_t)k, sizeof(float));
	if (packed_rows < 0) {
		m->w = xcalloc(((size_t)m->mask + 1) * (size_t)k, sizeof(float));
	} else {
		m->row_of = xcalloc((size_t)m->mask + 1, sizeof(int32_t));
		m->packed = xcalloc((size_t)packed_rows * (size_t)k + 1, sizeof(float));
	}
	return m;
}

static struct icm *model_new(int bits, int k)
{
	return model_alloc(bits, k, -1);
}

void icm_free(struct icm *m)
{
	if (!m)
		return;
	free(m->bias);
	free(m->w);
	free(m->row_of);
	free(m->packed);
	free(m);
}

/* --- training --------------------------------------------------------------- */

struct icm *icm_train(const struct icm_data *data, const struct icm_params *p, void (*progress)(const char *line),
		      char *errstr, size_t errlen)
{
	if (p->bits < 10 || p->bits > 24 || p->epochs < 1 || p->epochs > 1000 || !(p->lr > 0)) {
		snprintf(errstr, errlen, "bad parameters: bits %d (10..24), epochs %d (1..1000), lr %g", p->bits,
			 p->epochs, (double)p->lr);
		return NULL;
	}
	const char *names[ICM_MAX_LABELS];
	int k = collect_labels(data, names);
	if (k < 0) {
		snprintf(errstr, errlen, "more than %d distinct labels", ICM_MAX_LABELS);
		return NULL;
	}
	if (k < 2) {
		snprintf(errstr, errlen, "need at least two distinct labels, got %d", k);
		return NULL;
	}
	struct icm *m = model_new(p->bits, k);
	for (int c = 0; c < k; c++)
		util_strlcpy(m->labels[c], names[c], ICM_MAX_LABEL_LEN);

	/* Features once for every example: epochs then only do arithmetic. */
	size_t n = data->n;
	size_t *off = xmalloc((n + 1) * sizeof(*off));
	int *y = xmalloc(n * sizeof(*y));
	size_t cap = n * 64 + 1, used = 0;
	struct feat *all = xmalloc(cap * sizeof(*all));
	struct fbuf *fb = xmalloc(sizeof(*fb));
	for (size_t i = 0; i < n; i++) {
		featurize(data->ex[i].text, m->mask, fb);
		if (used + (size_t)fb->n > cap) {
			cap = (used + (size_t)fb->n) * 2;
			all = xrealloc(all, cap * sizeof(*all));
		}
		off[i] = used;
		memcpy(all + used, fb->f, (size_t)fb->n * sizeof(*all));
		used += (size_t)fb->n;
		y[i] = icm_label_index(m, data->ex[i].label);
	}
	off[n] = used;
	free(fb);

	size_t *order = xmalloc((n ? n : 1) * sizeof(*order));
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	uint64_t s = p->seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
	float prob[ICM_MAX_LABELS];
	double total = (double)p->epochs * (double)n;
	size_t t = 0;
	for (int ep = 0; ep < p->epochs; ep++) {
		shuffle(order, n, &s);
		double loss = 0;
		size_t correct = 0;
		for (size_t r = 0; r < n; r++, t++) {
			size_t i = order[r];
			const struct feat *f = all + off[i];
			int nf = (int)(off[i + 1] - off[i]);
			softmax_scores(m, f, nf, prob);
			int best = 0;
			for (int c = 1; c < k; c++)
				if (prob[c] > prob[best])
					best = c;
			correct += best == y[i];
			loss -= log(prob[y[i]] > 1e-12f ? prob[y[i]] : 1e-12f);
			/* linear decay to a tenth of the initial rate */
			float lr = p->lr * (float)(1.0 - 0.9 * (double)t / total);
			float decay = 1.0f - lr * p->l2;
			for (int c = 0; c < k; c++) {
				prob[c] -= c == y[i] ? 1.0f : 0.0f;
				m->bias[c] -= lr * prob[c];
			}
			for (int j = 0; j < nf; j++) {
				float *row = m->w + (size_t)f[j].idx * (size_t)k;
				float v = lr * f[j].val;
				for (int c = 0; c < k; c++)
					row[c] = row[c] * decay - v * prob[c];
			}
		}
		if (progress) {
			char line[160];
			snprintf(line, sizeof(line), "epoch %d/%d: loss %.4f, training accuracy %.4f", ep + 1,
				 p->epochs, n ? loss / (double)n : 0.0, n ? (double)correct / (double)n : 0.0);
			progress(line);
		}
	}
	free(order);
	free(all);
	free(off);
	free(y);
	return m;
}

/* --- prediction ------------------------------------------------------------- */

int icm_predict(const struct icm *m, const char *text, float *confidence)
{
	struct fbuf fb;
	float prob[ICM_MAX_LABELS];
	featurize(text, m->mask, &fb);
	softmax_scores(m, fb.f, fb.n, prob);
	int best = 0;
	for (int c = 1; c < m->k; c++)
		if (prob[c] > prob[best])
			best = c;
	if (confidence)
		*confidence = prob[best];
	return best;
}

int icm_nlabels(const struct icm *m)
{
	return m->k;
}

const char *icm_label(const struct icm *m, int i)
{
	return i >= 0 && i < m->k ? m->labels[i] : NULL;
}

int icm_label_index(const struct icm *m, const char *label)
{
	for (int c = 0; c < m->k; c++)
		if (!strcmp(m->labels[c], label))
			return c;
	return -1;
}

void icm_evaluate(const struct icm *m, const struct icm_data *data, float min_confidence, struct icm_eval *out)
{
	/* confusion counts; index k is "a label the model does not know" */
	size_t tp[ICM_MAX_LABELS + 1] = { 0 }, fp[ICM_MAX_LABELS + 1] = { 0 }, fn[ICM_MAX_LABELS + 1] = { 0 };
	int *pred = xmalloc((data->n ? data->n : 1) * sizeof(*pred));
	float *conf = xmalloc((data->n ? data->n : 1) * sizeof(*conf));
	/* the fastest of three passes: timing on a shared machine is noisy */
	int64_t best_us = INT64_MAX;
	for (int pass = 0; pass < 3; pass++) {
		int64_t t0 = util_mono_us();
		for (size_t i = 0; i < data->n; i++)
			pred[i] = icm_predict(m, data->ex[i].text, &conf[i]);
		int64_t us = util_mono_us() - t0;
		if (us < best_us)
			best_us = us;
	}
	size_t correct = 0, confident = 0, confident_ok = 0;
	for (size_t i = 0; i < data->n; i++) {
		int y = icm_label_index(m, data->ex[i].label);
		if (y < 0)
			y = m->k;
		if (conf[i] >= min_confidence) {
			confident++;
			confident_ok += pred[i] == y;
		}
		if (pred[i] == y) {
			tp[y]++;
			correct++;
		} else {
			fp[pred[i]]++;
			fn[y]++;
		}
	}
	free(pred);
	free(conf);
	double f1sum = 0;
	int nl = 0;
	for (int c = 0; c <= m->k; c++) {
		if (tp[c] + fp[c] + fn[c] == 0)
			continue;
		f1sum += 2.0 * (double)tp[c] / (double)(2 * tp[c] + fp[c] + fn[c]);
		nl++;
	}
	out->n = data->n;
	out->accuracy = data->n ? (double)correct / (double)data->n : 0;
	out->macro_f1 = nl ? f1sum / nl : 0;
	out->us_per_msg = data->n ? (double)best_us / (double)data->n : 0;
	out->confident_share = data->n ? (double)confident / (double)data->n : 0;
	out->confident_accuracy = confident ? (double)confident_ok / (double)confident : 0;
}

/* --- file format ------------------------------------------------------------ */
/* All integers and floats little-endian:
 *   "ICM1" u32 version u32 features_version u32 bits u32 k u32 nrows
 *   k x (u8 len, len bytes of label)
 *   k x f32 bias
 *   nrows x (u32 row index, strictly increasing; k x f32)
 *   u32 FNV-1a checksum of every byte before it */

struct wbuf {
	unsigned char *p;
	size_t n, cap;
};

static void wb_put(struct wbuf *b, const void *data, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
}

static void wb_u32(struct wbuf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	wb_put(b, x, 4);
}

static void wb_f32(struct wbuf *b, float f)
{
	uint32_t v;
	memcpy(&v, &f, 4);
	wb_u32(b, v);
}

static uint32_t fnv32(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

int icm_save(const struct icm *m, const char *path, char *errstr, size_t errlen)
{
	struct wbuf b = { NULL, 0, 0 };
	int rc = -1;
	size_t rows = (size_t)m->mask + 1, nrows = 0;
	for (size_t r = 0; r < rows; r++) {
		const float *row = row_ptr(m, (uint32_t)r);
		for (int c = 0; row && c < m->k; c++)
			if (row[c] != 0.0f) {
				nrows++;
				break;
			}
	}
	wb_put(&b, ICM_MAGIC, 4);
	wb_u32(&b, ICM_VERSION);
	wb_u32(&b, ICM_FEATURES_VERSION);
	wb_u32(&b, (uint32_t)m->bits);
	wb_u32(&b, (uint32_t)m->k);
	wb_u32(&b, (uint32_t)nrows);
	for (int c = 0; c < m->k; c++) {
		unsigned char len = (unsigned char)strlen(m->labels[c]);
		wb_put(&b, &len, 1);
		wb_put(&b, m->labels[c], len);
	}
	for (int c = 0; c < m->k; c++)
		wb_f32(&b, m->bias[c]);
	for (size_t r = 0; r < rows; r++) {
		const float *row = row_ptr(m, (uint32_t)r);
		int nz = 0;
		if (!row)
			continue;
		for (int c = 0; c < m->k && !nz; c++)
			nz = row[c] != 0.0f;
		if (!nz)
			continue;
		wb_u32(&b, (uint32_t)r);
		for (int c = 0; c < m->k; c++)
			wb_f32(&b, row[c]);
	}
	wb_u32(&b, fnv32(b.p, b.n));

	/* write to a temporary name and rename, so a reader never sees half */
	char tmp[4096];
	if (util_snprintf(tmp, sizeof(tmp), "%s.tmp", path) < 0) {
		snprintf(errstr, errlen, "model path too long: \"%s\"", path);
		goto out;
	}
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		snprintf(errstr, errlen, "cannot create \"%s\": %s", tmp, strerror(errno));
		goto out;
	}
	size_t wr = fwrite(b.p, 1, b.n, f);
	if (fclose(f) != 0 || wr != b.n) {
		snprintf(errstr, errlen, "cannot write \"%s\": %s", tmp, strerror(errno));
		remove(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		snprintf(errstr, errlen, "cannot rename \"%s\" to \"%s\": %s", tmp, path, strerror(errno));
		remove(tmp);
		goto out;
	}
	rc = 0;
out:
	free(b.p);
	return rc;
}

struct rbuf {
	const unsigned char *p;
	size_t n, off;
};

static int rb_get(struct rbuf *b, void *out, size_t n)
{
	if (b->n - b->off < n)
		return -1;
	memcpy(out, b->p + b->off, n);
	b->off += n;
	return 0;
}

static int rb_u32(struct rbuf *b, uint32_t *v)
{
	unsigned char x[4];
	if (rb_get(b, x, 4))
		return -1;
	*v = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
	return 0;
}

static int rb_f32(struct rbuf *b, float *f)
{
	uint32_t v;
	if (rb_u32(b, &v))
		return -1;
	memcpy(f, &v, 4);
	return isfinite(*f) ? 0 : -1;
}

struct icm *icm_load_mem(const void *buf, size_t len, char *errstr, size_t errlen)
{
	struct rbuf b = { buf, len, 0 };
	struct icm *m = NULL;
	uint32_t version, fver, bits, k, nrows, sum;
	char magic[4];
	if (len < 28 || rb_get(&b, magic, 4) || memcmp(magic, ICM_MAGIC, 4)) {
		snprintf(errstr, errlen, "not an intent model (no \"%s\" header)", ICM_MAGIC);
		return NULL;
	}
	struct rbuf tail = { buf, len, len - 4 };
	(void)rb_u32(&tail, &sum);
	if (fnv32(buf, len - 4) != sum) {
		snprintf(errstr, errlen, "model file is corrupt or truncated (checksum mismatch, %zu bytes)", len);
		return NULL;
	}
	b.n = len - 4;
	(void)rb_u32(&b, &version);
	(void)rb_u32(&b, &fver);
	(void)rb_u32(&b, &bits);
	(void)rb_u32(&b, &k);
	(void)rb_u32(&b, &nrows);
	if (version != ICM_VERSION || fver != ICM_FEATURES_VERSION) {
		snprintf(errstr, errlen, "model format %u/features %u, this build reads %u/%u: retrain the model",
			 version, fver, ICM_VERSION, ICM_FEATURES_VERSION);
		return NULL;
	}
	if (bits < 10 || bits > 24 || k < 2 || k > ICM_MAX_LABELS || nrows > (1u << bits)) {
		snprintf(errstr, errlen, "model header out of range: bits %u, labels %u, rows %u", bits, k, nrows);
		return NULL;
	}
	m = model_alloc((int)bits, (int)k, (int64_t)nrows);
	for (uint32_t c = 0; c < k; c++) {
		unsigned char l;
		if (rb_get(&b, &l, 1) || l == 0 || l >= ICM_MAX_LABEL_LEN || rb_get(&b, m->labels[c], l) ||
		    !valid_label(m->labels[c], l)) {
			snprintf(errstr, errlen, "model label %u is missing or invalid", c);
			goto fail;
		}
	}
	for (uint32_t c = 0; c < k; c++)
		if (rb_f32(&b, &m->bias[c])) {
			snprintf(errstr, errlen, "model biases are truncated or not finite");
			goto fail;
		}
	if ((b.n - b.off) != (size_t)nrows * (4 + 4 * (size_t)k)) {
		snprintf(errstr, errlen, "model says %u weight rows but holds %zu bytes of them", nrows, b.n - b.off);
		goto fail;
	}
	int64_t prev = -1;
	for (uint32_t r = 0; r < nrows; r++) {
		uint32_t idx;
		(void)rb_u32(&b, &idx);
		if ((int64_t)idx <= prev || idx > m->mask) {
			snprintf(errstr, errlen, "model weight row %u has a bad index %u", r, idx);
			goto fail;
		}
		prev = idx;
		m->row_of[idx] = (int32_t)r + 1;
		for (uint32_t c = 0; c < k; c++)
			if (rb_f32(&b, &m->packed[(size_t)r * k + c])) {
				snprintf(errstr, errlen, "model weight row %u holds a value that is not finite", r);
				goto fail;
			}
	}
	return m;
fail:
	icm_free(m);
	return NULL;
}

struct icm *icm_load(const char *path, char *errstr, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(errstr, errlen, "cannot open model \"%s\": %s", path, strerror(errno));
		return NULL;
	}
	struct icm *m = NULL;
	unsigned char *buf = NULL;
	long size;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		snprintf(errstr, errlen, "cannot read model \"%s\": %s", path, strerror(errno));
		goto out;
	}
	if (size > (1L << 30)) {
		snprintf(errstr, errlen, "model \"%s\" is larger than 1 GiB", path);
		goto out;
	}
	buf = xmalloc((size_t)size + 1);
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		snprintf(errstr, errlen, "cannot read model \"%s\": short read", path);
		goto out;
	}
	char detail[256];
	m = icm_load_mem(buf, (size_t)size, detail, sizeof(detail));
	if (!m)
		snprintf(errstr, errlen, "model \"%s\": %s", path, detail);
out:
	free(buf);
	fclose(f);
	return m;
}
