/* embed: text embeddings (local hashed features, OpenAI-compatible, Titan). */
#include "embed.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

#include "sigv4.h"

#define EMBED_WORD_MAX 64
#define EMBED_RESP_MAX (64 * 1024 * 1024)

enum { PROV_LOCAL, PROV_OPENAI, PROV_BEDROCK };

struct embedder {
	int prov;
	int dim;
	long timeout_ms;
	char *url, *model, *key, *region;
	char id[160];
};

/* --- hashing -------------------------------------------------------------- */

static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 16777619u;
	}
	return h;
}

/* Final mix, so nearby inputs spread over every bit (the sign bit too). */
static uint32_t mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint32_t feat_hash(char kind, const char *s, size_t n)
{
	uint32_t h = fnv1a(2166136261u, &kind, 1);
	return mix(fnv1a(h, s, n));
}

/* --- tokenizing ----------------------------------------------------------- */

/* Decode one UTF-8 code point at s (len > 0); *adv gets its length. An
 * invalid byte is returned as itself with length 1. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *adv)
{
	uint32_t c = s[0];
	size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
	if (n == 0 || n > len) {
		*adv = 1;
		return c;
	}
	if (n > 1)
		c &= 0xFFu >> (n + 1);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*adv = 1;
			return s[0];
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	*adv = n;
	return c;
}

static int is_han(uint32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF);
}

/* Letters and digits of the Latin script (Latin-1 and Extended-A/B
 * letters kept as bytes: Malay and English need nothing more). */
static int is_word_cp(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7);
}

static const char *const stop_words[] = {
	/* English */
	"a", "an", "the", "is", "are", "was", "were", "be", "been", "am", "to", "of", "and", "or", "in", "on", "at",
	"for", "with", "my", "i", "me", "you", "your", "do", "does", "did", "can", "could", "how", "what", "when",
	"where", "which", "who", "it", "its", "this", "that", "if", "will", "would", "there", "have", "has", "had",
	"from", "by", "as", "about", "any", "we", "our", "us", "so", "should", "hi", "hello", "please", "just",
	"some", "they", "them", "their", "there", "into", "than", "then", "also", "get", "got", "i'm", "im",
	/* Malay */
	"saya", "anda", "awak", "kami", "kita", "boleh", "ke", "di", "yang", "dan", "untuk", "dengan", "ini", "itu",
	"apa", "adakah", "ada", "bagaimana", "kalau", "jika", "nak", "mahu", "pada", "dari", "daripada", "akan",
	"sudah", "dah", "lagi", "juga", "atau", "kah", "tu", "ni", "ya", "tolong", "sila",
};

static int is_stop(const char *w, size_t n)
{
	for (size_t i = 0; i < ARRAY_LEN(stop_words); i++)
		if (strlen(stop_words[i]) == n && !memcmp(stop_words[i], w, n))
			return 1;
	return 0;
}

static int ends_with(const char *w, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n > k && !memcmp(w + n - k, suf, k);
}

/* English inflections: a light, deliberately conservative stripper
 * (refunds -> refund, delivered -> deliver, deliveries -> delivery). */
static size_t stem_en(char *w, size_t n)
{
	if (n >= 5 && ends_with(w, n, "ies")) {
		w[n - 3] = 'y';
		return n - 2;
	}
	if (n >= 6 && ends_with(w, n, "ing"))
		return n - 3;
	if (n >= 5 && ends_with(w, n, "ed"))
		return n - 2;
	if (n >= 5 && ends_with(w, n, "ly"))
		return n - 2;
	if (n >= 4 && ends_with(w, n, "s") && !ends_with(w, n, "ss") && !ends_with(w, n, "us"))
		return n - 1;
	return n;
}

/* Malay affixes: the root of penghantaran, dihantar, menghantar is
 * "hantar". Returns the root's start and sets *rn, or NULL when nothing
 * was stripped. */
