/* orchestrator: routes classified turns and records delivered replies. */
#include "orchestrator.h"

#include <jansson.h>
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
	{ "search_head", "Here is what we have:", "Ini yang kami ada:", "我们有以下商品：" },
	{ "price_ask", "How much is {1}?", "Berapa harga {1}?", "{1} 多少钱？" },
	{ "search_line", "\n- {1} ({2}): {3}", "\n- {1} ({2}): {3}", "\n- {1}（{2}）：{3}" },
	{ "search_more", "\nAsk me about any of them, or tell me more about what you need.",
	  "\nTanya saya tentang mana-mana produk ini, atau beritahu lebih lanjut apa yang anda perlukan.",
	  "\n您可以询问其中任何一件，或告诉我更多您的需求。" },
	{ "search_none",
	  "I couldn't find that in our range. We sell furniture and home products: sofas, beds and mattresses, "
	  "tables, chairs, storage, lighting, textiles, decor, kitchen and dining, kids' furniture and outdoor.",
	  "Saya tidak menjumpainya dalam rangkaian produk kami. Kami menjual perabot dan barangan rumah: sofa, "
	  "katil dan tilam, meja, kerusi, penyimpanan, lampu, tekstil, hiasan, dapur dan makan, perabot kanak-kanak "
	  "dan luar rumah.",
	  "抱歉，我们的商品中没有找到相关产品。我们销售家具和家居用品：沙发、床和床垫、桌子、椅子、收纳、灯具、"
	  "家纺、装饰、厨房餐厅用品、儿童家具和户外家具。" },
	{ "stores_head", "Our stores today:", "Kedai kami hari ini:", "我们门店今天的营业时间：" },
	{ "store_line", "\n- {1}: open today {2}-{3}. {4}. Tel. {5}",
	  "\n- {1}: dibuka hari ini {2}-{3}. {4}. Tel. {5}", "\n- {1}：今天营业 {2}-{3}。{4}。电话 {5}" },
	{ "orders_head", "Your recent orders:", "Pesanan terkini anda:", "您最近的订单：" },
	{ "orders_line", "\n{1}. {2}: {3}, {4}", "\n{1}. {2}: {3}, {4}", "\n{1}. {2}：{3}，{4}" },
	{ "orders_pick", "\nWhich one would you like to know about?", "\nPesanan yang mana satu?",
	  "\n请问您想查询哪一个订单？" },
	{ "price", "{1} ({2}) costs {3}.", "Harga {1} ({2}) ialah {3}.", "{1}（{2}）的价格是 {3}。" },
	{ "return_started", "I've started return {1} for order {2}.", "Saya telah memulakan pemulangan {1} untuk pesanan {2}.",
	  "已为订单 {2} 创建退货申请 {1}。" },
	{ "return_next_steps",
	  " Next steps: pack the item with all its parts, then bring it with your order number to the returns counter at any of our stores, or wait for our e-mail to arrange a pick-up (a fee applies for change of mind; free if the item is damaged, faulty or wrong). Your refund is made once we have inspected the item.",
	  " Langkah seterusnya: bungkus barang dengan semua bahagiannya, kemudian bawa bersama nombor pesanan ke kaunter pemulangan di mana-mana kedai kami, atau tunggu e-mel kami untuk mengatur pengambilan (caj dikenakan untuk tukar fikiran; percuma jika barang rosak, cacat atau salah). Bayaran balik dibuat selepas barang diperiksa.",
	  "下一步：请将商品及所有配件包装好，携带订单号到任意门店的退货柜台办理，或等待我们的电邮安排上门取件（非质量问题退货需支付取件费；商品损坏、有缺陷或发错货则免费）。商品检验后即为您退款。" },
	{ "return_exists", "Order {2} already has a return open: {1} ({3}).", "Pesanan {2} sudah mempunyai pemulangan: {1} ({3}).",
	  "订单 {2} 已有退货申请：{1}（{3}）。" },
	{ "return_not_shipped",
	  "Order {1} hasn't shipped yet, so there's nothing to return. If you no longer want it, you can ask to cancel it.",
	  "Pesanan {1} belum dihantar, jadi tiada apa untuk dipulangkan. Jika anda tidak mahu lagi, anda boleh minta untuk membatalkannya.",
	  "订单 {1} 尚未发货，无需退货。如果您不想要了，可以申请取消订单。" },
	{ "return_in_transit", "Order {1} is still on its way. Once it's delivered you can return it within {2} days.",
	  "Pesanan {1} masih dalam perjalanan. Selepas diterima, anda boleh memulangkannya dalam tempoh {2} hari.",
	  "订单 {1} 仍在配送中。送达后 {2} 天内可申请退货。" },
	{ "return_cancelled", "Order {1} was cancelled, so there's nothing to return.",
	  "Pesanan {1} telah dibatalkan, jadi tiada apa untuk dipulangkan.", "订单 {1} 已取消，无需退货。" },
	{ "return_done", "Order {1} has already been returned.", "Pesanan {1} telah pun dipulangkan.", "订单 {1} 已经退货。" },
	{ "return_window_passed",
	  "Order {1} was delivered more than {2} days ago, so it's past our return period. If the item is faulty, our warranty may cover it.",
	  "Pesanan {1} telah diterima lebih daripada {2} hari yang lalu, jadi tempoh pemulangan telah tamat. Jika barang itu rosak, waranti kami mungkin melindunginya.",
	  "订单 {1} 送达已超过 {2} 天，已过退货期。如商品有质量问题，可能可以享受保修服务。" },
	{ "with_agent",
	  "A member of our team is handling this conversation; I've passed your message on and they will reply here.",
	  "Kakitangan kami sedang mengendalikan perbualan ini; saya telah menyampaikan mesej anda dan mereka akan membalas di sini.",
	  "我们的客服人员正在处理此对话，您的消息已转交，他们会在这里回复您。" },
	{ "handoff_failed",
	  "I'm sorry I couldn't help with that. I'm connecting you with a member of our team; they will reply here shortly.",
	  "Maaf, saya tidak dapat membantu. Saya sedang menghubungkan anda dengan kakitangan kami; mereka akan membalas di sini sebentar lagi.",
	  "抱歉，我没能帮上忙。正在为您转接我们的客服人员，他们很快会在这里回复您。" },
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

