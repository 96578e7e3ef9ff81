/* intent-bench: classification time per message (model, language and
 * entities, as the service does per turn), on the Bitext test split (a
 * model trained on its train split) and on the project's own data (the
 * shipped model). Prints one line per data set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entities.h"
#include "intent-classifier.h"
#include "model.h"
#include "util.h"

#define PASSES 5

/* Bitext's TSV: split, intent, ..., text (last column). */
static void read_bitext(const char *path, struct icm_data *train, struct icm_data *test)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "intent-bench: cannot open %s\n", path);
		exit(2);
	}
	char line[8192];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *split = line, *intent = strchr(line, '\t');
		char *text = strrchr(line, '\t');
		if (!intent || !text || intent == text)
			continue;
		*intent++ = '\0';
		char *end = strchr(intent, '\t');
		if (!end)
			continue;
		*end = '\0';
		text++;
		if (!strcmp(split, "train"))
			icm_data_add(train, intent, text);
		else if (!strcmp(split, "test"))
			icm_data_add(test, intent, text);
	}
	fclose(f);
}

/* Best of PASSES runs over every message: microseconds per message. */
static double time_per_message(const struct icm *m, const struct icm_data *d, const struct ent_stores *stores)
{
	double best = 0;
	volatile int sink = 0;
	for (int pass = 0; pass < PASSES; pass++) {
		int64_t t0 = util_mono_us();
		for (size_t i = 0; i < d->n; i++) {
			const char *intent;
			float conf;
			struct ent ents[16];
			ic_intent(m, d->ex[i].text, &intent, &conf);
			sink += ent_extract(d->ex[i].text, stores, ents, 16);
			sink += ic_language(d->ex[i].text)[0];
		}
		double us = (double)(util_mono_us() - t0) / (double)d->n;
		if (pass == 0 || us < best)
			best = us;
	}
	(void)sink;
	return best;
}

int main(int argc, char **argv)
{
	const char *bitext = argc > 1 ? argv[1] : "../shared/data/bitext/customer_support_intents.tsv";
	const char *model_path = argc > 2 ? argv[2] : "build/models/intent.model";
	const char *own = argc > 3 ? argv[3] : "services/intent-classifier/data/intents.tsv";
	char errstr[512], buf[512];
	struct ent_stores stores;
	ent_stores_parse(&stores, "Mid Valley,Sunway Pyramid,Penang Gurney,Johor Bahru,IOI City", buf, sizeof(buf));

	struct icm_data train, test, mine;
	icm_data_init(&train);
	icm_data_init(&test);
	icm_data_init(&mine);
	read_bitext(bitext, &train, &test);
	if (train.n && test.n) {
		struct icm_params p;
		icm_params_default(&p);
		struct icm *m = icm_train(&train, &p, NULL, errstr, sizeof(errstr));
		if (!m) {
			fprintf(stderr, "intent-bench: training on Bitext failed: %s\n", errstr);
			return 1;
		}
		printf("bitext test split: %zu messages, %.2f us/message (model + language + entities, best of %d)\n",
		       test.n, time_per_message(m, &test, &stores), PASSES);
		icm_free(m);
	}
	struct icm *m = icm_load(model_path, errstr, sizeof(errstr));
	if (!m || icm_data_read_tsv(&mine, own, errstr, sizeof(errstr)) < 0) {
		fprintf(stderr, "intent-bench: %s\n", errstr);
		return 1;
	}
	printf("own data (%s): %zu messages, %.2f us/message (shipped model, best of %d)\n", own, mine.n,
	       time_per_message(m, &mine, &stores), PASSES);
	icm_free(m);
	icm_data_release(&train);
	icm_data_release(&test);
	icm_data_release(&mine);
	return 0;
}
