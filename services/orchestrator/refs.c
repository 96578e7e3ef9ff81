/* refs: follow-ups resolved from the session's state: ordinals over the
 * items the last reply listed, a new store for the last question, and
 * "it" for the last product. Word lists cover en, ms and zh. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "orchestrator.h"
#include "util.h"

static int has_any(const char *text, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (util_has_word(text, words[i]))
			return 1;
	return 0;
}

/* The 0-based position an ordinal in text names, ORCH_MAX_ITEMS for "the
 * last one", or -1 when there is none. */
static int ordinal(const char *text)
{
	static const struct {
		const char *word;
		int pos;
	} words[] = {
		{ "first", 0 },	  { "1st", 0 },	  { "pertama", 0 }, { "第一", 0 },   { "second", 1 },	{ "2nd", 1 },
		{ "kedua", 1 },	  { "第二", 1 },  { "third", 2 },   { "3rd", 2 },    { "ketiga", 2 },	{ "第三", 2 },
		{ "fourth", 3 },  { "4th", 3 },	  { "keempat", 3 }, { "第四", 3 },   { "fifth", 4 },	{ "5th", 4 },
		{ "kelima", 4 },  { "第五", 4 },  { "last", ORCH_MAX_ITEMS },	     { "terakhir", ORCH_MAX_ITEMS },
		{ "最后", ORCH_MAX_ITEMS },
	};
	for (size_t i = 0; i < ARRAY_LEN(words); i++)
		if (util_has_word(text, words[i].word))
			return words[i].pos;
	/* "number 2", "no. 2", "#2" */
	static const char *const marks[] = { "number ", "no. ", "no ", "#", "nombor " };
	for (size_t i = 0; i < ARRAY_LEN(marks); i++) {
		const char *p = strcasestr(text, marks[i]);
		if (p) {
			p += strlen(marks[i]);
			if (*p >= '1' && *p <= '5' && !isdigit((unsigned char)p[1]))
				return *p - '1';
		}
	}
	return -1;
}

int orch_asks_price(const char *text)
{
	static const char *const words[] = { "how much", "price", "prices", "cost", "costs", "harga", "berapa",
					     "多少钱", "价格", "价钱", "几钱" };
	return has_any(text, words, ARRAY_LEN(words));
}

/* 1 when a word of text starts with stem (ASCII, any case). */
static int has_stem(const char *text, const char *stem)
{
	for (const char *p = text; (p = strcasestr(p, stem)) != NULL; p++)
		if (p == text || !isalnum((unsigned char)p[-1]))
			return 1;
	return 0;
}

static int has_any_stem(const char *text, const char *const *stems, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (has_stem(text, stems[i]))
			return 1;
	return 0;
}

int orch_asks_service(const char *text)
{
	/* Stems: "deliver" also finds "delivery", "assembl" "assembled". */
	static const char *const stems[] = {
		"deliver", "ship", "postage", "courier", "assembl", "install", "mounting", "to mount", "hanging",
		"to hang", "fixing", "to fix", "haul", "dispos", "pick up", "pickup", "remov", "take away", "repair",
		"servic", "technician",
		"your team", "warrant", "return", "refund", "exchange", "fee", "charge", "membership", "gift wrap",
		"hantar", "penghantaran", "pasang", "pemasangan", "caj", "yuran", "pulang", "tukar", "baiki",
	};
	static const char *const han[] = { "运费", "送货", "配送", "安装", "保修", "退货", "退款", "费用", "维修" };
	return has_any_stem(text, stems, ARRAY_LEN(stems)) || has_any(text, han, ARRAY_LEN(han));
}

int orch_asks_product_price(const char *text)
{
	/* orch_asks_price less "berapa" alone, which also asks how many days
	 * or how long ("berapa hari", "berapa lama"). */
	static const char *const words[] = { "how much", "price", "prices", "priced", "cost", "costs", "harga",
					     "多少钱", "价格", "价钱", "几钱" };
	return has_any(text, words, ARRAY_LEN(words)) && !orch_asks_service(text);
}

static int word_count(const char *text)
{
	int n = 0, in = 0;
	for (const char *p = text; *p; p++) {
		if (isspace((unsigned char)*p)) {
			in = 0;
		} else if (!in) {
			in = 1;
			n++;
		}
	}
	return n;
}

/* 1 when text is a question of three words or more: a question mark or
 * a question word first ("can", "do", "boleh", "adakah") or a Chinese
 * question particle. */
