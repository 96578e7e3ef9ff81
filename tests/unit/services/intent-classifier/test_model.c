/* intent-classifier/model: features, training, the model file. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../testutil.h"
#include "services/intent-classifier/model.h"

TestSuite(icm, .fini = tu_leak_check);

/* A tiny three-label set in all three languages. */
static const char *const tiny[][2] = {
	{ "greeting", "hello" },	       { "greeting", "hi there" },
	{ "greeting", "good morning" },	       { "greeting", "hey, anyone there?" },
	{ "greeting", "selamat pagi" },	       { "greeting", "hai admin" },
	{ "greeting", "你好" },		       { "greeting", "早上好" },
	{ "order_status", "where is my order" }, { "order_status", "has my order shipped?" },
	{ "order_status", "track my parcel" },   { "order_status", "when will my order arrive" },
	{ "order_status", "mana order saya" },   { "order_status", "bila barang sampai" },
	{ "order_status", "我的订单到哪里了" },  { "order_status", "订单什么时候到" },
	{ "human_agent", "talk to a human" },    { "human_agent", "I want a real person" },
	{ "human_agent", "connect me to an agent" }, { "human_agent", "agent please" },
	{ "human_agent", "nak cakap dengan orang" }, { "human_agent", "sambung ke staf" },
	{ "human_agent", "转人工" },		       { "human_agent", "我要人工客服" },
};

static void tiny_data(struct icm_data *d)
{
	icm_data_init(d);
	for (size_t i = 0; i < ARRAY_LEN(tiny); i++)
		icm_data_add(d, tiny[i][0], tiny[i][1]);
}

static struct icm *tiny_model(uint64_t seed)
{
	struct icm_data d;
	struct icm_params p;
	char err[256] = "";
	tiny_data(&d);
	icm_params_default(&p);
	p.bits = 14;
	p.seed = seed;
	struct icm *m = icm_train(&d, &p, NULL, err, sizeof(err));
	cr_assert_not_null(m, "%s", err);
	icm_data_release(&d);
	return m;
}

static const char *predict(const struct icm *m, const char *text, float *conf)
{
	return icm_label(m, icm_predict(m, text, conf));
}

/* A fresh temporary path (the file is created empty). */
static char *tmp_path(void)
{
	char *p = xstrdup("/tmp/icm-test-XXXXXX");
	int fd = mkstemp(p);
	cr_assert_geq(fd, 0);
	close(fd);
	return p;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = xmalloc(*len + 1);
	cr_assert_eq(fread(b, 1, *len, f), *len);
	fclose(f);
	return b;
}

static void spill(const char *path, const void *b, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b, 1, len, f), len);
	fclose(f);
}

