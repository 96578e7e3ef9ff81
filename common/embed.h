/* embed: text embeddings behind one interface, with three providers:
 *
 *   local    built in, the default: no network, no key, deterministic.
 *            Signed feature hashing of light-stemmed words, character
 *            trigrams of each word (typos, inflections, Malay affixes) and
 *            Han character unigrams and bigrams (Chinese has no spaces),
 *            with sublinear term frequency, L2-normalised. The corpus-wide
 *            IDF weighting is applied at query time by the reader of the
 *            vectors (embed_local_query), because document frequencies
 *            change with every ingested document while a stored vector
 *            must not.
 *   openai   any OpenAI-compatible POST {base}/embeddings
 *            ({"model", "input": [...], "encoding_format": "float"}).
 *   bedrock  Amazon Bedrock Titan Text Embeddings V2 (InvokeModel,
 *            SigV4 via common/sigv4.c; one text per call).
 *
 * Vectors are float[dim], L2-normalised by the provider or by embed_texts.
 * Every stored vector is labelled with embed_model_id(): a reader ignores
 * vectors made by another model or dimension. */
#ifndef COMMON_EMBED_H
#define COMMON_EMBED_H

#include <stddef.h>
#include <stdint.h>

#define EMBED_MAX_DIM 4096
#define EMBED_LOCAL_VERSION 1 /* part of the local model id: bump when features change */

struct embed_conf {
	const char *provider; /* "local" (default), "openai", "bedrock" */
	long dim;             /* local: hashed dimensions; bedrock: 256, 512 or 1024; openai: 0 = model's own */
	const char *url;      /* openai: base URL up to /v1; bedrock: endpoint override ("" = regional) */
	const char *model;    /* openai model name; bedrock model id */
	const char *api_key;  /* openai bearer key ("" = none) */
	const char *region;   /* bedrock region */
	long timeout_ms;
};

struct embedder;

/* The config table entries (common/config.h) of an embed_conf, the same in
 * every service that embeds (ingestion, retriever). */
#define EMBED_CFG(c)                                                                                            \
	{ "EMBED_PROVIDER", CFG_STR, "local", 0, 0, "embeddings provider: local, openai, bedrock",             \
	  &(c).provider },                                                                                      \
	    { "EMBED_DIM", CFG_INT, "0", 0, EMBED_MAX_DIM,                                                      \
	      "vector dimension (0: local 768, bedrock 1024, openai the model's own)", &(c).dim },              \
	    { "EMBED_URL", CFG_STR, "http://127.0.0.1:8000/v1", 0, 0,                                          \
	      "openai: base URL up to /v1; bedrock: endpoint override (empty: regional)", &(c).url },          \
	    { "EMBED_MODEL", CFG_STR, "", 0, 0,                                                                 \
	      "openai: model name; bedrock: model id (amazon.titan-embed-text-v2:0)", &(c).model },              \
	    { "EMBED_API_KEY", CFG_STR, "", 0, 0, "openai: bearer key (empty: none)", &(c).api_key },          \
	    { "EMBED_REGION", CFG_STR, "us-east-1", 0, 0, "bedrock: AWS region", &(c).region },                \
	{                                                                                                       \
		"EMBED_TIMEOUT_MS", CFG_INT, "10000", 100, 600000, "embeddings request timeout", &(c).timeout_ms \
	}

/* A provider from conf (strings are copied). NULL with errstr when the
 * configuration is unusable (unknown provider, bad dimension). No network
 * is touched here. */
struct embedder *embed_new(const struct embed_conf *conf, char *errstr, size_t errlen);
void embed_free(struct embedder *e);

/* "local-h768-v1", "openai:<model>", "bedrock:<model>:<dim>": the label
 * stored with each vector. */
const char *embed_model_id(const struct embedder *e);
/* Dimension of the vectors (0 for openai until the first answer). */
int embed_dim(const struct embedder *e);
/* 1 for the local provider: its vectors want embed_local_query at search. */
int embed_is_local(const struct embedder *e);

/* Embed texts[0..n): *out gets a heap array of n * *dim floats (caller
 * frees), each row L2-normalised. 0, -1 when the provider is unreachable
 * or timed out, -2 when it answered with an error or garbage (errstr says
 * which). */
int embed_texts(struct embedder *e, const char *const *texts, size_t n, float **out, int *dim, char *errstr,
		size_t errlen);

/* --- the local model: pure functions ------------------------------------ */

/* Called for each feature of text: h is the feature's 32-bit hash, w its
 * weight (before term-frequency damping). */
typedef void (*embed_feature_fn)(void *arg, uint32_t h, float w);

/* Enumerate text's features (words lower-cased and light-stemmed, stop
 * words skipped, character trigrams, Han unigrams and bigrams). */
void embed_local_features(const char *text, embed_feature_fn fn, void *arg);

/* A document vector: hashed features with sublinear term frequency
 * (1 + ln tf), signed hashing, L2-normalised, into out[0..dim). */
void embed_local_doc(const char *text, float *out, int dim);

/* A query vector: like embed_local_doc but each feature weighted by
 * idf(arg, h) (NULL: weight 1), so rare words count more. */
void embed_local_query(const char *text, float (*idf)(void *arg, uint32_t h), void *arg, float *out, int dim);

/* --- provider wire formats: pure, for tests and fuzzing ------------------ */

/* OpenAI-compatible request body for inputs (heap JSON, caller frees). */
char *embed_openai_request(const char *model, const char *const *texts, size_t n, long dim);
/* Parse an OpenAI-compatible response: {"data":[{"index":i,"embedding":[...]}]}
 * with exactly n entries of one dimension. 0 and *out (heap, n * *dim), or
 * -2 with errstr. */
int embed_openai_parse(const char *body, size_t len, size_t n, float **out, int *dim, char *errstr, size_t errlen);
/* Titan V2 request for one text and the parse of its answer
 * ({"embedding":[...], "inputTextTokenCount": N}). */
char *embed_titan_request(const char *text, long dim);
int embed_titan_parse(const char *body, size_t len, float **out, int *dim, char *errstr, size_t errlen);

/* L2-normalise v[0..dim) in place (a zero vector stays zero). */
void embed_normalize(float *v, int dim);

#endif
