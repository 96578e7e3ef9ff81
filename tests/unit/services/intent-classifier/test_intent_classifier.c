/* intent-classifier: language, the stage function, --classify, and the
 * shipped training data on the phrases the pipeline relies on. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../testutil.h"
#include "services/intent-classifier/intent-classifier.h"

TestSuite(ic, .fini = tu_leak_check);

Test(ic, language_english)
{
	cr_assert_str_eq(ic_language("where is my order?"), "en");
	cr_assert_str_eq(ic_language("Can I return a jacket in Canada"), "en", "'ada' inside a word is not Malay");
	cr_assert_str_eq(ic_language("ok lah, I want to return the chair because it is broken"), "en",
			 "one Malay particle in an English sentence");
	cr_assert_str_eq(ic_language(""), "en");
}

Test(ic, language_malay)
{
	cr_assert_str_eq(ic_language("boleh saya tahu status pesanan saya"), "ms");
	cr_assert_str_eq(ic_language("Terima kasih!"), "ms", "case and punctuation do not matter");
	cr_assert_str_eq(ic_language("hi, boleh check order I?"), "ms", "mixed Malay and English");
	cr_assert_str_eq(ic_language("bila sampai brg sy"), "ms", "chat spelling");
	cr_assert_str_eq(ic_language("saya nak tanya 价格"), "ms", "a Chinese word in a Malay sentence");
}

Test(ic, language_chinese)
{
	cr_assert_str_eq(ic_language("我的订单在哪里"), "zh");
	cr_assert_str_eq(ic_language("order 12345 我的订单 please"), "zh", "Han characters dominate");
	cr_assert_str_eq(ic_language("我的order到哪里了"), "zh", "an English word in Chinese");
}

Test(ic, language_other_scripts_are_not_chinese)
{
	cr_assert_str_eq(ic_language("caf\xc3\xa9 cr\xc3\xa8me"), "en", "Latin-1 accents");
	cr_assert_str_eq(ic_language("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"), "en", "Hangul is not Han");
	cr_assert_str_eq(ic_language("\xe4\xbd"), "en", "a truncated character");
}

/* One model from the shipped data for the whole suite: trained once. */
static struct icm *shipped;

static void train_shipped(void)
{
	struct icm_data d;
	struct icm_params p;
	char err[256] = "";
	icm_data_init(&d);
	cr_assert_gt(icm_data_read_tsv(&d, "services/intent-classifier/data/intents.tsv", err, sizeof(err)), 0,
		     "%s", err);
	icm_params_default(&p);
	shipped = icm_train(&d, &p, NULL, err, sizeof(err));
	cr_assert_not_null(shipped, "%s", err);
	icm_data_release(&d);
}

static void free_shipped(void)
{
	icm_free(shipped);
	shipped = NULL;
	tu_leak_check();
}

static void assert_intent(const char *text, const char *want)
{
	const char *intent = NULL;
	float c = -1;
	ic_intent(shipped, text, &intent, &c);
	cr_assert_str_eq(intent, want, "\"%s\" (%.2f)", text, (double)c);
	cr_assert(c > 0 && c <= 1);
}

TestSuite(ic_data, .init = train_shipped, .fini = free_shipped);

Test(ic_data, phrases_the_pipeline_relies_on)
{
	/* tests/integration expect these */
	assert_intent("hello", "greeting");
	assert_intent("hello again", "greeting");
	assert_intent("selamat pagi, boleh tolong saya?", "greeting");
	assert_intent("I want to speak to a human agent please", "human_agent");
	assert_intent("get me a human", "human_agent");
	assert_intent("I want to talk to a human agent", "human_agent");
}

Test(ic_data, every_language_and_mixes)
{
	assert_intent("我的order到哪里了", "order_status");
	assert_intent("boleh check order saya tak?", "order_status");
	assert_intent("我要人工客服", "human_agent");
	assert_intent("terima kasih banyak-banyak!", "goodbye_thanks");
	assert_intent("I want to cancel my order", "order_cancel");
}

