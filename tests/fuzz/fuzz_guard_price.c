/* The guardrail's price check: guard_price_find, guard_price_skus,
 * guard_price_format and guard_price_check on any text. Prices found are
 * in order, inside the text and not overlapping; SKUs are NUL-terminated
 * tokens of the text; a formatted price reads back as itself; the check
 * against one product (also the fallback) leaves the text alone when it
 * corrects and removes nothing, and writes each corrected price as the
 * catalog's. The first 4 bytes are the catalog price in sen. */
#include "fuzz.h"
#include "services/guardrail/price.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	int64_t sen = (int64_t)(((uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3]) %
				100000000u);
	char *text = fuzz_cstr(data + 4, size - 4);
	size_t len = strlen(text);

	struct guard_price p[GUARD_PRICE_MAX];
	size_t n = guard_price_find(text, len, p, GUARD_PRICE_MAX);
	FUZZ_CHECK(n <= GUARD_PRICE_MAX);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(p[i].start < p[i].end && p[i].end <= len);
		FUZZ_CHECK(i == 0 || p[i].start >= p[i - 1].end);
		FUZZ_CHECK(p[i].sen >= 0);
		int64_t u = p[i].unit_sen; /* a power of ten: 1 ("129.90"), 10 ("129.9"), 10000 ("1.2k")... */
		FUZZ_CHECK(u >= 1 && u <= 100000000);
		while (u % 10 == 0)
			u /= 10;
		FUZZ_CHECK(u == 1);
	}

	char skus[8][GUARD_PRICE_SKU_MAX];
	size_t ns = guard_price_skus(text, len, skus, 8);
	FUZZ_CHECK(ns <= 8);
	for (size_t i = 0; i < ns; i++) {
		size_t sl = strnlen(skus[i], GUARD_PRICE_SKU_MAX);
		FUZZ_CHECK(sl > 0 && sl < GUARD_PRICE_SKU_MAX);
		FUZZ_CHECK(strstr(text, skus[i]) != NULL);
	}

	char buf[64];
	guard_price_format(sen, buf, sizeof(buf));
	struct guard_price one[2];
	FUZZ_CHECK(guard_price_find(buf, strlen(buf), one, 2) == 1);
	FUZZ_CHECK(one[0].sen == sen && guard_price_agrees(&one[0], sen));

	struct guard_product prod;
	memset(&prod, 0, sizeof(prod));
	snprintf(prod.sku, sizeof(prod.sku), "%s", ns ? skus[0] : "HL-BED-0003");
	prod.names[0] = "Rice Cooker";
	prod.price_sen = sen;
	prod.known = 1;
	struct guard_price_result res = { 0, 0 };
	char *out = guard_price_check(text, &prod, 1, &prod, 0, NULL, 0, &res);
	FUZZ_CHECK(out != NULL);
	FUZZ_CHECK(res.corrected >= 0 && res.removed >= 0);
	FUZZ_CHECK(res.corrected + res.removed <= (int)GUARD_PRICE_MAX);
	if (res.corrected == 0 && res.removed == 0)
		FUZZ_CHECK(!strcmp(out, text));
	/* Each corrected price is written as the catalog's, in our format. */
	size_t have = 0, bl = strlen(buf);
	for (const char *q = out; (q = strstr(q, buf)) != NULL; q += bl)
		have++;
	FUZZ_CHECK(have >= (size_t)res.corrected);
	free(out);
	free(text);
	return 0;
}
