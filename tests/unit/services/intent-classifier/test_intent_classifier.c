/* intent-classifier: language and intent rules, and the stage function. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../testutil.h"
#include "services/intent-classifier/intent-classifier.h"

TestSuite(ic, .fini = tu_leak_check);

Test(ic, language_english)
{
	cr_assert_str_eq(ic_language("where is my order?"), "en");
	cr_assert_str_eq(ic_language("Can I return a jacket in Canada"), "en", "'ada' inside a word is not Malay");
	cr_assert_str_eq(ic_language(""), "en");
}

Test(ic, language_malay)
{
	cr_assert_str_eq(ic_language("boleh saya tahu status pesanan saya"), "ms");
	cr_assert_str_eq(ic_language("Terima kasih!"), "ms", "case and punctuation do not matter");
	cr_assert_str_eq(ic_language("hi, boleh check order I?"), "ms", "mixed Malay and English");
}

Test(ic, language_chinese)
{
	cr_assert_str_eq(ic_language("我的订单在哪里"), "zh");
	cr_assert_str_eq(ic_language("order 12345 我的订单 please"), "zh", "Han characters in English");
	cr_assert_str_eq(ic_language("saya nak tanya 价格"), "zh", "Han characters win over Malay words");
}

Test(ic, language_other_scripts_are_not_chinese)
{
	cr_assert_str_eq(ic_language("caf\xc3\xa9 cr\xc3\xa8me"), "en", "Latin-1 accents");
	cr_assert_str_eq(ic_language("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"), "en", "Hangul is not Han");
}

static void assert_intent(const char *text, const char *want, float conf)
{
	const char *intent = NULL;
	float c = -1;
	ic_intent(text, &intent, &c);
	cr_assert_str_eq(intent, want, "\"%s\"", text);
	cr_assert_float_eq(c, conf, 1e-6, "\"%s\": confidence %f", text, (double)c);
}

Test(ic, intent_greeting)
{
	assert_intent("Hello!", "greeting", 0.8f);
	assert_intent("hi there", "greeting", 0.8f);
	assert_intent("Selamat pagi", "greeting", 0.8f);
	assert_intent("你好", "greeting", 0.8f);
}

Test(ic, intent_human_agent)
{
	assert_intent("Can I talk to a human?", "human_agent", 0.9f);
	assert_intent("AGENT please", "human_agent", 0.9f);
	assert_intent("hi, I want a real person", "human_agent", 0.9f);
	assert_intent("我要人工客服", "human_agent", 0.9f);
}

Test(ic, intent_unknown_has_zero_confidence)
{
	assert_intent("where is my order 123?", "unknown", 0.0f);
	assert_intent("this is thin", "unknown", 0.0f);
	assert_intent("my agency", "unknown", 0.0f);
	assert_intent("", "unknown", 0.0f);
}

Test(ic, process_fills_turn_and_routes)
{
	struct ic ic = { "chat.classified.v1" };
	Chat__Turn *t = tu_turn("s1", "t1", "Selamat pagi, boleh saya tanya?");
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(ic_process(&ic, t, &d, err, sizeof(err)), 0);
	cr_assert_str_eq(t->intent, "greeting");
	cr_assert_float_eq(t->confidence, 0.8f, 1e-6);
	cr_assert_str_eq(t->language, "ms");
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], "chat.classified.v1");
	cr_assert_eq(d.partition[0], RD_KAFKA_PARTITION_UA);

	/* A replay overwrites, never appends. */
	turn_set_str(&t->text, "where is my order");
	d.n = 0;
	cr_assert_eq(ic_process(&ic, t, &d, err, sizeof(err)), 0);
	cr_assert_str_eq(t->intent, "unknown");
	cr_assert_float_eq(t->confidence, 0.0f, 1e-6);
	cr_assert_str_eq(t->language, "en");
	turn_free(t);
}

Test(ic, process_through_stage_adapter)
{
	struct ic ic = { "out.v1" };
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