Test(icm, normalize_folds_case_accents_width_and_keeps_han)
{
	char buf[128];
	icm_normalize("Héllo,   WORLD!! 你好", buf, sizeof(buf));
	cr_assert_str_eq(buf, "hello world 你好");
	icm_normalize("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3 don't", buf, sizeof(buf));
	cr_assert_str_eq(buf, "abc dont", "full-width ASCII and apostrophes");
	icm_normalize("  ...  ", buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
	icm_normalize("\xff\xfe broken \xe4\xbd", buf, sizeof(buf));
	cr_assert_str_eq(buf, "broken", "invalid UTF-8 is a separator");
	icm_normalize("abcdef", buf, 4);
	cr_assert_str_eq(buf, "ab", "bounded by the buffer");
}

Test(icm, tiny_model_predicts_unseen_variants)
{
	struct icm *m = tiny_model(1);
	cr_assert_eq(icm_nlabels(m), 3);
	cr_assert_str_eq(icm_label(m, 0), "greeting", "labels are sorted");
	float c;
	cr_assert_str_eq(predict(m, "Hello!!", &c), "greeting");
	cr_assert_gt(c, 0.5f);
	cr_assert_str_eq(predict(m, "where's my order ORD-123456?", NULL), "order_status");
	cr_assert_str_eq(predict(m, "can I talk to a human agent", NULL), "human_agent");
	cr_assert_str_eq(predict(m, "我的订单呢", NULL), "order_status");
	cr_assert_str_eq(predict(m, "我要人工", NULL), "human_agent");
	cr_assert_eq(icm_label_index(m, "human_agent"), 1);
	cr_assert_eq(icm_label_index(m, "nope"), -1);
	cr_assert_null(icm_label(m, 3));
	/* every input gets a label with a probability, even nothing */
	int i = icm_predict(m, "", &c);
	cr_assert(i >= 0 && i < 3);
	cr_assert(c > 0 && c <= 1);
	icm_free(m);
}

Test(icm, training_is_deterministic)
{
	struct icm *a = tiny_model(7), *b = tiny_model(7), *c = tiny_model(8);
	char *pa = tmp_path(), *pb = tmp_path(), *pc = tmp_path();
	char err[256];
	cr_assert_eq(icm_save(a, pa, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(icm_save(b, pb, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(icm_save(c, pc, err, sizeof(err)), 0, "%s", err);
	size_t la, lb, lc;
	unsigned char *ba = slurp(pa, &la), *bb = slurp(pb, &lb), *bc = slurp(pc, &lc);
	cr_assert_eq(la, lb);
	cr_assert(!memcmp(ba, bb, la), "same data and seed give the same bytes");
	cr_assert(la != lc || memcmp(ba, bc, la), "another seed shuffles differently");
	free(ba), free(bb), free(bc);
	remove(pa), remove(pb), remove(pc);
	free(pa), free(pb), free(pc);
	icm_free(a), icm_free(b), icm_free(c);
}

Test(icm, save_load_round_trip)
{
	struct icm *m = tiny_model(1);
	char *path = tmp_path();
	char err[256] = "";
	cr_assert_eq(icm_save(m, path, err, sizeof(err)), 0, "%s", err);
	struct icm *l = icm_load(path, err, sizeof(err));
	cr_assert_not_null(l, "%s", err);
	cr_assert_eq(icm_nlabels(l), icm_nlabels(m));
	static const char *const probes[] = { "hello", "where is my parcel", "agent", "订单", "apa khabar", "" };
	for (size_t i = 0; i < ARRAY_LEN(probes); i++) {
		float c1, c2;
		cr_assert_eq(icm_predict(m, probes[i], &c1), icm_predict(l, probes[i], &c2), "%s", probes[i]);
		cr_assert_float_eq(c1, c2, 0, "%s: the weights are stored exactly", probes[i]);
	}
	remove(path);
	free(path);
	icm_free(m);
	icm_free(l);
}

Test(icm, corrupt_files_are_rejected_with_a_reason)
{
	struct icm *m = tiny_model(1);
	char *path = tmp_path();
	char err[256] = "";
	cr_assert_eq(icm_save(m, path, err, sizeof(err)), 0, "%s", err);
	icm_free(m);
	size_t len;
	unsigned char *b = slurp(path, &len);

	/* one flipped bit in the weights */
	b[len / 2] ^= 0x10;
	spill(path, b, len);
	cr_assert_null(icm_load(path, err, sizeof(err)));
	cr_assert(strstr(err, "checksum"), "%s", err);
	cr_assert(strstr(err, path), "the error names the file: %s", err);
	b[len / 2] ^= 0x10;

	/* truncated */
	spill(path, b, len - 9);
	cr_assert_null(icm_load(path, err, sizeof(err)));
	cr_assert(strstr(err, "corrupt or truncated"), "%s", err);

	/* not a model at all */
	cr_assert_null(icm_load_mem("hello world, this is not a model file", 37, err, sizeof(err)));
	cr_assert(strstr(err, "not an intent model"), "%s", err);
	cr_assert_null(icm_load_mem("", 0, err, sizeof(err)));

	/* a future version, with a valid checksum: say so instead of guessing */
	b[4] = 9;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len - 4; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	b[len - 4] = (unsigned char)h, b[len - 3] = (unsigned char)(h >> 8);
	b[len - 2] = (unsigned char)(h >> 16), b[len - 1] = (unsigned char)(h >> 24);
	cr_assert_null(icm_load_mem(b, len, err, sizeof(err)));
	cr_assert(strstr(err, "retrain"), "%s", err);

	cr_assert_null(icm_load("/nonexistent/intent.model", err, sizeof(err)));
	cr_assert(strstr(err, "cannot open model \"/nonexistent/intent.model\""), "%s", err);
	free(b);
	remove(path);
	free(path);
}

Test(icm, read_tsv_skips_comments_and_names_bad_lines)
{
	char *path = tmp_path();
	const char good[] = "# comment\n\ngreeting\thello\r\norder_status\twhere is it\n";
	spill(path, good, sizeof(good) - 1);
	struct icm_data d;
	char err[256] = "";
	icm_data_init(&d);
	cr_assert_eq(icm_data_read_tsv(&d, path, err, sizeof(err)), 2, "%s", err);
	cr_assert_str_eq(d.ex[0].label, "greeting");
	cr_assert_str_eq(d.ex[0].text, "hello", "CRLF is stripped");
	cr_assert_str_eq(d.ex[1].text, "where is it");

	const char bad[] = "greeting\thello\nno tab here\n";
	spill(path, bad, sizeof(bad) - 1);
	cr_assert_eq(icm_data_read_tsv(&d, path, err, sizeof(err)), -1);
	cr_assert(strstr(err, ":2:"), "names the line: %s", err);
	const char badlabel[] = "Greeting Words\thello\n";
	spill(path, badlabel, sizeof(badlabel) - 1);
	cr_assert_eq(icm_data_read_tsv(&d, path, err, sizeof(err)), -1);
	cr_assert_eq(icm_data_read_tsv(&d, "/nonexistent.tsv", err, sizeof(err)), -1);
	cr_assert(strstr(err, "/nonexistent.tsv"), "%s", err);
	icm_data_release(&d);
	remove(path);
	free(path);
}

Test(icm, split_is_stratified_and_reproducible)
{
	struct icm_data d, tr, te, tr2, te2;
	tiny_data(&d);
	icm_data_init(&tr), icm_data_init(&te), icm_data_init(&tr2), icm_data_init(&te2);
	icm_data_split(&d, 0.25, 3, &tr, &te);
	icm_data_split(&d, 0.25, 3, &tr2, &te2);
	cr_assert_eq(te.n, 6, "2 of each label's 8");
	cr_assert_eq(tr.n, 18);
	int per[3] = { 0 };
	for (size_t i = 0; i < te.n; i++) {
		per[!strcmp(te.ex[i].label, "greeting") ? 0 : !strcmp(te.ex[i].label, "order_status") ? 1 : 2]++;
		cr_assert_str_eq(te.ex[i].text, te2.ex[i].text, "same seed, same split");
	}
	cr_assert(per[0] == 2 && per[1] == 2 && per[2] == 2);
	icm_data_release(&d), icm_data_release(&tr), icm_data_release(&te);
	icm_data_release(&tr2), icm_data_release(&te2);
}

Test(icm, training_needs_two_labels_and_sane_params)
{
	struct icm_data d;
	struct icm_params p;
	char err[256] = "";
	icm_data_init(&d);
	icm_data_add(&d, "greeting", "hello");
	icm_params_default(&p);
	cr_assert_null(icm_train(&d, &p, NULL, err, sizeof(err)));
	cr_assert(strstr(err, "two distinct labels"), "%s", err);
	icm_data_add(&d, "goodbye_thanks", "bye");
	p.bits = 30;
	cr_assert_null(icm_train(&d, &p, NULL, err, sizeof(err)));
	cr_assert(strstr(err, "bits"), "%s", err);
	icm_data_release(&d);
}

Test(icm, evaluate_counts_accuracy_and_macro_f1)
{
	struct icm *m = tiny_model(1);
	struct icm_data d;
	struct icm_eval ev;
	tiny_data(&d);
	icm_evaluate(m, &d, 0.0f, &ev);
	cr_assert_eq(ev.n, ARRAY_LEN(tiny));
	cr_assert_float_eq(ev.confident_share, 1.0, 1e-9);
	cr_assert_float_eq(ev.accuracy, 1.0, 1e-9, "fits its training data");
	cr_assert_float_eq(ev.macro_f1, 1.0, 1e-9);
	icm_data_add(&d, "complaint", "this is terrible");
	icm_evaluate(m, &d, 1.01f, &ev);
	cr_assert_float_eq(ev.confident_share, 0.0, 1e-9, "nothing is above 1");
	cr_assert_lt(ev.accuracy, 1.0, "an unknown label is an error");
	cr_assert_lt(ev.macro_f1, 1.0);
	icm_data_release(&d);
	icm_free(m);
}