/* Hand the turn to a person: the customer is told, the handoff service
 * opens (or adds to) the ticket. */
static void hand_off(Chat__Turn *turn, struct turn_dests *d, const char *key, const char *reason)
{
	turn->route = CHAT__ROUTE__ROUTE_HANDOFF;
	draft_template(turn, CHAT__ACTION__ACTION_HAND_OFF, key);
	turn_set_str(&turn->draft->reason, reason);
	turn_route(d, TOPIC_HANDOFF, RD_KAFKA_PARTITION_UA);
	turn_route(d, TOPIC_DRAFTED, RD_KAFKA_PARTITION_UA);
}

/* 1 when the tool could not answer: it asked for more, found nothing, or
 * could not reach its data. */
static int tool_failed(const Chat__Turn *turn)
{
	if (turn->draft && turn->draft->action == CHAT__ACTION__ACTION_CLARIFY)
		return 1;
	if (!turn->n_tool_results)
		return 0;
	const Chat__ToolResult *tr = turn->tool_results[turn->n_tool_results - 1];
	return !tr->ok || strstr(tr->json, "\"found\":false") != NULL;
}

static void copy_field(char *dst, size_t len, const char *src)
{
	util_strlcpy(dst, src ? src : "", len);
}

/* Remember what this turn was about for the next one: its intent and
 * entities, and what the tool listed or resolved. */
static void note_turn(struct orch_state *st, const Chat__Turn *turn)
{
	copy_field(st->intent, sizeof(st->intent), turn->intent);
	for (size_t i = 0; i < turn->n_entities; i++) {
		const Chat__Entity *e = turn->entities[i];
		if (!strcmp(e->type, "order_id"))
			copy_field(st->order_id, sizeof(st->order_id), e->value);
		else if (!strcmp(e->type, "sku"))
			copy_field(st->sku, sizeof(st->sku), e->value);
		else if (!strcmp(e->type, "store"))
			copy_field(st->store, sizeof(st->store), e->value);
		else if (!strcmp(e->type, "email") && (!turn->customer || !turn->customer->authenticated))
			copy_field(st->email, sizeof(st->email), e->value);
	}
	for (size_t i = 0; i < turn->n_tool_results; i++) {
		json_t *j = json_loads(turn->tool_results[i]->json, 0, NULL);
		const char *sku = json_string_value(json_object_get(j, "sku"));
		const char *order = json_string_value(json_object_get(j, "order_id"));
		json_t *list = json_object_get(j, "orders");
		const char *kind = "order";
		if (!json_is_array(list)) {
			list = json_object_get(j, "candidates");
			kind = "sku";
		}
		if (sku)
			copy_field(st->sku, sizeof(st->sku), sku);
		if (order)
			copy_field(st->order_id, sizeof(st->order_id), order);
		if (json_is_array(list) && json_array_size(list) > 0) {
			copy_field(st->items_kind, sizeof(st->items_kind), kind);
			st->n_items = 0;
			for (size_t k = 0; k < json_array_size(list) && st->n_items < ORCH_MAX_ITEMS; k++) {
				const char *v = json_string_value(json_array_get(list, k));
				if (v)
					copy_field(st->items[st->n_items++], sizeof(st->items[0]), v);
			}
		}
		json_decref(j);
	}
}

