/* orchestrator: routes classified turns and records delivered replies. */
#include "orchestrator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "topics.h"
#include "util.h"

struct template {
	const char *key, *en, *ms, *zh;
};

static const struct template templates[] = {
	{ "greeting", "Hi! I'm the store's assistant. How can I help you today?",
	  "Hai! Saya pembantu kedai. Apa yang boleh saya bantu hari ini?",
	  "您好！我是商店的智能助理，请问今天有什么可以帮您？" },
	{ "handoff", "I'm connecting you with a member of our team. They will reply here shortly.",
	  "Saya sedang menghubungkan anda dengan kakitangan kami. Mereka akan membalas di sini sebentar lagi.",
	  "正在为您转接我们的客服人员，他们很快会在这里回复您。" },
	{ "memory_unavailable", "(I may not remember earlier messages in this chat right now.)",
	  "(Saya mungkin tidak ingat mesej sebelum ini buat masa sekarang.)",
	  "（我目前可能无法记住此前的对话内容。）" },
	{ "handoff_complaint", "I'm sorry to hear that. I'm connecting you with a member of our team; they will reply here shortly.",
	  "Saya mohon maaf atas perkara ini. Saya sedang menghubungkan anda dengan kakitangan kami; mereka akan membalas di sini sebentar lagi.",
	  "很抱歉给您带来不便。正在为您转接我们的客服人员，他们很快会在这里回复您。" },
	{ "goodbye_thanks", "You're welcome! Have a lovely day.", "Sama-sama! Semoga hari anda menyenangkan.",
	  "不客气！祝您有美好的一天。" },
	{ "out_of_scope",
	  "Sorry, I can't help with that. I can help with orders, products, stock, delivery, returns, promotions and our stores.",
	  "Maaf, saya tidak dapat membantu dengan perkara itu. Saya boleh membantu tentang pesanan, produk, stok, penghantaran, pemulangan, promosi dan kedai kami.",
	  "抱歉，这个问题我无法帮忙。我可以协助您处理订单、产品、库存、配送、退货、促销以及门店相关的问题。" },
	{ "clarify", "Sorry, I'm not sure I understood. What would you like to do?",
	  "Maaf, saya kurang pasti maksud anda. Apa yang anda ingin lakukan?", "抱歉，我不太确定您的意思。请问您想做什么？" },
	{ "qr_track_order", "Track an order", "Jejak pesanan", "查询订单" },
	{ "qr_check_stock", "Check stock", "Semak stok", "查询库存" },
	{ "qr_promotions", "Promotions", "Promosi", "优惠活动" },
	{ "qr_person", "Talk to a person", "Bercakap dengan kakitangan", "转人工客服" },
	{ "tool_unavailable", "I can't look that up right now; please try again in a few minutes.",
	  "Saya tidak dapat menyemaknya sekarang; sila cuba lagi dalam beberapa minit.", "我现在无法查询，请几分钟后再试。" },
	{ "order_need_id_email",
	  "Please give me your order number (like ORD-100234) and the e-mail used for the order.",
	  "Sila berikan nombor pesanan anda (contohnya ORD-100234) dan e-mel yang digunakan untuk pesanan itu.",
	  "请提供您的订单号（例如 ORD-100234）以及下单时使用的电子邮箱。" },
	{ "order_need_id", "Please give me your order number (like ORD-100234).",
	  "Sila berikan nombor pesanan anda (contohnya ORD-100234).", "请提供您的订单号（例如 ORD-100234）。" },
	{ "order_need_email", "To check order {1}, please also give me the e-mail used for the order.",
	  "Untuk menyemak pesanan {1}, sila berikan juga e-mel yang digunakan untuk pesanan itu.",
	  "要查询订单 {1}，请同时提供下单时使用的电子邮箱。" },
	{ "order_malformed", "That doesn't look like one of our order numbers. They look like ORD-100234.",
	  "Itu bukan format nombor pesanan kami. Nombor pesanan kami seperti ORD-100234.",
	  "这不是我们的订单号格式。我们的订单号类似 ORD-100234。" },
	{ "order_not_found",
	  "I couldn't find an order with those details. Please check the order number and the e-mail used for the order.",
	  "Saya tidak dapat mencari pesanan dengan butiran tersebut. Sila semak nombor pesanan dan e-mel yang digunakan.",
	  "抱歉，找不到与这些信息相符的订单。请核对订单号和下单时使用的电子邮箱。" },
	{ "order_status", "Order {1} is {2}. It was placed on {3}: {4} item(s), total {5}.",
	  "Pesanan {1} {2}. Ia dibuat pada {3}: {4} barang, jumlah {5}.",
	  "订单 {1} {2}。下单日期 {3}，共 {4} 件商品，总额 {5}。" },
	{ "order_tracking", " Carrier: {1}, tracking number {2}.", " Syarikat penghantaran: {1}, nombor penjejakan {2}.",
	  "承运商：{1}，运单号 {2}。" },
	{ "status_paid", "paid and being prepared", "telah dibayar dan sedang disediakan", "已付款，正在备货" },
	{ "status_packed", "packed and ready to ship", "telah dibungkus dan sedia untuk dihantar", "已打包，等待发货" },
	{ "status_shipped", "on its way", "sedang dalam perjalanan", "已发货，正在配送中" },
	{ "status_delivered", "delivered", "telah dihantar", "已送达" },
	{ "status_cancelled", "cancelled", "telah dibatalkan", "已取消" },
	{ "status_returned", "returned", "telah dipulangkan", "已退货" },
	{ "product_not_found",
	  "I couldn't find that product. Could you give me its SKU (like HL-SOFA-0012) or its name?",
	  "Saya tidak dapat mencari produk itu. Boleh berikan SKU (contohnya HL-SOFA-0012) atau nama produk?",
	  "抱歉，找不到该产品。请提供产品编号（例如 HL-SOFA-0012）或产品名称。" },
	{ "product_choose", "I found several products that match. Which one do you mean?",
	  "Saya menjumpai beberapa produk yang sepadan. Yang mana satu anda maksudkan?",
	  "找到了几个相符的产品，请问您指的是哪一个？" },
	{ "stock_ask", "Is {1} in stock?", "Adakah {1} ada stok?", "{1} 有货吗？" },
	{ "stock_head", "{1} ({2}), {3}:", "{1} ({2}), {3}:", "{1}（{2}），{3}：" },
	{ "stock_line", "\n- {1}: {2}", "\n- {1}: {2}", "\n- {1}：{2}" },
	{ "stock_in", "in stock", "ada stok", "有货" },
	{ "stock_low", "only {1} left", "tinggal {1} sahaja", "仅剩 {1} 件" },
	{ "stock_out", "out of stock", "kehabisan stok", "缺货" },
	{ "price_unknown", "price not available", "harga tidak tersedia", "暂无价格" },
	{ "stock_elsewhere", "\nAlso available at: {1}.", "\nJuga ada di: {1}.", "\n其他有货门店：{1}。" },
	{ "loyalty_login", "Please log in to your account so I can show your points and tier.",
	  "Sila log masuk ke akaun anda supaya saya boleh menunjukkan mata dan tahap anda.",
	  "请先登录您的账户，我才能为您查询积分和会员等级。" },
	{ "loyalty_unknown", "I couldn't find a rewards account for you.",
	  "Saya tidak dapat mencari akaun ganjaran anda.", "抱歉，找不到您的会员积分账户。" },
	{ "loyalty", "You have {1} points and you're in the {2} tier.", "Anda mempunyai {1} mata dan berada di tahap {2}.",
	  "您目前有 {1} 积分，会员等级为 {2}。" },
	{ "loyalty_next", " {1} more points to reach {2}.", " {1} mata lagi untuk mencapai tahap {2}.",
	  "再累积 {1} 积分即可升级为 {2}。" },
	{ "loyalty_top", " That's our top tier.", " Itu tahap tertinggi kami.", "这是我们的最高等级。" },
	{ "promos_head", "Promotions on now:", "Promosi yang sedang berlangsung:", "目前的优惠活动：" },
	{ "promos_line", "\n- {1}: {2}", "\n- {1}: {2}", "\n- {1}：{2}" },
	{ "promos_none", "There are no promotions running right now.", "Tiada promosi yang sedang berlangsung sekarang.",
	  "目前没有进行中的优惠活动。" },
	{ "stores_head", "Our stores today:", "Kedai kami hari ini:", "我们门店今天的营业时间：" },
	{ "store_line", "\n- {1}: open today {2}-{3}. {4}. Tel. {5}",
	  "\n- {1}: dibuka hari ini {2}-{3}. {4}. Tel. {5}", "\n- {1}：今天营业 {2}-{3}。{4}。电话 {5}" },
	{ "store_closed_line", "\n- {1}: closed today. {2}. Tel. {3}", "\n- {1}: tutup hari ini. {2}. Tel. {3}",
	  "\n- {1}：今天休息。{2}。电话 {3}" },
};

