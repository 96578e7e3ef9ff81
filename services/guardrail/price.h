/* price: finds prices in outgoing text and checks each against the live
 * catalog price of the product it is about.
 *
 * Forms read (case-insensitive currency, UTF-8 text): "RM 129", "RM129.00",
 * "RM1,299.90", "RM 1.2k", "MYR 1,299.90", "129 ringgit", "1,299 MYR",
 * "129令吉", "129 马币", "harga RM…" (Malay), "售价RM…" (Chinese). Amounts in
 * a clause about something other than a product's price ("RM 50 off",
 * "delivery fee RM 80", "free above RM 300", "diskaun RM 20", "满RM500")
 * are not product prices and are left alone. */
#ifndef SERVICES_GUARDRAIL_PRICE_H
#define SERVICES_GUARDRAIL_PRICE_H

#include <stddef.h>
#include <stdint.h>

#define GUARD_PRICE_MAX 32    /* prices looked at in one text */
#define GUARD_PRICE_SKU_MAX 64

/* One price written in the text. */
struct guard_price {
	size_t start, end; /* byte span of the whole expression, currency included */
	int64_t sen;       /* the amount in sen (1/100 ringgit) */
	int64_t unit_sen;  /* resolution of the written form: 1 ("129.90"), 100 ("129"), 10000 ("1.2k") */
	int other;         /* 1: a fee, discount, threshold...: not a product's price */
};

/* Find up to max prices in text[0..len), left to right. Returns how many
 * were written to out. Pure: any bytes are accepted. */
size_t guard_price_find(const char *text, size_t len, struct guard_price *out, size_t max);

/* 1 when the written amount agrees with the catalog price at the precision
 * it was written in ("RM 129" for 129.40; "RM 1.2k" for 1,180.00). */
int guard_price_agrees(const struct guard_price *p, int64_t catalog_sen);

/* Write "RM 1,299.90" (sen may be negative) into out. */
void guard_price_format(int64_t sen, char *out, size_t outlen);

/* A product the text may be about. */
struct guard_product {
	char sku[GUARD_PRICE_SKU_MAX];
	char *names[3];   /* en, ms, zh names (heap, NULL when none) */
	int64_t price_sen; /* -1 when the catalog has no price */
	int known;         /* 0: a SKU-shaped token the catalog does not know */
};

/* SKU-shaped tokens in text (letters and digits in two or more
 * '-'-joined groups, with at least one digit and one capital letter, like
 * HL-BED-0003): up to max copied into skus. Returns how many. */
size_t guard_price_skus(const char *text, size_t len, char skus[][GUARD_PRICE_SKU_MAX], size_t max);

/* The outcome of checking the prices of a text. */
struct guard_price_result {
	int corrected; /* prices replaced by the catalog's */
	int removed;   /* prices removed: no product, or one the catalog does not know */
};

/* Check every product price in text against products[0..n): each price is
 * about the product mentioned nearest to it in the same sentence (SKU or
 * name), else, when the turn is about exactly one product (fallback, may
 * be NULL), that one. A price whose product cannot be determined is
 * removed, or left alone with keep_undetermined (text composed from the
 * retailer's records: an order total, a refund) or when one of
 * sources[0..nsources) (the passages the answer cites: a fee, a voucher,
 * a threshold from the retailer's own knowledge) states the same amount.
 * Returns the new text (heap) and fills res. */
char *guard_price_check(const char *text, const struct guard_product *products, size_t n,
			const struct guard_product *fallback, int keep_undetermined, const char *const *sources,
			size_t nsources, struct guard_price_result *res);

void guard_product_release(struct guard_product *p);

#endif