static const char *stem_ms(const char *w, size_t n, size_t *rn)
{
	static const char *const pre[] = { "memper", "mempel", "meng", "meny", "peng", "peny", "mem", "men", "pem",
					   "pen", "ber", "ter", "per", "me", "di", "ke", "pe", "se" };
	static const char *const suf[] = { "kannya", "annya", "kan", "nya", "lah", "an" };
	const char *s = w;
	size_t len = n;
	for (size_t i = 0; i < ARRAY_LEN(suf); i++) {
		if (ends_with(s, len, suf[i]) && len - strlen(suf[i]) >= 4) {
			len -= strlen(suf[i]);
			break;
		}
	}
	for (size_t i = 0; i < ARRAY_LEN(pre); i++) {
		size_t k = strlen(pre[i]);
		if (len > k + 3 && !memcmp(s, pre[i], k)) {
			s += k;
			len -= k;
			break;
		}
	}
	if (len == n)
		return NULL;
	*rn = len;
	return s;
}

static void word_features(const char *word, size_t n, embed_feature_fn fn, void *arg)
{
	char w[EMBED_WORD_MAX + 3];
	if (n == 0 || n > EMBED_WORD_MAX || is_stop(word, n))
		return;
	memcpy(w, word, n);
	int digits = 1;
	for (size_t i = 0; i < n; i++)
		digits &= word[i] >= '0' && word[i] <= '9';
	size_t sn = digits ? n : stem_en(w, n);
	fn(arg, feat_hash('w', w, sn), 1.0f);
	if (digits || n < 3)
		return;
	memcpy(w, word, n); /* stem_en may have changed a letter */
	/* A prefix stands for the word's family (delivery, delivered). */
	if (n > 6)
		fn(arg, feat_hash('p', w, 5), 0.5f);
	size_t rn;
	const char *root = stem_ms(w, n, &rn);
	if (root)
		fn(arg, feat_hash('m', root, rn), 0.5f);
	/* Character trigrams of <word>: typos and unseen inflections still
	 * share most of them. Their total weight is about one word's. */
	char b[EMBED_WORD_MAX + 3];
	b[0] = '<';
	memcpy(b + 1, word, n);
	b[n + 1] = '>';
	size_t grams = n; /* (n + 2) - 3 + 1 */
	float gw = 0.6f / sqrtf((float)grams);
	for (size_t i = 0; i + 3 <= n + 2; i++)
		fn(arg, feat_hash('g', b + i, 3), gw);
}

/* Han characters that carry little meaning alone. */
static int han_stop(uint32_t c)
{
	static const uint32_t s[] = { 0x7684 /* 的 */, 0x4E86 /* 了 */, 0x662F /* 是 */, 0x5417 /* 吗 */,
				      0x6211 /* 我 */, 0x4F60 /* 你 */, 0x5728 /* 在 */, 0x4E48 /* 么 */,
				      0x5462 /* 呢 */, 0x5427 /* 吧 */, 0x554A /* 啊 */, 0x548C /* 和 */,
				      0x4E0E /* 与 */, 0x8BF7 /* 请 */, 0x8FD9 /* 这 */, 0x90A3 /* 那 */ };
	for (size_t i = 0; i < ARRAY_LEN(s); i++)
		if (s[i] == c)
			return 1;
	return 0;
}

void embed_local_features(const char *text, embed_feature_fn fn, void *arg)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), i = 0;
	char word[EMBED_WORD_MAX + 1];
	size_t wn = 0;
	int overlong = 0;
	uint32_t prev_han = 0;
	while (i <= len) {
		size_t adv = 1;
		uint32_t c = i < len ? utf8_next(s + i, len - i, &adv) : 0;
		if (i < len && is_word_cp(c)) {
			if (wn + adv <= EMBED_WORD_MAX) {
				for (size_t k = 0; k < adv; k++) {
					unsigned char b = s[i + k];
					word[wn++] = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
				}
			} else {
				overlong = 1;
			}
			prev_han = 0;
			i += adv;
			continue;
		}
		/* An apostrophe inside a word (don't, customer's) keeps it whole. */
		if (c == '\'' && wn && i + 1 < len && is_word_cp(s[i + 1]) && wn < EMBED_WORD_MAX) {
			word[wn++] = '\'';
			i++;
			continue;
		}
		if (wn) {
			if (!overlong)
				word_features(word, wn, fn, arg);
			wn = 0;
			overlong = 0;
		}
		if (i < len && is_han(c)) {
			char u[8];
			memcpy(u, s + i, adv);
			if (!han_stop(c))
				fn(arg, feat_hash('h', u, adv), 0.5f);
			if (prev_han) {
				char bi[8];
				size_t pn = 0;
				/* re-encode the previous character (always 3 bytes for Han) */
				bi[pn++] = (char)(0xE0 | (prev_han >> 12));
				bi[pn++] = (char)(0x80 | ((prev_han >> 6) & 0x3F));
				bi[pn++] = (char)(0x80 | (prev_han & 0x3F));
				memcpy(bi + pn, u, adv);
				if (prev_han <= 0xFFFF && adv == 3)
					fn(arg, feat_hash('b', bi, pn + adv), 1.0f);
			}
			prev_han = c;
		} else {
			prev_han = 0;
		}
		i += adv;
	}
}

