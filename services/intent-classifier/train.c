/* intent-train: learn an intent model from labeled TSV (`intent<TAB>text`),
 * optionally report accuracy on a held-out split or a test file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "util.h"

#define MAX_INPUTS 16

static void usage(FILE *f)
{
	fprintf(f, "usage: intent-train --in FILE.tsv [--in more.tsv] [--out MODEL]\n"
		   "                    [--epochs N] [--bits B] [--lr R] [--seed S]\n"
		   "                    [--holdout FRACTION | --test FILE.tsv] [--min-confidence C]\n"
		   "                    [--quiet]\n"
		   "Learns an intent model from `intent<TAB>text` rows. --holdout keeps a stratified\n"
		   "fraction of the rows (shuffled with --seed) out of training and reports accuracy,\n"
		   "macro-F1 and classification time on it (and the share of messages at or above\n"
		   "--min-confidence, default 0.5, with their accuracy); --test does the same with a file.\n");
}

static int quiet;

static void progress(const char *line)
{
	if (!quiet)
		fprintf(stderr, "intent-train: %s\n", line);
}

static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	const char *inputs[MAX_INPUTS], *out = NULL, *test_path = NULL;
	int ninputs = 0, rc = 1;
	double holdout = 0, min_conf = 0.5;
	struct icm_params p;
	icm_params_default(&p);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long l;
		double d;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--quiet")) {
			quiet = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "intent-train: %s needs a value\n", a);
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(a, "--in") && ninputs < MAX_INPUTS)
			inputs[ninputs++] = v;
		else if (!strcmp(a, "--out"))
			out = v;
		else if (!strcmp(a, "--test"))
			test_path = v;
		else if (!strcmp(a, "--epochs") && !util_parse_long(v, 1, 1000, &l))
			p.epochs = (int)l;
		else if (!strcmp(a, "--bits") && !util_parse_long(v, 10, 24, &l))
			p.bits = (int)l;
		else if (!strcmp(a, "--seed") && !util_parse_long(v, 0, 2147483647L, &l))
			p.seed = (uint64_t)l;
		else if (!strcmp(a, "--lr") && !parse_double(v, 1e-6, 100, &d))
			p.lr = (float)d;
		else if (!strcmp(a, "--holdout") && !parse_double(v, 0, 0.9, &d))
			holdout = d;
		else if (!strcmp(a, "--min-confidence") && !parse_double(v, 0, 1, &d))
			min_conf = d;
		else {
			fprintf(stderr, "intent-train: bad option or value: %s %s\n", a, v);
			usage(stderr);
			return 2;
		}
	}
	if (ninputs == 0 || (!out && holdout == 0 && !test_path)) {
		usage(stderr);
		return 2;
	}

	char errstr[512];
	struct icm_data all, train, test;
	struct icm *m = NULL;
	icm_data_init(&all);
	icm_data_init(&train);
	icm_data_init(&test);
	for (int i = 0; i < ninputs; i++) {
		long n = icm_data_read_tsv(&all, inputs[i], errstr, sizeof(errstr));
		if (n < 0) {
			fprintf(stderr, "intent-train: %s\n", errstr);
			goto out;
		}
		if (!quiet)
			fprintf(stderr, "intent-train: read %ld rows from %s\n", n, inputs[i]);
	}
	if (test_path && icm_data_read_tsv(&test, test_path, errstr, sizeof(errstr)) < 0) {
		fprintf(stderr, "intent-train: %s\n", errstr);
		goto out;
	}
	const struct icm_data *fit = &all;
	if (holdout > 0 && !test_path) {
		icm_data_split(&all, holdout, p.seed, &train, &test);
		fit = &train;
	}
	if (!quiet)
		fprintf(stderr, "intent-train: training on %zu rows (2^%d buckets, %d epochs, seed %llu)\n", fit->n,
			p.bits, p.epochs, (unsigned long long)p.seed);
	int64_t t0 = util_mono_us();
	m = icm_train(fit, &p, progress, errstr, sizeof(errstr));
	if (!m) {
		fprintf(stderr, "intent-train: %s\n", errstr);
		goto out;
	}
	if (!quiet)
		fprintf(stderr, "intent-train: trained %d labels in %.2f s\n", icm_nlabels(m),
			(double)(util_mono_us() - t0) / 1e6);
	if (test.n > 0) {
		struct icm_eval ev;
		icm_evaluate(m, &test, (float)min_conf, &ev);
		/* one line on stdout for scripts */
		printf("held-out rows=%zu accuracy=%.4f macro_f1=%.4f us_per_msg=%.2f confident_share=%.4f "
		       "confident_accuracy=%.4f\n",
		       ev.n, ev.accuracy, ev.macro_f1, ev.us_per_msg, ev.confident_share, ev.confident_accuracy);
	}
	if (out) {
		if (icm_save(m, out, errstr, sizeof(errstr))) {
			fprintf(stderr, "intent-train: %s\n", errstr);
			goto out;
		}
		if (!quiet)
			fprintf(stderr, "intent-train: wrote %s\n", out);
	}
	rc = 0;
out:
	icm_free(m);
	icm_data_release(&all);
	icm_data_release(&train);
	icm_data_release(&test);
	return rc;
}
