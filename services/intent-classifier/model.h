/* model: the intent classifier's learner. Text becomes a sparse vector of
 * hashed features (word unigrams and bigrams of a normalized text, character
 * 3-5-grams inside Latin words, Han characters and their bigrams), L2
 * normalized; a multinomial logistic regression trained by SGD with a fixed
 * seed maps it to a probability per label. Same data and parameters give the
 * same model bytes. */
#ifndef SERVICES_INTENT_CLASSIFIER_MODEL_H
#define SERVICES_INTENT_CLASSIFIER_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define ICM_MAX_LABELS 64
#define ICM_MAX_LABEL_LEN 48
#define ICM_MAX_TEXT 4096 /* bytes of a message that are looked at */

struct icm; /* a trained model (heap handle) */

struct icm_params {
	int bits;       /* hash buckets = 2^bits, 10..24 */
	int epochs;     /* passes over the data */
	float lr;       /* initial learning rate */
	float l2;       /* weight decay per example */
	uint64_t seed;  /* shuffling */
};

/* Defaults: 2^18 buckets, 30 epochs, lr 1.0, l2 1e-3, seed 1. */
void icm_params_default(struct icm_params *p);

/* One labeled message. */
struct icm_example {
	char *label;
	char *text;
};

/* A growable set of examples that owns its strings. */
struct icm_data {
	struct icm_example *ex;
	size_t n, cap;
};

void icm_data_init(struct icm_data *d);
void icm_data_release(struct icm_data *d);
/* Append copies of label and text. */
void icm_data_add(struct icm_data *d, const char *label, const char *text);
/* Append every `intent<TAB>text` line of path (blank lines and lines that
 * start with '#' are skipped). Returns the number of rows added, or -1 with
 * errstr naming the file and line of a malformed row. */
long icm_data_read_tsv(struct icm_data *d, const char *path, char *errstr, size_t errlen);
/* Split src by label (stratified): a fraction `holdout` of each label's
 * examples, chosen by a shuffle with seed, goes to test, the rest to train.
 * Both must be initialized. */
void icm_data_split(const struct icm_data *src, double holdout, uint64_t seed, struct icm_data *train,
		    struct icm_data *test);

/* Train on data (at least two distinct labels). Progress lines go to
 * progress when it is not NULL. Returns the model, or NULL with errstr. */
struct icm *icm_train(const struct icm_data *data, const struct icm_params *p, void (*progress)(const char *line),
		      char *errstr, size_t errlen);
void icm_free(struct icm *m);

/* Write the model file (magic "ICM1", version, params, labels, the non-zero
 * weight rows as little-endian float32). Returns 0 or -1 with errstr. */
int icm_save(const struct icm *m, const char *path, char *errstr, size_t errlen);
/* Read and validate a model file. NULL with errstr saying what is wrong. */
struct icm *icm_load(const char *path, char *errstr, size_t errlen);
/* The same from memory (for tests and embedding). */
struct icm *icm_load_mem(const void *buf, size_t len, char *errstr, size_t errlen);

/* Index of the most probable label for text, with its probability in
 * *confidence (may be NULL). Thread-safe: the model is read only. */
int icm_predict(const struct icm *m, const char *text, float *confidence);
int icm_nlabels(const struct icm *m);
const char *icm_label(const struct icm *m, int i);
/* Label index by name, or -1. */
int icm_label_index(const struct icm *m, const char *label);

/* Metrics of a model over labeled data. Labels unknown to the model count
 * as errors. */
struct icm_eval {
	size_t n;
	double accuracy;
	double macro_f1;  /* mean F1 over the labels present in data or predicted */
	double us_per_msg; /* wall time of icm_predict per message (best of 3 passes) */
	double confident_share;    /* share of messages with confidence >= min_confidence */
	double confident_accuracy; /* accuracy on those */
};
void icm_evaluate(const struct icm *m, const struct icm_data *data, float min_confidence, struct icm_eval *out);

/* Fill buf (size buflen) with the normalized form used for features:
 * lower-case ASCII, Latin-1 accents folded, full-width ASCII folded, every
 * other character that is not a letter, digit or Han character a space.
 * Exposed for tests. Returns the length. */
size_t icm_normalize(const char *text, char *buf, size_t buflen);

#endif