/* --- accumulating features ------------------------------------------------ */

struct fw {
	uint32_t h;
	float w;
};

struct ftab {
	struct fw *v;
	size_t cap, n;
};

static void ftab_add(void *arg, uint32_t h, float w)
{
	struct ftab *t = arg;
	if ((t->n + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		struct fw *nv = xcalloc(ncap, sizeof(*nv));
		for (size_t i = 0; i < t->cap; i++) {
			if (t->v[i].w == 0)
				continue;
			size_t j = t->v[i].h & (ncap - 1);
			while (nv[j].w != 0)
				j = (j + 1) & (ncap - 1);
			nv[j] = t->v[i];
		}
		free(t->v);
		t->v = nv;
		t->cap = ncap;
	}
	size_t j = h & (t->cap - 1);
	while (t->v[j].w != 0 && t->v[j].h != h)
		j = (j + 1) & (t->cap - 1);
	if (t->v[j].w == 0)
		t->n++;
	t->v[j].h = h;
	t->v[j].w += w;
}

static void project(const char *text, float (*idf)(void *arg, uint32_t h), void *arg, float *out, int dim)
{
	struct ftab t = { 0 };
	memset(out, 0, (size_t)dim * sizeof(*out));
	embed_local_features(text, ftab_add, &t);
	for (size_t i = 0; i < t.cap; i++) {
		if (t.v[i].w == 0)
			continue;
		uint32_t h = t.v[i].h;
		float v = log1pf(t.v[i].w) * (idf ? idf(arg, h) : 1.0f);
		/* The sign keeps colliding features from adding up on average. */
		out[(h & 0x7FFFFFFFu) % (uint32_t)dim] += (h & 0x80000000u) ? -v : v;
	}
	free(t.v);
	embed_normalize(out, dim);
}

void embed_local_doc(const char *text, float *out, int dim)
{
	project(text, NULL, NULL, out, dim);
}

void embed_local_query(const char *text, float (*idf)(void *arg, uint32_t h), void *arg, float *out, int dim)
{
	project(text, idf, arg, out, dim);
}

void embed_normalize(float *v, int dim)
{
	double ss = 0;
	for (int i = 0; i < dim; i++)
		ss += (double)v[i] * v[i];
	if (ss <= 0)
		return;
	float inv = (float)(1.0 / sqrt(ss));
	for (int i = 0; i < dim; i++)
		v[i] *= inv;
}

/* --- wire formats --------------------------------------------------------- */

char *embed_openai_request(const char *model, const char *const *texts, size_t n, long dim)
{
	json_t *in = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(in, json_string(texts[i]));
	json_t *req = json_pack("{s:s, s:o, s:s}", "model", model, "input", in, "encoding_format", "float");
	if (dim > 0)
		json_object_set_new(req, "dimensions", json_integer(dim));
	char *s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return s;
}

/* Copy a JSON array of numbers into row; 0 or -1. */
static int number_row(const json_t *arr, float *row, size_t dim)
{
	for (size_t j = 0; j < dim; j++) {
		const json_t *x = json_array_get(arr, j);
		if (!json_is_number(x))
			return -1;
		double d = json_number_value(x);
		if (!isfinite(d))
			return -1;
		row[j] = (float)d;
	}
	return 0;
}

int embed_openai_parse(const char *body, size_t len, size_t n, float **out, int *dim, char *errstr, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr);
	float *v = NULL;
	size_t d = 0;
	int rc = -2;
	*out = NULL;
	if (!root) {
		snprintf(errstr, errlen, "embeddings answer is not JSON: %s", jerr.text);
		return -2;
	}
	const json_t *data = json_object_get(root, "data");
	if (!json_is_array(data) || json_array_size(data) != n) {
		const char *msg = json_string_value(json_object_get(json_object_get(root, "error"), "message"));
		snprintf(errstr, errlen, "embeddings answer has no data[%zu]%s%.150s", n, msg ? ": " : "",
			 msg ? msg : "");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *item = json_array_get(data, i);
		const json_t *emb = json_object_get(item, "embedding");
		json_int_t idx = json_is_integer(json_object_get(item, "index"))
				     ? json_integer_value(json_object_get(item, "index"))
				     : (json_int_t)i;
		if (!json_is_array(emb) || idx < 0 || (size_t)idx >= n) {
			snprintf(errstr, errlen, "embeddings answer: data[%zu] has no float embedding or a bad index", i);
			goto out;
		}
		size_t ed = json_array_size(emb);
		if (!v) {
			d = ed;
			if (d == 0 || d > EMBED_MAX_DIM) {
				snprintf(errstr, errlen, "embeddings answer: dimension %zu out of 1..%d", d, EMBED_MAX_DIM);
				goto out;
			}
			v = xcalloc(n * d, sizeof(*v));
		}
		if (ed != d || number_row(emb, v + (size_t)idx * d, d)) {
			snprintf(errstr, errlen, "embeddings answer: data[%zu] is not %zu numbers", i, d);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++)
		embed_normalize(v + i * d, (int)d);
	*out = v;
	*dim = (int)d;
	v = NULL;
	rc = 0;
out:
	free(v);
	json_decref(root);
	return rc;
}

char *embed_titan_request(const char *text, long dim)
{
	json_t *req = json_pack("{s:s, s:I, s:b}", "inputText", text, "dimensions", (json_int_t)dim, "normalize", 1);
	char *s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return s;
}

int embed_titan_parse(const char *body, size_t len, float **out, int *dim, char *errstr, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr);
	*out = NULL;
	if (!root) {
		snprintf(errstr, errlen, "Titan answer is not JSON: %s", jerr.text);
		return -2;
	}
	const json_t *emb = json_object_get(root, "embedding");
	size_t d = json_array_size(emb);
	if (!json_is_array(emb) || d == 0 || d > EMBED_MAX_DIM) {
		const char *msg = json_string_value(json_object_get(root, "message"));
		snprintf(errstr, errlen, "Titan answer has no embedding%s%.150s", msg ? ": " : "", msg ? msg : "");
		json_decref(root);
		return -2;
	}
	float *v = xcalloc(d, sizeof(*v));
	if (number_row(emb, v, d)) {
		snprintf(errstr, errlen, "Titan answer: embedding is not %zu numbers", d);
		free(v);
		json_decref(root);
		return -2;
	}
	json_decref(root);
	embed_normalize(v, (int)d);
	*out = v;
	*dim = (int)d;
	return 0;
}