/* The customer's L1 context, when they are signed in. */
static void load_context(const struct orch *o, Chat__Turn *turn)
{
	if (turn->context) {
		chat__customer_context__free_unpacked(turn->context, NULL);
		turn->context = NULL;
	}
	if (!o->sess.load_context || !turn->customer || !turn->customer->authenticated || !*turn->customer->id)
		return;
	Chat__CustomerContext *ctx = xmalloc(sizeof(*ctx));
	chat__customer_context__init(ctx);
	if (o->sess.load_context(o->sess.arg, turn_tenant(turn->tenant_id), turn->customer->id, ctx) == 1) {
		turn->context = ctx;
		if (!*turn->customer->loyalty_tier)
			turn_set_str(&turn->customer->loyalty_tier, ctx->loyalty_tier);
	} else {
		chat__customer_context__free_unpacked(ctx, NULL);
	}
}

int orch_route(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct orch *o = ctx;
	(void)errstr;
	(void)errlen;
	/* A replayed turn gets its memory loaded afresh, never twice. */
	free_history(turn);
	free_outputs(turn);
	struct orch_state st;
	char owner[64] = "";
	memset(&st, 0, sizeof(st));
	int memory_ok, state_ok;
	if (o->sess.load_session) {
		memory_ok = state_ok =
		    o->sess.load_session(o->sess.arg, turn, o->history_max, &st, owner, sizeof(owner)) == 0;
	} else {
		memory_ok = o->io.load_history(o->io.arg, turn, o->history_max) == 0;
		state_ok = o->sess.load_state && o->sess.load_state(o->sess.arg, turn, &st, owner, sizeof(owner)) == 0;
	}
	load_context(o, turn);

	if (*owner) {
		/* A person has the conversation: the message goes to the ticket,
		 * and the customer hears about it once per ticket. */
		turn->route = CHAT__ROUTE__ROUTE_HANDOFF;
		draft_template(turn, CHAT__ACTION__ACTION_HAND_OFF, "with_agent");
		turn_set_str(&turn->draft->reason, "message for the agent");
		turn_route(d, TOPIC_HANDOFF, RD_KAFKA_PARTITION_UA);
		if (strcmp(st.told, owner)) {
			turn_route(d, TOPIC_DRAFTED, RD_KAFKA_PARTITION_UA);
			copy_field(st.told, sizeof(st.told), owner);
		}
		if (state_ok && o->sess.save_state)
			o->sess.save_state(o->sess.arg, turn, &st);
		return 0;
	}
	if (state_ok)
		orch_resolve(turn, &st, o->min_confidence);

	/* A SKU and "how much" leave no doubt, whatever the classifier says. */
	if (turn->confidence < o->min_confidence && orch_asks_price(turn->text))
		for (size_t i = 0; i < turn->n_entities; i++)
			if (!strcmp(turn->entities[i]->type, "sku")) {
				turn_set_str(&turn->intent, "product_question");
				turn->confidence = (float)o->min_confidence;
				break;
			}
	/* "How much is the Perhentian sofa?" is answered from the catalogue
	 * when it names a product there, however unsure the classifier was;
	 * when it names none, the knowledge base answers under the
	 * classifier's own label. */
	char probe_intent[64] = "";
	float probe_conf = turn->confidence;
	if (turn->confidence < o->min_confidence && !is(turn->intent, "out_of_scope") &&
	    orch_asks_product_price(turn->text)) {
		copy_field(probe_intent, sizeof(probe_intent), turn->intent);
		turn_set_str(&turn->intent, "product_question");
		turn->confidence = (float)o->min_confidence;
	}
	/* "Do you have any 3 seater sofas?" (product_search at 0.47): a
	 * message that looks for products and finds some in the catalogue
	 * lists them; otherwise it stays unsure and goes to the knowledge base
	 * ("my office chair gas lift broke" names a product but looks for
	 * none). */
	if (turn->confidence < o->min_confidence && is(turn->intent, "product_search") &&
	    orch_asks_for_products(turn->text) && !strcmp(orch_tool_for(turn), "product_search") &&
	    orch_catalogue_has(o, turn))
		turn->confidence = (float)o->min_confidence;
	const char *intent = turn->intent;
	int social = is(intent, "greeting") || is(intent, "goodbye_thanks");
	int max_failures = o->max_failures > 0 ? o->max_failures : ORCH_MAX_FAILURES_DEFAULT;
	int low = !social && turn->confidence < o->min_confidence;
	/* A message the classifier was unsure of, but not of it being off
	 * topic, or unsure that it is while the message talks of the shop's
	 * things ("you sent me the wrong item"): the retailer's knowledge
	 * decides (the answer provider asks back when no passage covers it)
	 * rather than the customer being asked to say it again. Unsure labels
	 * never run a tool or hand off. */
	int off_topic = is(intent, "out_of_scope");
	int unsure_rag = low && !off_topic;
	/* Off topic is a refusal: with the shop's words in the message it
	 * needs more than the usual confidence ("delivry time to east
	 * malaysia" was out_of_scope at 0.52). */
	if (off_topic && (low || turn->confidence < ORCH_OFF_TOPIC_SURE) && orch_shop_words(turn->text))
		unsure_rag = 1;
	/* A question the classifier only just took for a complaint is asked
	 * of the knowledge base; the customer can still ask for a person. */
	if (!low && is(intent, "complaint") && turn->confidence < ORCH_COMPLAINT_SURE && orch_is_question(turn->text))
		unsure_rag = 1;
	if (unsure_rag)
		low = 0;
	int failed = 0;

	if (low && st.low_conf >= 1) {
		/* Twice in a row we could not tell what the customer wants. */
		hand_off(turn, d, "handoff_failed", "low confidence twice");
	} else if (low) {
		/* An uncertain label is a reason to ask, not to guess. */
		turn->route = CHAT__ROUTE__ROUTE_TEMPLATE;
		draft_clarify(turn);
		turn_route(d, TOPIC_DRAFTED, RD_KAFKA_PARTITION_UA);
	} else if (unsure_rag) {
		turn->route = CHAT__ROUTE__ROUTE_RAG;
		turn_route(d, TOPIC_RETRIEVE, RD_KAFKA_PARTITION_UA);
	} else if (is(intent, "human_agent") || is(intent, "complaint")) {
		int complaint = is(intent, "complaint");
		hand_off(turn, d, complaint ? "handoff_complaint" : "handoff",
			 complaint ? "customer complaint" : "customer asked for a person");
	} else if (social || is(intent, "out_of_scope")) {
		turn->route = CHAT__ROUTE__ROUTE_TEMPLATE;
		draft_template(turn, CHAT__ACTION__ACTION_ANSWER, intent);
		turn_route(d, TOPIC_DRAFTED, RD_KAFKA_PARTITION_UA);
	} else if (*orch_tool_for(turn) && orch_tool_run(o, turn) == 0) {
		turn->route = CHAT__ROUTE__ROUTE_TOOL;
		failed = tool_failed(turn);
		if (failed && st.fails + 1 >= max_failures) {
			/* Repeated failure: a person takes over instead. */
			hand_off(turn, d, "handoff_failed", "repeated failure");
		} else {
			turn_route(d, TOPIC_DRAFTED, RD_KAFKA_PARTITION_UA);
		}
	} else {
		if (*probe_intent) {
			turn_set_str(&turn->intent, probe_intent);
			turn->confidence = probe_conf;
		}
		turn->route = CHAT__ROUTE__ROUTE_RAG;
		turn_route(d, TOPIC_RETRIEVE, RD_KAFKA_PARTITION_UA);
	}

	if (state_ok && o->sess.save_state) {
		if (turn->route == CHAT__ROUTE__ROUTE_HANDOFF) {
			st.fails = st.low_conf = 0;
		} else {
			st.low_conf = low ? st.low_conf + 1 : 0;
			st.fails = failed ? st.fails + 1 : (low ? st.fails : 0);
			if (!low)
				note_turn(&st, turn);
		}
		o->sess.save_state(o->sess.arg, turn, &st);
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
	if (turn->draft && !strcmp(turn->draft->producer, "agent")) {
		/* An agent's reply: the handoff service wrote its transcript. */
		turn_free(turn);
		return KSTAGE_OK;
	}
	if (o->io.remember(o->io.arg, turn, reply, o->history_max) < 0)
		log_write(LOG_DEBUG, turn->trace_id, turn->session_id, "memory unreachable: reply not remembered");
	int prc = o->io.persist(o->io.arg, turn, reply, errstr, errlen);
	if (prc == -1) {
		snprintf(errstr, errlen, "transcript database unreachable");
		rc = KSTAGE_EBLOCKED;
	} else if (prc < 0) {
		rc = KSTAGE_ERETRY;
	}
	/* What the assistant could not answer is a gap in its knowledge; a
	 * tool asking for an order number is not. */
	int gap = turn->draft && (turn->draft->action == CHAT__ACTION__ACTION_CLARIFY ||
				  turn->draft->action == CHAT__ACTION__ACTION_DECLINE) &&
		  strcmp(turn->draft->producer, "orchestrator/tool");
	if (rc == KSTAGE_OK && gap && o->sess.log_gap && o->sess.log_gap(o->sess.arg, turn) == -1) {
		snprintf(errstr, errlen, "knowledge-gap database unreachable");
		rc = KSTAGE_EBLOCKED;
	}
	turn_free(turn);
	return rc;
}