const char *orch_template(const char *key, const char *lang)
{
	for (size_t i = 0; i < ARRAY_LEN(templates); i++) {
		const struct template *t = &templates[i];
		if (strcmp(t->key, key))
			continue;
		if (lang && !strcmp(lang, "ms"))
			return t->ms;
		if (lang && !strcmp(lang, "zh"))
			return t->zh;
		return t->en;
	}
	return "";
}

static void free_history(Chat__Turn *turn)
{
	for (size_t i = 0; i < turn->n_history; i++)
		chat__history_entry__free_unpacked(turn->history[i], NULL);
	turn->n_history = 0;
}

/* A replayed turn is answered afresh: no cards, quick replies or tool
 * results left over from the first pass. */
static void free_outputs(Chat__Turn *turn)
{
	for (size_t i = 0; i < turn->n_tool_results; i++)
		chat__tool_result__free_unpacked(turn->tool_results[i], NULL);
	turn->n_tool_results = 0;
	if (turn->draft) {
		chat__draft__free_unpacked(turn->draft, NULL);
		turn->draft = NULL;
	}
}

void orch_set_draft(Chat__Turn *turn, Chat__Action action, const char *text, const char *producer)
{
	Chat__Draft *dr = turn_draft(turn);
	dr->action = action;
	turn_set_str(&dr->text, text);
	turn_set_str(&dr->producer, producer);
}