/* --- providers ------------------------------------------------------------ */

struct embedder *embed_new(const struct embed_conf *conf, char *errstr, size_t errlen)
{
	const char *p = conf->provider && *conf->provider ? conf->provider : "local";
	struct embedder *e = xcalloc(1, sizeof(*e));
	e->timeout_ms = conf->timeout_ms > 0 ? conf->timeout_ms : 10000;
	e->url = xstrdup(conf->url ? conf->url : "");
	e->model = xstrdup(conf->model ? conf->model : "");
	e->key = xstrdup(conf->api_key ? conf->api_key : "");
	e->region = xstrdup(conf->region ? conf->region : "");
	if (!strcmp(p, "local")) {
		e->prov = PROV_LOCAL;
		e->dim = conf->dim > 0 ? (int)conf->dim : 768;
		if (e->dim < 16 || e->dim > EMBED_MAX_DIM) {
			snprintf(errstr, errlen, "local embeddings: dimension %d out of 16..%d", e->dim, EMBED_MAX_DIM);
			goto bad;
		}
		snprintf(e->id, sizeof(e->id), "local-h%d-v%d", e->dim, EMBED_LOCAL_VERSION);
	} else if (!strcmp(p, "openai")) {
		e->prov = PROV_OPENAI;
		e->dim = conf->dim > 0 ? (int)conf->dim : 0;
		if (!*e->url || !*e->model) {
			snprintf(errstr, errlen, "openai embeddings need a base URL and a model");
			goto bad;
		}
		if (e->dim)
			snprintf(e->id, sizeof(e->id), "openai:%.100s:%d", e->model, e->dim);
		else
			snprintf(e->id, sizeof(e->id), "openai:%.100s", e->model);
	} else if (!strcmp(p, "bedrock")) {
		e->prov = PROV_BEDROCK;
		e->dim = conf->dim > 0 ? (int)conf->dim : 1024;
		if (e->dim != 256 && e->dim != 512 && e->dim != 1024) {
			snprintf(errstr, errlen, "Titan V2 dimensions are 256, 512 or 1024, not %d", e->dim);
			goto bad;
		}
		if (!*e->model) {
			free(e->model);
			e->model = xstrdup("amazon.titan-embed-text-v2:0");
		}
		if (!*e->region) {
			snprintf(errstr, errlen, "bedrock embeddings need a region");
			goto bad;
		}
		snprintf(e->id, sizeof(e->id), "bedrock:%.100s:%d", e->model, e->dim);
	} else {
		snprintf(errstr, errlen, "unknown embeddings provider \"%s\" (local, openai, bedrock)", p);
		goto bad;
	}
	return e;
bad:
	embed_free(e);
	return NULL;
}