int orch_is_question(const char *text)
{
	static const char *const first[] = { "can",	"could", "do",	 "does",  "did",   "will",  "would", "is",
					     "are",	"was",	 "should", "if",  "what",  "when",  "why",	 "how",
					     "where", "which", "who",	 "may",	  "boleh", "adakah", "bila",  "kenapa",
					     "mengapa", "macam", "bagaimana", "apa", "camne" };
	static const char *const han[] = { "吗", "呢", "能不能", "可不可以", "可以", "怎么", "为什么", "是否", "？" };
	if (has_any(text, han, ARRAY_LEN(han)))
		return 1;
	if (word_count(text) < 3)
		return 0;
	if (strchr(text, '?'))
		return 1;
	/* "for the price drop thing, can I take it as points": a modal and a
	 * person anywhere */
	static const char *const asks[] = { "can i", "could i", "do i", "will i", "would i", "should i", "may i",
					    "can we", "do we", "can you", "could you", "will you", "do you", "is it",
					    "are they", "does it", "will they", "can they", "do they", "is there",
					    "are there" };
	if (has_any(text, asks, ARRAY_LEN(asks)))
		return 1;
	const char *p = text;
	while (*p && !isalnum((unsigned char)*p))
		p++;
	for (size_t i = 0; i < ARRAY_LEN(first); i++) {
		size_t n = strlen(first[i]);
		if (!strncasecmp(p, first[i], n) && !isalnum((unsigned char)p[n]))
			return 1;
	}
	return 0;
}

int orch_asks_programme(const char *text)
{
	/* The customer's own balance or tier: the tool's. */
	static const char *const own[] = { "balance", "how many points do i have", "how many points i have",
					   "how many points have i", "how many points i got", "what tier am i",
					   "which tier am i", "check my", "baki", "ada berapa", "berapa mata saya",
					   "berapa point saya", "semak", "余额", "我有多少", "查询积分", "查积分" };
	/* How the programme works: earning, spending, expiry, joining, tiers,
	 * moving or losing points. */
	static const char *const stems[] = {
		"earn", "expir", "redeem", "redemption", "per ", "every", "worth", "how do", "how to", "how can",
		"use ", "using", "join", "sign up", "register", "membership", "free", "benefit", "perk", "upgrade",
		"double", "credited", "valid", "transfer", "convert", "combine", "gift", "carry", "need", "get for",
		"when", "why", "missing", "return", "refund", "cancel", "run out", "pay", "spend", "move", "share",
		"lose", "lost", "still get", "claim", "family", "dapat", "luput", "tebus", "guna", "setiap",
		"daftar", "macam mana", "camne", "cara", "naik", "sah ", "faedah", "kelebihan", "tamat", "perlu",
		"bila", "kenapa", "pulang", "bayar", "belanja", "pindah", "kongsi", "hilang",
	};
	static const char *const han[] = { "怎么", "如何", "过期", "有效", "兑换", "换", "赚", "每", "用", "升级",
					   "注册", "加入", "福利", "好处", "到期", "需要", "消费", "付", "抵", "转",
					   "什么时候", "为什么", "退货", "家人", "共享" };
	/* The customer's own points, said without a question of the rules. */
	static const char *const mine[] = { "my points", "my point", "my tier", "my status", "my rewards",
					    "my membership", "mata saya", "point saya", "mata ganjaran saya", "我的积分",
					    "我的会员", "我的等级" };
	if (has_any(text, own, ARRAY_LEN(own)))
		return 0;
	if (has_any_stem(text, stems, ARRAY_LEN(stems)) || has_any(text, han, ARRAY_LEN(han)))
		return 1;
	if (has_any(text, mine, ARRAY_LEN(mine)))
		return 0;
	/* Any other question ("can I still get the points for last week's
	 * purchase?") is about the rules; "points" alone asks for a balance. */
	return orch_is_question(text);
}

int orch_asks_for_products(const char *text)
{
	static const char *const asks[] = { "do you have", "do you sell", "do you carry", "do you stock", "looking for",
					    "show me", "any", "got any", "i need a", "i want a", "ada jual", "ada tak",
					    "ada ke", "nak cari", "cari", "jual", "有没有", "有卖", "想找", "想买" };
	return has_any(text, asks, ARRAY_LEN(asks)) && !orch_asks_service(text);
}