void orch_add_quick_reply(Chat__Draft *dr, const char *title, const char *payload)
{
	Chat__QuickReply *q = xmalloc(sizeof(*q));
	chat__quick_reply__init(q);
	q->title = xstrdup(title);
	q->payload = xstrdup(payload);
	dr->quick_replies = xrealloc(dr->quick_replies, (dr->n_quick_replies + 1) * sizeof(*dr->quick_replies));
	dr->quick_replies[dr->n_quick_replies++] = q;
}

static void draft_template(Chat__Turn *turn, Chat__Action action, const char *key)
{
	orch_set_draft(turn, action, orch_template(key, turn->language), "orchestrator/template");
}

/* A clarifying question with a few likely next steps; the payload is the
 * title, so tapping one sends a message the classifier knows. */
static void draft_clarify(Chat__Turn *turn)
{
	static const char *const keys[] = { "qr_track_order", "qr_check_stock", "qr_promotions", "qr_person" };
	draft_template(turn, CHAT__ACTION__ACTION_CLARIFY, "clarify");
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		const char *title = orch_template(keys[i], turn->language);
		orch_add_quick_reply(turn->draft, title, title);
	}
}

static int is(const char *intent, const char *name)
{
	return !strcmp(intent, name);
}

int orch_route(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct orch *o = ctx;
	(void)errstr;
	(void)errlen;
	/* A replayed turn gets its memory loaded afresh, never twice. */
	free_history(turn);
	free_outputs(turn);
	int memory_ok = o->io.load_history(o->io.arg, turn, o->history_max) == 0;
	const char *intent = turn->intent;
	int social = is(intent, "greeting") || is(intent, "goodbye_thanks");

	if (!social && turn->confidence < o->min_confidence) {
		/* An uncertain label is a reason to ask, not to guess. */
		turn->route = CHAT__ROUTE__ROUTE_TEMPLATE;
		draft_clarify(turn);
		turn_route(d, TOPIC_DRAFTED, RD_KAFKA_PARTITION_UA);
	} else if (is(intent, "human_agent") || is(intent, "complaint")) {
		int complaint = is(intent, "complaint");
		turn->route = CHAT__ROUTE__ROUTE_HANDOFF;
		draft_template(turn, CHAT__ACTION__ACTION_HAND_OFF, complaint ? "handoff_complaint" : "handoff");
		turn_set_str(&turn->draft->reason, complaint ? "customer complaint" : "customer asked for a person");
		turn_route(d, TOPIC_HANDOFF, RD_KAFKA_PARTITION_UA);
		turn_route(d, TOPIC_DRAFTED, RD_KAFKA_PARTITION_UA);
	} else if (social || is(intent, "out_of_scope")) {
		turn->route = CHAT__ROUTE__ROUTE_TEMPLATE;
		draft_template(turn, CHAT__ACTION__ACTION_ANSWER, intent);
		turn_route(d, TOPIC_DRAFTED, RD_KAFKA_PARTITION_UA);
	} else if (orch_is_tool_intent(intent)) {
		turn->route = CHAT__ROUTE__ROUTE_TOOL;
		orch_tool_run(o, turn);
		turn_route(d, TOPIC_DRAFTED, RD_KAFKA_PARTITION_UA);
	} else {
		turn->route = CHAT__ROUTE__ROUTE_RAG;
		turn_route(d, TOPIC_RETRIEVE, RD_KAFKA_PARTITION_UA);
	}
	if (!memory_ok && turn->draft) {
		char *text = xasprintf("%s %s", turn->draft->text, orch_template("memory_unavailable", turn->language));
		turn_set_str(&turn->draft->text, text);
		free(text);
	}
	return 0;
}

const char *orch_reply_text(const Chat__Turn *turn)
{
	return turn->draft ? turn->draft->text : "";
}

int orch_record(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen)
{
	struct orch *o = ctx;
	(void)em;
	Chat__Turn *turn = turn_decode(msg->payload, msg->len, errstr, errlen);
	if (!turn)
		return KSTAGE_EPOISON;
	const char *reply = orch_reply_text(turn);
	int rc = KSTAGE_OK;
	if (o->io.remember(o->io.arg, turn, reply, o->history_max) < 0)
		log_write(LOG_DEBUG, turn->trace_id, turn->session_id, "memory unreachable: reply not remembered");
	int prc = o->io.persist(o->io.arg, turn, reply, errstr, errlen);
	if (prc == -1) {
		snprintf(errstr, errlen, "transcript database unreachable");
		rc = KSTAGE_EBLOCKED;
	} else if (prc < 0) {
		rc = KSTAGE_ERETRY;
	}
	turn_free(turn);
	return rc;
}