void embed_free(struct embedder *e)
{
	if (!e)
		return;
	free(e->url);
	free(e->model);
	free(e->key);
	free(e->region);
	free(e);
}

const char *embed_model_id(const struct embedder *e)
{
	return e->id;
}

int embed_dim(const struct embedder *e)
{
	return e->dim;
}

int embed_is_local(const struct embedder *e)
{
	return e->prov == PROV_LOCAL;
}

struct membuf {
	char *p;
	size_t n;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct membuf *b = arg;
	size_t n = size * nmemb;
	if (b->n + n > EMBED_RESP_MAX)
		return 0;
	b->p = xrealloc(b->p, b->n + n + 1);
	memcpy(b->p + b->n, ptr, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

/* POST body to url with headers; 0 with the answer in *resp (heap) and
 * *status, or -1 (unreachable / timeout). */
static int http_post(const char *url, struct curl_slist *hdrs, const char *body, long timeout_ms, long *status,
		     struct membuf *resp, char *errstr, size_t errlen)
{
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(errstr, errlen, "cannot start an HTTP client");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 3000 ? timeout_ms : 3000);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	CURLcode cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		snprintf(errstr, errlen, "%s: %s", url, curl_easy_strerror(cc));
		return -1;
	}
	return 0;
}

static int openai_embed(struct embedder *e, const char *const *texts, size_t n, float **out, int *dim,
			char *errstr, size_t errlen)
{
	char *body = embed_openai_request(e->model, texts, n, e->dim);
	char *url = xasprintf("%s/embeddings", e->url);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	if (*e->key) {
		char *auth = xasprintf("Authorization: Bearer %s", e->key);
		h = curl_slist_append(h, auth);
		free(auth);
	}
	struct membuf resp = { 0 };
	long status = 0;
	int rc = http_post(url, h, body, e->timeout_ms, &status, &resp, errstr, errlen);
	if (rc == 0) {
		if (status >= 500 || status == 429) {
			snprintf(errstr, errlen, "embeddings endpoint answered HTTP %ld", status);
			rc = -1;
		} else {
			rc = embed_openai_parse(resp.p ? resp.p : "", resp.n, n, out, dim, errstr, errlen);
			if (rc == 0 && e->dim && *dim != e->dim) {
				snprintf(errstr, errlen, "embeddings endpoint gave %d dimensions, configured %d", *dim,
					 e->dim);
				free(*out);
				*out = NULL;
				rc = -2;
			}
			if (rc == 0)
				e->dim = *dim;
		}
	}
	free(resp.p);
	curl_slist_free_all(h);
	free(url);
	free(body);
	return rc;
}