int orch_shop_words(const char *text)
{
	/* Word starts, so "deliv" also finds "delivery" and "delivry". Words
	 * common outside a shop ("light", "point", "account") are left out. */
	static const char *const stems[] = {
		"item", "order", "parcel", "package", "deliv", "shipp", "courier", "tracking", "return", "refund",
		"exchange", "replace", "warrant", "guarantee", "store", "shop", "outlet", "branch", "showroom",
		"price", "cheaper", "discount", "sale", "promo", "voucher", "coupon", "points", "member", "reward",
		"assembl", "install", "technician", "repair", "furniture", "sofa", "couch", "bed", "mattress",
		"pillow", "table", "chair", "wardrobe", "cabinet", "drawer", "desk", "shel", "bookshel", "lamp",
		"kitchen", "cookware", "pan", "wok", "cushion", "curtain", "rug", "quilt", "bedsheet", "towel",
		"fabric", "stock", "payment", "instalment", "installment", "receipt", "invoice", "my account",
		"my data", "personal data", "my info", "privacy", "checkout", "basket", "cancel", "fee",
		"barang", "pesanan", "hantar", "penghantaran", "pulang", "bayaran balik", "jaminan", "waranti",
		"kedai", "cawangan", "harga", "murah", "diskaun", "jualan", "promosi", "baucar", "ahli", "pasang",
		"perabot", "katil", "tilam", "meja", "kerusi", "almari", "stok", "bayar", "resit", "invois",
		"batal", "caj",
	};
	static const char *const han[] = { "订单", "商品", "货", "送", "快递", "退", "换", "保修", "门市", "门店",
					   "分店", "价格", "便宜", "折扣", "优惠", "积分", "会员", "安装", "家具", "沙发",
					   "床", "桌", "椅", "衣柜", "库存", "付款", "发票", "取消", "运费" };
	return has_any_stem(text, stems, ARRAY_LEN(stems)) || has_any(text, han, ARRAY_LEN(han));
}

int orch_asks_store_rules(const char *text)
{
	/* Beyond a store's hours, address and phone (the tool's): holidays,
	 * getting there, facilities and services. */
	static const char *const stems[] = {
		"holiday", "raya", "deepavali", "christmas", "new year", "cny", "train", "mrt", "lrt", "monorail",
		"transport", "get there", "get to", "parking", "car park", "park my", "play", "kid", "children",
		"facilit", "wifi", "toilet", "restroom", "prayer", "surau", "wheelchair", "accessib", "design",
		"consult", "swatch", "sample", "cafe", "food", "restaurant", "service", "counter", "warehouse",
		"cuti", "tren", "letak kereta", "parkir", "kemudahan", "kanak", "pick up", "pickup", "collect",
		"click", "ambil",
	};
	/* Short ones as whole words ("bus" is no "business", "pet" no "Petaling"). */
	static const char *const words[] = { "bus", "pet", "pets", "dog", "dogs", "lift", "lifts" };
	static const char *const han[] = { "假期", "假日", "节日", "停车", "地铁", "轻快铁", "巴士", "交通",
					   "设施", "儿童", "游乐", "宠物", "设计", "服务", "仓库", "自取", "取货", "提货",
					   "店取" };
	return has_any_stem(text, stems, ARRAY_LEN(stems)) || has_any(text, words, ARRAY_LEN(words)) ||
	       has_any(text, han, ARRAY_LEN(han));
}

int orch_asks_promo_rules(const char *text)
{
	/* Beyond the list of promotions running now (the tool's): coming and
	 * ended ones, named events, codes and how a promotion applies. */
	static const char *const stems[] = {
		"coming", "upcoming", "next", "soon", "later", "ended", "expired", "finished", "previous", "last ",
		"black friday", "cny", "chinese new year", "ang pow", "raya", "deepavali", "christmas", "merdeka",
		"12.12", "11.11", "year-end", "year end", "deliver", "shipping", "combine", "stack", "together",
		"two code", "two promo", "both", "apply", "exclude", "price drop", "point", "member", "gold",
		"platinum", "silver", "bronze", "early access", "code", "voucher", "first time", "first order",
		"new customer", "birthday", "how do", "how to", "how can", "terms", "condition", "valid", "until",
		"akan datang", "seterusnya", "tamat", "kod", "baucar", "ahli", "penghantaran", "gabung",
	};
	static const char *const han[] = { "即将", "下个", "下次", "结束", "过期", "优惠码", "代码", "会员",
					   "运费", "叠加", "同时", "春节", "新年", "黑色星期五", "双十二", "生日" };
	return has_any_stem(text, stems, ARRAY_LEN(stems)) || has_any(text, han, ARRAY_LEN(han));
}

int orch_asks_meaning(const char *text)
{
	static const char *const words[] = { "meaning", "what happens", "maksud", "bermaksud", "意思", "含义" };
	static const char *const mean[] = { "mean", "means" }, *const asks[] = { "what", "does", "do" };
	/* "what does packed mean", not "I mean, where is it" */
	return has_any(text, words, ARRAY_LEN(words)) ||
	       (has_any(text, mean, ARRAY_LEN(mean)) && has_any(text, asks, ARRAY_LEN(asks)));
}

