/* expand: customers' words for what the documents call otherwise. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "../testutil.h"
#include "expand.h"

static void expands_to(const char *q, const char *lang, const char *want)
{
	char *got = query_expand(q, lang);
	cr_assert_str_eq(got, want, "%s (%s)", q, lang);
	free(got);
}

Test(expand, phrases_get_the_documents_words)
{
	expands_to("how many days to send it back?", "en", "how many days to send it back? return");
	expands_to("Can I get my MONEY BACK", "en", "Can I get my MONEY BACK refund");
	expands_to("duit balik bila masuk", "ms", "duit balik bila masuk bayaran balik");
	expands_to("我想退钱", "zh", "我想退钱 退款");
	/* several phrases, each word added once */
	expands_to("send back for my money back", "en", "send back for my money back return refund");
	expands_to("send back the return", "en", "send back the return");
	/* abbreviations and the shop's other words for a promotion */
	expands_to("do you accept amex", "en", "do you accept amex american express");
	expands_to("what sales are on", "en", "what sales are on promotion");
	expands_to("the lamp arrived cracked", "en", "the lamp arrived cracked damaged");
	/* a town to the region the delivery tables name */
	expands_to("delivery to Kuching for a sofa", "en", "delivery to Kuching for a sofa Sarawak East Malaysia");
	expands_to("hantar ke Kuching", "ms", "hantar ke Kuching Sarawak Malaysia Timur");
	expands_to("送到古晋要几天", "zh", "送到古晋要几天 砂拉越 东马");
}

Test(expand, whole_words_and_the_right_language_only)
{
	expands_to("shipment of a bookshop order", "en", "shipment of a bookshop order");
	expands_to("send it back", "ms", "send it back");
	expands_to("hantar balik", "en", "hantar balik");
	expands_to("", "en", "");
	expands_to("ship it", NULL, "ship it delivery");
	tu_leak_check();
}