/* Titan Text Embeddings V2 through InvokeModel: POST
 * /model/{modelId}/invoke, SigV4-signed for service "bedrock". Credentials
 * from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN). */
static int titan_embed(struct embedder *e, const char *text, float *row, char *errstr, size_t errlen)
{
	char host[256], raw_path[512], path[1024], amz_date[17], err[256];
	const char *base = *e->url ? e->url : NULL;
	if (base) {
		const char *h = strstr(base, "://");
		snprintf(host, sizeof(host), "%s", h ? h + 3 : base);
		host[strcspn(host, "/")] = '\0';
	} else {
		snprintf(host, sizeof(host), "bedrock-runtime.%s.amazonaws.com", e->region);
	}
	snprintf(raw_path, sizeof(raw_path), "/model/%s/invoke", e->model);
	if (sigv4_encode_path(raw_path, path, sizeof(path)) < 0) {
		snprintf(errstr, errlen, "bedrock: model id too long");
		return -2;
	}
	const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
	const char *tok = getenv("AWS_SESSION_TOKEN");
	if (!ak || !*ak || !sk || !*sk) {
		snprintf(errstr, errlen, "bedrock: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
		return -2;
	}
	struct sigv4_creds creds = { ak, sk, tok && *tok ? tok : NULL };
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
	char *body = embed_titan_request(text, e->dim);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, "Accept: application/json");
	int rc = -2;
	if (sigv4_sign(&creds, e->region, "bedrock", "POST", host, raw_path, "", body, strlen(body), amz_date, &h,
		       err)) {
		snprintf(errstr, errlen, "bedrock: cannot sign: %s", err);
		goto out;
	}
	char *url = base ? xasprintf("%s%s", base, path) : xasprintf("https://%s%s", host, path);
	struct membuf resp = { 0 };
	long status = 0;
	rc = http_post(url, h, body, e->timeout_ms, &status, &resp, errstr, errlen);
	free(url);
	if (rc == 0) {
		float *v = NULL;
		int d = 0;
		if (status >= 500 || status == 429) {
			snprintf(errstr, errlen, "bedrock answered HTTP %ld", status);
			rc = -1;
		} else if ((rc = embed_titan_parse(resp.p ? resp.p : "", resp.n, &v, &d, errstr, errlen)) == 0) {
			if (d != e->dim) {
				snprintf(errstr, errlen, "Titan gave %d dimensions, asked for %d", d, e->dim);
				rc = -2;
			} else {
				memcpy(row, v, (size_t)d * sizeof(*v));
			}
			free(v);
		}
	}
	free(resp.p);
out:
	curl_slist_free_all(h);
	free(body);
	return rc;
}

int embed_texts(struct embedder *e, const char *const *texts, size_t n, float **out, int *dim, char *errstr,
		size_t errlen)
{
	*out = NULL;
	*dim = e->dim;
	if (n == 0)
		return 0;
	switch (e->prov) {
	case PROV_LOCAL: {
		float *v = xmalloc(n * (size_t)e->dim * sizeof(*v));
		for (size_t i = 0; i < n; i++)
			embed_local_doc(texts[i], v + i * (size_t)e->dim, e->dim);
		*out = v;
		return 0;
	}
	case PROV_OPENAI:
		return openai_embed(e, texts, n, out, dim, errstr, errlen);
	case PROV_BEDROCK: {
		/* Titan embeds one text per call. */
		float *v = xmalloc(n * (size_t)e->dim * sizeof(*v));
		for (size_t i = 0; i < n; i++) {
			int rc = titan_embed(e, texts[i], v + i * (size_t)e->dim, errstr, errlen);
			if (rc) {
				free(v);
				return rc;
			}
		}
		*out = v;
		return 0;
	}
	default:
		snprintf(errstr, errlen, "embeddings provider not available");
		return -2;
	}
}