/* Words that point back at something already said. */
static int refers_back(const char *text)
{
	static const char *const words[] = { "it", "its", "this", "that", "this one", "that one", "one", "them",
					     "itu", "ini", "tu", "dia", "它", "这个", "那个", "这款", "那款" };
	return has_any(text, words, ARRAY_LEN(words));
}

static const char *entity_of(const Chat__Turn *turn, const char *type)
{
	for (size_t i = 0; i < turn->n_entities; i++)
		if (!strcmp(turn->entities[i]->type, type))
			return turn->entities[i]->value;
	return NULL;
}

/* Append an entity that came from memory (no position in the text). */
static void add_entity(Chat__Turn *turn, const char *type, const char *value)
{
	Chat__Entity *e = xmalloc(sizeof(*e));
	chat__entity__init(e);
	e->type = xstrdup(type);
	e->value = xstrdup(value);
	e->start = -1;
	e->end = -1;
	turn->entities = xrealloc(turn->entities, (turn->n_entities + 1) * sizeof(*turn->entities));
	turn->entities[turn->n_entities++] = e;
}

/* Take the previous intent when the follow-up has none of its own that a
 * tool answers (its words alone rarely classify well). */
static void take_intent(Chat__Turn *turn, const char *intent, double min_confidence)
{
	if (!*intent)
		return;
	if (orch_is_tool_intent(turn->intent) && turn->confidence >= min_confidence &&
	    !strcmp(turn->intent, intent))
		return;
	turn_set_str(&turn->intent, intent);
	if (turn->confidence < min_confidence)
		turn->confidence = (float)min_confidence;
}

int orch_resolve(Chat__Turn *turn, const struct orch_state *st, double min_confidence)
{
	const char *text = turn->text;
	int words = word_count(text);
	int has_order = entity_of(turn, "order_id") != NULL, has_sku = entity_of(turn, "sku") != NULL;

	/* "what about the second one?" */
	int pos = st->n_items > 0 && !has_order && !has_sku && words <= 8 ? ordinal(text) : -1;
	if (pos >= 0) {
		int i = pos == ORCH_MAX_ITEMS ? st->n_items - 1 : pos;
		if (i < st->n_items) {
			int order = !strcmp(st->items_kind, "order");
			add_entity(turn, order ? "order_id" : "sku", st->items[i]);
			if (order && !entity_of(turn, "email") && *st->email)
				add_entity(turn, "email", st->email);
			if (!order && orch_asks_price(text)) {
				turn_set_str(&turn->intent, "product_question");
				if (turn->confidence < min_confidence)
					turn->confidence = (float)min_confidence;
			} else if (!order && !strcmp(st->intent, "product_search")) {
				/* one product of a search's list: its details, price and
				 * stock (stock_check), unless the customer clearly asked
				 * another tool about it */
				if (!orch_is_tool_intent(turn->intent) || turn->confidence < min_confidence)
					take_intent(turn, "stock_check", min_confidence);
			} else {
				take_intent(turn, *st->intent ? st->intent : (order ? "order_status" : "stock_check"),
					    min_confidence);
			}
			return 1;
		}
	}
	/* "how much is it?" */
	if (!has_sku && *st->sku && orch_asks_price(text) && (refers_back(text) || words <= 2)) {
		add_entity(turn, "sku", st->sku);
		turn_set_str(&turn->intent, "product_question");
		if (turn->confidence < min_confidence)
			turn->confidence = (float)min_confidence;
		return 1;
	}
	/* "and in Penang?" */
	const char *store = entity_of(turn, "store");
	if (store && !has_order && !has_sku && words <= 6 &&
	    (!strcmp(st->intent, "stock_check") || !strcmp(st->intent, "store_info"))) {
		if (!strcmp(st->intent, "stock_check")) {
			if (!*st->sku)
				return 0;
			add_entity(turn, "sku", st->sku);
		}
		take_intent(turn, st->intent, min_confidence);
		return 1;
	}
	/* A guest who gave the order's e-mail earlier is not asked again. */
	if (has_order && !entity_of(turn, "email") && *st->email)
		add_entity(turn, "email", st->email);
	/* "is it in stock?" about the last product */
	if (!has_sku && !has_order && *st->sku && !strcmp(turn->intent, "stock_check") && refers_back(text)) {
		add_entity(turn, "sku", st->sku);
		return 1;
	}
	return 0;
}
