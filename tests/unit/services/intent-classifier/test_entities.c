/* intent-classifier/entities: what is an order id, SKU, e-mail, phone,
 * quantity or store, and what is not. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../testutil.h"
#include "services/intent-classifier/entities.h"

TestSuite(ent, .fini = tu_leak_check);

static struct ent_stores stores;
static char stores_buf[512];

static int extract(const char *text, struct ent *e)
{
	cr_assert_eq(ent_stores_parse(&stores, "Mid Valley, Sunway Pyramid,,Penang Gurney,Johor Bahru,IOI City",
				      stores_buf, sizeof(stores_buf)),
		     5);
	return ent_extract(text, &stores, e, ENT_MAX);
}

/* The only entity of text is (type, value) covering exactly `span`. */
static void assert_one(const char *text, const char *type, const char *value, const char *span)
{
	struct ent e[ENT_MAX];
	int n = extract(text, e);
	cr_assert_eq(n, 1, "\"%s\": %d entities (first %s)", text, n, n ? e[0].type : "-");
	cr_assert_str_eq(e[0].type, type, "\"%s\"", text);
	cr_assert_str_eq(e[0].value, value, "\"%s\"", text);
	cr_assert_eq((size_t)(e[0].end - e[0].start), strlen(span), "\"%s\"", text);
	cr_assert(!strncmp(text + e[0].start, span, strlen(span)), "\"%s\": offsets", text);
}

static void assert_none(const char *text)
{
	struct ent e[ENT_MAX];
	int n = extract(text, e);
	cr_assert_eq(n, 0, "\"%s\": found %s \"%s\"", text, n ? e[0].type : "", n ? e[0].value : "");
}

Test(ent, order_ids)
{
	assert_one("where is ORD-123456?", "order_id", "ORD-123456", "ORD-123456");
	assert_one("order ord123456 please", "order_id", "ORD-123456", "ord123456");
	assert_one("my order 202405118832 hasn't arrived", "order_id", "202405118832", "202405118832");
	assert_one("pesanan 2304567890 belum sampai", "order_id", "2304567890", "2304567890");
	assert_one("我的订单 230456789012 到哪里了", "order_id", "230456789012", "230456789012");
	/* a long number is an order id only in an order context */
	assert_none("my number is 202405118832");
	assert_none("ORD-12 is too short");
	assert_none("reorder123456");
	assert_none("my order 12345 is not long enough to be one without ORD");
}

Test(ent, phones)
{
	assert_one("call me at 012-345 6789", "phone", "0123456789", "012-345 6789");
	assert_one("+60 12-345 6789 is my number", "phone", "+60123456789", "+60 12-345 6789");
	assert_one("whatsapp 01123456789", "phone", "01123456789", "01123456789");
	assert_one("store line 03-2345 6789", "phone", "0323456789", "03-2345 6789");
	assert_none("call 12345");
	assert_none("+1 415 555 0100");
	assert_none("the sofa is 2100 mm wide");
}

Test(ent, phone_in_an_order_context_stays_a_phone)
{
	assert_one("my order, call 0123456789", "phone", "0123456789", "0123456789");
}

Test(ent, emails)
{
	assert_one("send it to aisyah.rahman@example.com.", "email", "aisyah.rahman@example.com",
		   "aisyah.rahman@example.com");
	assert_one("email: tan+shop@mail.example.com.my", "email", "tan+shop@mail.example.com.my",
		   "tan+shop@mail.example.com.my");
	assert_none("meet me @ the mall");
	assert_none("foo@bar");
	assert_none("a@b.c");
}

Test(ent, skus)
{
	assert_one("is HL-SOFA-0012 in stock?", "sku", "HL-SOFA-0012", "HL-SOFA-0012");
	assert_one("KT-PAN-2201, 有货吗", "sku", "KT-PAN-2201", "KT-PAN-2201");
	assert_none("COVID-NINETEEN");
	assert_none("hl-sofa-0012");
	assert_none("ABCDE-0012");
	assert_none("X-1");
}

Test(ent, quantities)
{
	assert_one("I need 2 pcs", "quantity", "2", "2 pcs");
	assert_one("add x3 to cart", "quantity", "3", "x3");
	assert_one("nak dua", "quantity", "2", "dua");
	assert_one("two sets of towels", "quantity", "2", "two sets");
	assert_one("我要两个", "quantity", "2", "两个");
	assert_one("3个枕头", "quantity", "3", "3个");
	assert_one("qty: 4", "quantity", "4", "qty: 4");
	assert_none("I have two questions");
	assert_none("我想问一个问题");
	assert_none("the box is 20 cm");
	assert_none("boxes");
}

Test(ent, stores)
{
	assert_one("is it at mid valley?", "store", "Mid Valley", "mid valley");
	assert_one("Sunway Pyramid店有吗", "store", "Sunway Pyramid", "Sunway Pyramid");
	assert_none("Mid Valleys are nice");
	struct ent e[ENT_MAX];
	cr_assert_eq(ent_extract("Mid Valley", NULL, e, ENT_MAX), 0, "no list, no stores");
}

Test(ent, several_sorted_without_overlap)
{
	const char *t = "ORD-558102: 2 pcs HL-CHR-0031 to IOI City, call 012-3456789 or a@example.com";
	struct ent e[ENT_MAX];
	int n = extract(t, e);
	static const char *const want[] = { "order_id", "quantity", "sku", "store", "phone", "email" };
	cr_assert_eq(n, 6);
	for (int i = 0; i < n; i++) {
		cr_assert_str_eq(e[i].type, want[i]);
		if (i)
			cr_assert_geq(e[i].start, e[i - 1].end);
	}
	cr_assert_eq(ent_extract(t, &stores, e, 2), 2, "bounded by max");
}

Test(ent, stores_parse_bounds)
{
	struct ent_stores s;
	char small[8];
	cr_assert_eq(ent_stores_parse(&s, "", small, sizeof(small)), 0);
	cr_assert_eq(ent_stores_parse(&s, "Mid Valley", small, sizeof(small)), -1);
	cr_assert_eq(ent_stores_parse(&s, " A , B ", small, sizeof(small)), 2);
	cr_assert_str_eq(s.name[1], "B");
}