Test(ic_data, process_fills_turn_and_routes)
{
	struct ent_stores stores = { { "Mid Valley" }, 1 };
	struct ic ic = { "chat.classified.v1", shipped, &stores, 0.5f };
	Chat__Turn *t = tu_turn("s1", "t1", "Selamat pagi, boleh saya tanya?");
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(ic_process(&ic, t, &d, err, sizeof(err)), 0);
	cr_assert_str_eq(t->intent, "greeting");
	cr_assert_gt(t->confidence, 0.5f);
	cr_assert_str_eq(t->language, "ms");
	cr_assert_eq(t->n_entities, 0);
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], "chat.classified.v1");
	cr_assert_eq(d.partition[0], RD_KAFKA_PARTITION_UA);

	/* entities with byte offsets */
	turn_set_str(&t->text, "is HL-SOFA-0012 in stock at Mid Valley?");
	d.n = 0;
	cr_assert_eq(ic_process(&ic, t, &d, err, sizeof(err)), 0);
	cr_assert_str_eq(t->intent, "stock_check");
	cr_assert_eq(t->n_entities, 2);
	cr_assert_str_eq(t->entities[0]->type, "sku");
	cr_assert_str_eq(t->entities[0]->value, "HL-SOFA-0012");
	cr_assert_eq(t->entities[0]->start, 3);
	cr_assert_eq(t->entities[0]->end, 15);
	cr_assert_str_eq(t->entities[1]->type, "store");

	/* a replay overwrites, never appends */
	turn_set_str(&t->text, "where is my order ORD-123456");
	d.n = 0;
	cr_assert_eq(ic_process(&ic, t, &d, err, sizeof(err)), 0);
	cr_assert_str_eq(t->intent, "order_status");
	cr_assert_str_eq(t->language, "en");
	cr_assert_eq(t->n_entities, 1);
	cr_assert_str_eq(t->entities[0]->value, "ORD-123456");
	turn_free(t);
}

Test(ic_data, process_through_stage_adapter)
{
	struct ic ic = { "out.v1", shipped, NULL, 0.5f };
	struct turn_stage ts = { "intent-classifier", ic_process, &ic };
	Chat__Turn *t = tu_turn("s1", "t1", "我要人工");
	void *buf;
	struct kstage_msg m = tu_turn_msg("chat.inbound.v1", t, &buf);
	struct kstage_emit em = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(turn_stage_handle(&ts, &m, &em, err, sizeof(err)), KSTAGE_OK, "%s", err);
	cr_assert_eq(em.n, 1);
	Chat__Turn *o = tu_out_turn(&em, 0);
	cr_assert_str_eq(o->intent, "human_agent");
	cr_assert_str_eq(o->language, "zh");
	turn_free(o);
	kstage_emit_reset(&em);
	free(buf);
	turn_free(t);
}

Test(ic_data, classify_stream_prints_one_line_per_message)
{
	const char in_text[] = "hello\r\n我要取消订单\n\nnak tanya pasal point member";
	FILE *in = fmemopen((void *)in_text, sizeof(in_text) - 1, "r");
	char *out_buf = NULL;
	size_t out_len = 0;
	FILE *out = open_memstream(&out_buf, &out_len);
	cr_assert_eq(ic_classify_stream(shipped, in, out), 4);
	fclose(in);
	fclose(out);
	char intent[4][48], lang[4][8];
	double conf[4];
	const char *p = out_buf;
	for (int i = 0; i < 4; i++) {
		int used = 0;
		cr_assert_eq(sscanf(p, "%47[a-z_]\t%lf\t%7[a-z]\n%n", intent[i], &conf[i], lang[i], &used), 3,
			     "line %d of:\n%s", i + 1, out_buf);
		cr_assert(conf[i] > 0 && conf[i] <= 1);
		p += used;
	}
	cr_assert_eq(*p, '\0');
	cr_assert_str_eq(intent[0], "greeting");
	cr_assert_str_eq(lang[0], "en");
	cr_assert_str_eq(intent[1], "order_cancel");
	cr_assert_str_eq(lang[1], "zh");
	cr_assert_str_eq(lang[2], "en", "an empty line is still answered");
	cr_assert_str_eq(intent[3], "loyalty_points");
	cr_assert_str_eq(lang[3], "ms");
	free(out_buf);
}
