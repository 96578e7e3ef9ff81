/* price: prices in outgoing text, checked against the live catalog. */
#include "price.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_MENTIONS 128

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* 1 when text[i..] starts with the n bytes of s (ASCII case-insensitive). */
static int ci_at_n(const char *text, size_t len, size_t i, const char *s, size_t n)
{
	if (i + n > len)
		return 0;
	for (size_t k = 0; k < n; k++)
		if (lower((unsigned char)text[i + k]) != lower((unsigned char)s[k]))
			return 0;
	return 1;
}

static int ci_at(const char *text, size_t len, size_t i, const char *s)
{
	if (i >= len || lower((unsigned char)text[i]) != lower((unsigned char)s[0]))
		return 0;
	return ci_at_n(text, len, i, s, strlen(s));
}

/* Spaces (ASCII or no-break) from i; returns the index after them. */
static size_t skip_spaces(const char *text, size_t len, size_t i, int max)
{
	for (int k = 0; k < max && i < len; k++) {
		if (text[i] == ' ')
			i++;
		else if (i + 1 < len && (unsigned char)text[i] == 0xC2 && (unsigned char)text[i + 1] == 0xA0)
			i += 2;
		else
			break;
	}
	return i;
}

/* Read an amount at i: digits with optional ',' thousands groups, optional
 * '.' and one or two decimals, optional k. Returns the end index, or 0 when
 * there is no amount. */
static size_t read_amount(const char *text, size_t len, size_t i, int64_t *sen, int64_t *unit)
{
	size_t j = i;
	int64_t whole = 0;
	int digits = 0;
	while (j < len && is_digit((unsigned char)text[j]) && digits < 10) {
		whole = whole * 10 + (text[j] - '0');
		j++;
		digits++;
	}
	if (!digits || (j < len && is_digit((unsigned char)text[j])))
		return 0;
	if (digits <= 3) {
		while (j + 3 < len + 0 && text[j] == ',' && is_digit((unsigned char)text[j + 1]) &&
		       is_digit((unsigned char)text[j + 2]) && is_digit((unsigned char)text[j + 3]) &&
		       (j + 4 >= len || !is_digit((unsigned char)text[j + 4])) && whole < 100000000) {
			whole = whole * 1000 + (text[j + 1] - '0') * 100 + (text[j + 2] - '0') * 10 + (text[j + 3] - '0');
			j += 4;
		}
	}
	int64_t frac = 0;
	int dec = 0;
	if (j + 1 < len && text[j] == '.' && is_digit((unsigned char)text[j + 1])) {
		size_t k = j + 1;
		while (k < len && is_digit((unsigned char)text[k]) && dec < 3) {
			frac = frac * 10 + (text[k] - '0');
			k++;
			dec++;
		}
		if (dec > 2 || (k < len && is_digit((unsigned char)text[k])))
			return 0; /* 1.234: not money */
		j = k;
	}
	int kilo = j < len && (text[j] == 'k' || text[j] == 'K') && (j + 1 >= len || !is_alnum((unsigned char)text[j + 1]));
	if (kilo) {
		j++;
		int64_t scale = dec == 0 ? 1000 : dec == 1 ? 100 : 10;
		*sen = (whole * 1000 + frac * scale) * 100;
		*unit = (dec == 0 ? 1000 : dec == 1 ? 100 : 10) * 100;
	} else {
		*sen = whole * 100 + (dec == 1 ? frac * 10 : frac);
		*unit = dec == 0 ? 100 : dec == 1 ? 10 : 1;
	}
	if (j < len && (is_alnum((unsigned char)text[j]) || text[j] == '_'))
		return 0;
	return j;
}

static int sentence_end_at(const char *text, size_t len, size_t i)
{
	unsigned char c = (unsigned char)text[i];
	if (c == '\n' || c == '!' || c == '?')
		return 1;
	if (c == '.')
		return i + 1 >= len || text[i + 1] == ' ' || text[i + 1] == '\n';
	/* 。！？ = E3 80 82, EF BC 81, EF BC 9F */
	if (c == 0xE3 && i + 2 < len && (unsigned char)text[i + 1] == 0x80 && (unsigned char)text[i + 2] == 0x82)
		return 1;
	if (c == 0xEF && i + 2 < len && (unsigned char)text[i + 1] == 0xBC &&
	    ((unsigned char)text[i + 2] == 0x81 || (unsigned char)text[i + 2] == 0x9F))
		return 1;
	return 0;
}

