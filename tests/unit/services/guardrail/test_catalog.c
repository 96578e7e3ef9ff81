/* guardrail catalog: which products a text names, found in memory. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../testutil.h"
#include "services/guardrail/catalog.h"

static struct guard_catalog *demo(void)
{
	struct guard_catalog *c = guard_catalog_new();
	guard_catalog_add(c, "HL-BED-0003", "Damai Queen Bed Frame, Charcoal Grey", "Rangka Katil Queen Damai, Kelabu",
			  "Damai 大床床架（炭灰色）");
	guard_catalog_add(c, "HL-SOFA-0009", "Perhentian 3-Seater Fabric Sofa, Teal", "", NULL);
	guard_catalog_add(c, "HL-MUG-0001", "Mug", NULL, "马克杯");
	guard_catalog_add(c, "HL-SOFA-0010", "Perhentian 3-Seater Fabric Sofa, Grey", "", NULL);
	return c;
}

static size_t match(const struct guard_catalog *c, const char *text, char skus[][GUARD_PRICE_SKU_MAX])
{
	return guard_catalog_match(c, text, skus, 0, 8);
}

Test(catalog, names_are_found_by_their_words)
{
	struct guard_catalog *c = demo();
	cr_assert_eq(guard_catalog_len(c), 4);
	char skus[8][GUARD_PRICE_SKU_MAX];
	cr_assert_eq(match(c, "The DAMAI queen bed frame is RM 1,299.", skus), 1, "the part before the comma, any case");
	cr_assert_str_eq(skus[0], "HL-BED-0003");
	cr_assert_eq(match(c, "Rangka Katil Queen Damai, Kelabu: RM 1,299", skus), 1, "the Malay name");
	cr_assert_eq(match(c, "Damai 大床床架只要RM 1,299", skus), 1, "the Chinese name before its parenthesis");
	cr_assert_eq(match(c, "一个马克杯", skus), 1, "Chinese names match anywhere");
	cr_assert_str_eq(skus[0], "HL-MUG-0001");
	size_t n = match(c, "Perhentian 3-Seater Fabric Sofa: both colours", skus);
	cr_assert_eq(n, 2, "a shared base name names both products");
	cr_assert(strcmp(skus[0], skus[1]), "each SKU once");
	cr_assert_eq(match(c, "a mug and another Mug", skus), 1, "a product named twice is listed once");
	guard_catalog_free(c);
}

Test(catalog, only_whole_words_start_a_name)
{
	struct guard_catalog *c = demo();
	char skus[8][GUARD_PRICE_SKU_MAX];
	cr_assert_eq(match(c, "smug remarks about Damaist beds", skus), 0);
	cr_assert_eq(match(c, "Delivery is RM 15, free from RM 300.", skus), 0);
	cr_assert_eq(match(c, "", skus), 0);
	/* SKUs already listed are not added twice; max is respected */
	util_strlcpy(skus[0], "HL-MUG-0001", GUARD_PRICE_SKU_MAX);
	cr_assert_eq(guard_catalog_match(c, "mug, Damai Queen Bed Frame", skus, 1, 8), 2);
	cr_assert_eq(guard_catalog_match(c, "mug, Damai Queen Bed Frame", skus, 0, 1), 1);
	guard_catalog_free(c);
	tu_leak_check();
}