/* The sentence around [at, at_end): *s start, *e end. */
static void sentence(const char *text, size_t len, size_t at, size_t at_end, size_t *s, size_t *e)
{
	size_t a = at;
	while (a > 0 && !sentence_end_at(text, len, a - 1))
		a--;
	/* a multi-byte end mark: step back over its continuation bytes */
	size_t b = at_end;
	while (b < len && !sentence_end_at(text, len, b))
		b++;
	*s = a;
	*e = b;
}

static const char *const other_before[] = {
	"fee", "fees", "delivery", "shipping", "postage", "charge", "above", "over", "more than", "less than",
	"under", "below", "minimum", "min", "spend", "spending", "up to", "save", "saving", "savings", "discount",
	"rebate", "voucher", "cashback", "deposit", "budget", "instalment", "installment", "points", "worth of",
	"diskaun", "potongan", "jimat", "baucar", "caj", "yuran", "penghantaran", "melebihi", "lebih", "bawah",
	"ansuran", "bajet", "满", "超过", "低于", "以下", "运费", "折扣", "优惠", "减", "订金", "分期", "预算", "省",
	"回扣", "代金券", "total", "subtotal", "jumlah", "总额", "合计", "总共", "refund", "refunded", "bayaran balik",
	"退款", "paid", "dibayar", "已付", "balance", "baki", "余额", NULL,
};
static const char *const other_after[] = {
	"off", "discount", "voucher", "rebate", "cashback", "fee", "and above", "or more", "above", "/month",
	"a month", "per month", "monthly", "sebulan", "ke atas", "diskaun", "potongan", "以上", "优惠", "折扣",
	"运费", "起", "每月", NULL,
};

static int has_word(const char *text, size_t from, size_t to, const char *w)
{
	size_t n = strlen(w);
	int ascii = (unsigned char)w[0] < 0x80;
	unsigned char first = lower((unsigned char)w[0]);
	for (size_t i = from; i + n <= to; i++) {
		if (lower((unsigned char)text[i]) != first || !ci_at_n(text, to, i, w, n))
			continue;
		if (ascii && ((i > 0 && is_alnum((unsigned char)text[i - 1])) ||
			      (i + n < to && is_alnum((unsigned char)text[i + n]) && is_alnum((unsigned char)w[n - 1]))))
			continue;
		return 1;
	}
	return 0;
}

/* 1 when the words just before or after the amount say it is a fee, a
 * discount, a threshold or an instalment rather than a product's price. */
static int other_amount(const char *text, size_t len, size_t start, size_t end)
{
	size_t s, e;
	sentence(text, len, start, end, &s, &e);
	size_t from = start > s + 28 ? start - 28 : s;
	for (int i = 0; other_before[i]; i++)
		if (has_word(text, from, start, other_before[i]))
			return 1;
	size_t to = end + 16 < e ? end + 16 : e;
	for (int i = 0; other_after[i]; i++)
		if (has_word(text, end, to, other_after[i]))
			return 1;
	return 0;
}

static const char *const suffixes[] = { "ringgit", "myr", "rm", "令吉", "零吉", "马币", "馬幣", NULL };

/* The amounts of text; with classify, each is told apart from fees and
 * thresholds (other_amount, the costly part). */
static size_t find_prices(const char *text, size_t len, struct guard_price *out, size_t max, int classify);

size_t guard_price_find(const char *text, size_t len, struct guard_price *out, size_t max)
{
	return find_prices(text, len, out, max, 1);
}

static size_t find_prices(const char *text, size_t len, struct guard_price *out, size_t max, int classify)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n < max;) {
		unsigned char c = (unsigned char)text[i];
		int word_start = i == 0 || !is_alnum((unsigned char)text[i - 1]);
		/* prefix form: RM / MYR then the amount */
		if (word_start && (c == 'R' || c == 'r' || c == 'M' || c == 'm')) {
			size_t cur = ci_at(text, len, i, "myr") ? 3 : ci_at(text, len, i, "rm") ? 2 : 0;
			if (cur) {
				size_t j = i + cur;
				if (j < len && text[j] == '.')
					j++;
				j = skip_spaces(text, len, j, 2);
				int64_t sen, unit;
				size_t e = j < len && is_digit((unsigned char)text[j]) ? read_amount(text, len, j, &sen, &unit)
										: 0;
				if (e) {
					out[n] = (struct guard_price){ i, e, sen, unit,
								       classify && other_amount(text, len, i, e) };
					n++;
					i = e;
					continue;
				}
			}
		}
		/* suffix form: the amount then ringgit / MYR / 令吉 */
		if (is_digit(c) && word_start && !(i > 0 && (text[i - 1] == '.' || text[i - 1] == ','))) {
			int64_t sen, unit;
			size_t e = read_amount(text, len, i, &sen, &unit);
			if (e) {
				size_t j = skip_spaces(text, len, e, 1);
				for (int k = 0; suffixes[k]; k++) {
					size_t sl = strlen(suffixes[k]);
					if (!ci_at(text, len, j, suffixes[k]))
						continue;
					if ((unsigned char)suffixes[k][0] < 0x80 && j + sl < len &&
					    is_alnum((unsigned char)text[j + sl]))
						continue;
					out[n] = (struct guard_price){ i, j + sl, sen, unit,
								       classify && other_amount(text, len, i, j + sl) };
					n++;
					e = j + sl;
					break;
				}
				i = e;
				continue;
			}
		}
		i++;
	}
	return n;
}

int guard_price_agrees(const struct guard_price *p, int64_t catalog_sen)
{
	int64_t d = p->sen - catalog_sen;
	if (d < 0)
		d = -d;
	/* equal at the written precision: 129 stands for [128.50, 129.50) */
	return p->unit_sen <= 1 ? d == 0 : 2 * d < p->unit_sen || (2 * d == p->unit_sen && catalog_sen < p->sen);
}

void guard_price_format(int64_t sen, char *out, size_t outlen)
{
	const char *sign = sen < 0 ? "-" : "";
	unsigned long long v = (unsigned long long)(sen < 0 ? -sen : sen);
	unsigned long long whole = v / 100, cents = v % 100;
	char digits[32], grouped[48];
	int nd = snprintf(digits, sizeof(digits), "%llu", whole);
	size_t g = 0;
	for (int i = 0; i < nd; i++) {
		if (i && (nd - i) % 3 == 0)
			grouped[g++] = ',';
		grouped[g++] = digits[i];
	}
	grouped[g] = '\0';
	snprintf(out, outlen, "%sRM %s.%02llu", sign, grouped, cents);
}

size_t guard_price_skus(const char *text, size_t len, char skus[][GUARD_PRICE_SKU_MAX], size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n < max;) {
		if (!is_alnum((unsigned char)text[i]) || (i > 0 && (is_alnum((unsigned char)text[i - 1]) || text[i - 1] == '-'))) {
			i++;
			continue;
		}
		size_t j = i;
		int groups = 1, digit = 0, upper = 0;
		while (j < len && (is_alnum((unsigned char)text[j]) ||
				   (text[j] == '-' && j + 1 < len && is_alnum((unsigned char)text[j + 1])))) {
			if (text[j] == '-')
				groups++;
			digit |= is_digit((unsigned char)text[j]);
			upper |= text[j] >= 'A' && text[j] <= 'Z';
			j++;
		}
		if (groups >= 2 && digit && upper && j - i < GUARD_PRICE_SKU_MAX && j - i >= 5) {
			memcpy(skus[n], text + i, j - i);
			skus[n][j - i] = '\0';
			int dup = 0;
			for (size_t k = 0; k < n; k++)
				dup |= !strcmp(skus[k], skus[n]);
			if (!dup)
				n++;
		}
		i = j > i ? j : i + 1;
	}
	return n;
}

struct mention {
	size_t start, end;
	const struct guard_product *p;
};

/* Every occurrence of s (ASCII case-insensitive, not inside a longer word)
 * in text as a mention of p. */
static size_t find_mentions(const char *text, size_t len, const char *s, size_t slen, const struct guard_product *p,
			    struct mention *m, size_t n, size_t max)
{
	if (slen < 3)
		return n;
	for (size_t i = 0; i + slen <= len && n < max; i++) {
		int ok = 1;
		for (size_t k = 0; k < slen && ok; k++)
			ok = lower((unsigned char)text[i + k]) == lower((unsigned char)s[k]);
		if (!ok)
			continue;
		if ((unsigned char)s[0] < 0x80 && i > 0 && is_alnum((unsigned char)text[i - 1]))
			continue;
		if ((unsigned char)s[slen - 1] < 0x80 && i + slen < len && is_alnum((unsigned char)text[i + slen]))
			continue;
		m[n++] = (struct mention){ i, i + slen, p };
		i += slen - 1;
	}
	return n;
}

/* The length of name up to its first ',' or '(' / '（' (the colour or
 * variant after it is often left out when a product is mentioned). */
static size_t base_len(const char *name)
{
	size_t n = strcspn(name, ",(");
	const char *paren = strstr(name, "（");
	if (paren && (size_t)(paren - name) < n)
		n = (size_t)(paren - name);
	while (n > 0 && name[n - 1] == ' ')
		n--;
	return n;
}

/* The amounts sources state, read once per check (*n < 0: not yet). */
struct stated {
	int n;
	int64_t sen[GUARD_PRICE_MAX * 4];
};

static int stated_in(const char *const *sources, size_t nsources, struct stated *st, int64_t sen)
{
	if (st->n < 0) {
		st->n = 0;
		struct guard_price found[GUARD_PRICE_MAX];
		for (size_t i = 0; i < nsources; i++) {
			if (!sources[i])
				continue;
			size_t nf = find_prices(sources[i], strlen(sources[i]), found, GUARD_PRICE_MAX, 0);
			for (size_t k = 0; k < nf && st->n < (int)ARRAY_LEN(st->sen); k++)
				st->sen[st->n++] = found[k].sen;
		}
	}
	for (int k = 0; k < st->n; k++)
		if (st->sen[k] == sen)
			return 1;
	return 0;
}

char *guard_price_check(const char *text, const struct guard_product *products, size_t n,
			const struct guard_product *fallback, int keep_undetermined, const char *const *sources,
			size_t nsources, struct guard_price_result *res)
{
	memset(res, 0, sizeof(*res));
	size_t len = strlen(text);
	struct guard_price prices[GUARD_PRICE_MAX];
	size_t np = guard_price_find(text, len, prices, GUARD_PRICE_MAX);
	if (!np)
		return xstrdup(text);
	struct mention *m = xmalloc(MAX_MENTIONS * sizeof(*m));
	size_t nm = 0;
	for (size_t i = 0; i < n; i++) {
		const struct guard_product *p = &products[i];
		nm = find_mentions(text, len, p->sku, strlen(p->sku), p, m, nm, MAX_MENTIONS);
		for (int k = 0; k < 3; k++) {
			if (!p->names[k] || !p->names[k][0])
				continue;
			size_t full = strlen(p->names[k]), base = base_len(p->names[k]);
			size_t before = nm;
			nm = find_mentions(text, len, p->names[k], full, p, m, nm, MAX_MENTIONS);
			if (nm == before && base >= 6 && base < full)
				nm = find_mentions(text, len, p->names[k], base, p, m, nm, MAX_MENTIONS);
		}
	}
	struct stated stated = { .n = -1 };
	size_t cap = len + np * 24 + 1, o = 0, at = 0;
	char *out = xmalloc(cap);
	for (size_t i = 0; i < np; i++) {
		const struct guard_price *pr = &prices[i];
		if (pr->other)
			continue;
		size_t s, e;
		sentence(text, len, pr->start, pr->end, &s, &e);
		const struct guard_product *best = NULL;
		size_t best_d = (size_t)-1;
		for (size_t k = 0; k < nm; k++) {
			if (m[k].start < s || m[k].end > e)
				continue;
			size_t d = m[k].end <= pr->start ? pr->start - m[k].end
				 : m[k].start >= pr->end ? m[k].start - pr->end
							 : 0;
			if (d < best_d) {
				best_d = d;
				best = m[k].p;
			}
		}
		if (!best)
			best = fallback;
		if (!best && (keep_undetermined || stated_in(sources, nsources, &stated, pr->sen)))
			continue;
		if (best && best->known && best->price_sen >= 0 && guard_price_agrees(pr, best->price_sen))
			continue;
		/* copy what comes before, then the replacement */
		memcpy(out + o, text + at, pr->start - at);
		o += pr->start - at;
		if (best && best->known && best->price_sen >= 0) {
			char fixed[48];
			guard_price_format(best->price_sen, fixed, sizeof(fixed));
			size_t fl = strlen(fixed);
			memcpy(out + o, fixed, fl);
			o += fl;
			res->corrected++;
		} else {
			/* no product, or one the catalog does not know or price */
			if (o > 0 && out[o - 1] == ' ' && (pr->end >= len || text[pr->end] == ' ' ||
							   text[pr->end] == '.' || text[pr->end] == ','))
				o--;
			res->removed++;
		}
		at = pr->end;
	}
	memcpy(out + o, text + at, len - at);
	o += len - at;
	out[o] = '\0';
	free(m);
	return out;
}

void guard_product_release(struct guard_product *p)
{
	for (int k = 0; k < 3; k++) {
		free(p->names[k]);
		p->names[k] = NULL;
	}
}
