/* entities: pattern rules for order ids, SKUs, e-mails, phones, quantities
 * and store names. */
#include "entities.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define MAX_SCAN 8192 /* bytes of text looked at */

struct found {
	struct ent *out;
	int n, max;
};

static int overlaps(const struct found *f, int s, int e)
{
	for (int i = 0; i < f->n; i++)
		if (s < f->out[i].end && f->out[i].start < e)
			return 1;
	return 0;
}

/* Add [s, e) unless it overlaps an earlier (higher priority) entity. value
 * NULL means the text itself. */
static int add(struct found *f, const char *type, const char *text, int s, int e, const char *value)
{
	if (f->n >= f->max || overlaps(f, s, e))
		return 0;
	struct ent *x = &f->out[f->n++];
	x->type = type;
	x->start = s;
	x->end = e;
	if (value) {
		util_strlcpy(x->value, value, sizeof(x->value));
	} else {
		size_t len = (size_t)(e - s) < sizeof(x->value) - 1 ? (size_t)(e - s) : sizeof(x->value) - 1;
		memcpy(x->value, text + s, len);
		x->value[len] = '\0';
	}
	return 1;
}

static int is_alnum(char c)
{
	return isalnum((unsigned char)c);
}

/* c at position i starts a token: nothing alphanumeric before it. */
static int at_start(const char *t, int i)
{
	return i == 0 || !is_alnum(t[i - 1]);
}

/* --- e-mail ------------------------------------------------------------------ */

static int email_local(char c)
{
	return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static void find_emails(const char *t, int n, struct found *f)
{
	for (int at = 1; at < n - 1; at++) {
		if (t[at] != '@')
			continue;
		int s = at;
		while (s > 0 && email_local(t[s - 1]))
			s--;
		while (s < at && t[s] == '.')
			s++;
		int e = at + 1, lastdot = -1;
		while (e < n && (is_alnum(t[e]) || t[e] == '-' || t[e] == '.')) {
			if (t[e] == '.')
				lastdot = e;
			e++;
		}
		while (e > at + 1 && t[e - 1] == '.') { /* sentence full stop */
			e--;
			lastdot = -1;
			for (int i = at + 1; i < e; i++)
				if (t[i] == '.')
					lastdot = i;
		}
		if (s == at || lastdot < at + 2 || e - lastdot - 1 < 2)
			continue;
		int alpha_tld = 1;
		for (int i = lastdot + 1; i < e; i++)
			alpha_tld &= isalpha((unsigned char)t[i]) != 0;
		if (alpha_tld)
			add(f, "email", t, s, e, NULL);
	}
}

/* --- order ids ("ORD-123456") ------------------------------------------------- */

static void find_ord_ids(const char *t, int n, struct found *f)
{
	for (int i = 0; i + 3 < n; i++) {
		if (!at_start(t, i) || strncasecmp(t + i, "ord", 3))
			continue;
		int j = i + 3;
		if (j < n && (t[j] == '-' || t[j] == '#' || t[j] == ' ' || t[j] == '_'))
			j++;
		int d = j;
		while (d < n && isdigit((unsigned char)t[d]))
			d++;
		if (d - j < 4 || d - j > 12 || (d < n && is_alnum(t[d])))
			continue;
		char v[ENT_MAX_VALUE];
		if (util_snprintf(v, sizeof(v), "ORD-%.*s", d - j, t + j) < 0)
			continue;
		add(f, "order_id", t, i, d, v);
	}
}

/* --- SKUs ("HL-SOFA-0012") ---------------------------------------------------- */

static void find_skus(const char *t, int n, struct found *f)
{
	for (int i = 0; i < n; i++) {
		if (!at_start(t, i) || t[i] == '-' || !isupper((unsigned char)t[i]))
			continue;
		int j = i;
		while (j < n && isupper((unsigned char)t[j]))
			j++;
		if (j - i < 2 || j - i > 4 || j >= n || t[j] != '-' || (j - i == 3 && !strncmp(t + i, "ORD", 3)))
			continue; /* ORD- is an order id, never a SKU */
		int e = j, segs = 0, digit = 0, ok = 1;
		while (e < n && t[e] == '-') {
			int s = e + 1;
			int k = s;
			while (k < n && (isupper((unsigned char)t[k]) || isdigit((unsigned char)t[k]))) {
				digit |= isdigit((unsigned char)t[k]) != 0;
				k++;
			}
			if (k == s || (k < n && islower((unsigned char)t[k]))) {
				ok = k == s && segs > 0; /* "HL-SOFA-0012-" ends before the dash */
				break;
			}
			segs++;
			e = k;
		}
		if (ok && segs > 0 && digit && !(e < n && is_alnum(t[e])))
			add(f, "sku", t, i, e, NULL);
		i = e > i ? e - 1 : i;
	}
}

/* --- digit runs: phones and bare order numbers --------------------------------- */

/* Words that make a long bare number an order number. */
static int order_context(const char *t)
{
	static const char *const words[] = { "order", "pesanan", "purchase", "tracking", "invoice", "resit",
					     "receipt", "no pesanan", "belian", NULL };
	if (strstr(t, "订单") || strstr(t, "单号") || strstr(t, "订购"))
		return 1;
	for (const char *const *w = words; *w; w++) {
		size_t wl = strlen(*w);
		for (const char *p = t; (p = strcasestr(p, *w)); p++)
			if ((p == t || !isalpha((unsigned char)p[-1])))
				return 1;
		(void)wl;
	}
	return 0;
}

/* A Malaysian number given its digits (country code included or not). */
static int phone_digits(const char *d, size_t n)
{
	if (n >= 2 && d[0] == '6' && d[1] == '0') { /* 60 + national without the 0 */
		d += 1;
		n -= 1;
	}
	if (n < 9 || n > 11 || d[0] != '0')
		return 0;
	if (d[1] == '1') /* mobile: 01x-xxx xxxx(x) */
		return n == 10 || n == 11;
	return d[1] >= '3' && d[1] <= '9' && (n == 9 || n == 10); /* landline 03-xxxx xxxx */
}

static void find_numbers(const char *t, int n, struct found *f)
{
	int ctx = -1;
	for (int i = 0; i < n; i++) {
		int plus = t[i] == '+';
		if (!(plus || isdigit((unsigned char)t[i])) || !at_start(t, i) || (i > 0 && t[i - 1] == '-'))
			continue;
		/* digits with single spaces or dashes between groups */
		char dig[32];
		size_t nd = 0;
		int e = i + plus, last = e, seps = 0;
		while (e < n && nd < sizeof(dig) - 1) {
			if (isdigit((unsigned char)t[e])) {
				dig[nd++] = t[e++];
				last = e;
			} else if ((t[e] == ' ' || t[e] == '-') && e + 1 < n && isdigit((unsigned char)t[e + 1]) &&
				   last == e) {
				e++;
				seps++;
			} else {
				break;
			}
		}
		dig[nd] = '\0';
		e = last;
		if (nd == 0 || (e < n && isalpha((unsigned char)t[e]))) {
			i = e;
			continue;
		}
		if (phone_digits(dig, nd) && (!plus || (nd > 2 && dig[0] == '6'))) {
			char v[ENT_MAX_VALUE];
			util_snprintf(v, sizeof(v), "%s%s", plus ? "+" : "", dig);
			add(f, "phone", t, i, e, v);
		} else if (!plus && seps == 0 && nd >= 10 && nd <= 12) {
			if (ctx < 0)
				ctx = order_context(t);
			if (ctx)
				add(f, "order_id", t, i, e, dig);
		}
		i = e;
	}
}

/* --- quantities -------------------------------------------------------------- */

static const char *const units[] = { "pcs", "pc", "pieces", "piece", "units", "unit", "sets", "set", "boxes",
				     "box", "biji", "buah", "helai", "kotak", "pasang", "nos", NULL };

/* Length of a unit word at t (followed by a non-letter), or 0. */
static int unit_at(const char *t)
{
	for (const char *const *u = units; *u; u++) {
		size_t l = strlen(*u);
		if (!strncasecmp(t, *u, l) && !isalpha((unsigned char)t[l]))
			return (int)l;
	}
	return 0;
}

/* Number words: Malay ones count alone ("nak dua"), English ones only
 * before a unit ("two pcs"). */
struct numword {
	const char *w;
	int v;
	int alone;
};
static const struct numword numwords[] = {
	{ "satu", 1, 0 },  { "dua", 2, 1 },	 { "tiga", 3, 1 },   { "empat", 4, 1 }, { "lima", 5, 1 },
	{ "enam", 6, 1 },  { "tujuh", 7, 1 },	 { "lapan", 8, 1 },  { "sembilan", 9, 1 }, { "sepuluh", 10, 1 },
	{ "one", 1, 0 },   { "two", 2, 0 },	 { "three", 3, 0 },  { "four", 4, 0 },  { "five", 5, 0 },
	{ "six", 6, 0 },   { "seven", 7, 0 },	 { "eight", 8, 0 },  { "nine", 9, 0 },  { "ten", 10, 0 },
};

/* Han numerals and measure words, UTF-8. */
/* no 一: "一个问题" is "a question", not a quantity */
static const struct numword han_nums[] = { { "两", 2, 0 }, { "二", 2, 0 }, { "三", 3, 0 },
					   { "四", 4, 0 }, { "五", 5, 0 }, { "六", 6, 0 }, { "七", 7, 0 },
					   { "八", 8, 0 }, { "九", 9, 0 }, { "十", 10, 0 } };
static const char *const han_measures[] = { "个", "件", "张", "套", "把", "台", "盒", "箱", "对", "双", "条", NULL };

static int han_measure_at(const char *t)
{
	for (const char *const *m = han_measures; *m; m++)
		if (!strncmp(t, *m, strlen(*m)))
			return (int)strlen(*m);
	return 0;
}

/* A quantity marked before its number ("x3", "qty 2"): up to 4 digits from
 * j, standing alone, make a quantity entity spanning from the marker at i.
 * Returns the end of the number, or -1 when there is none. */
static int count_after(const char *t, int n, int i, int j, struct found *f)
{
	char v[16];
	int d = j;
	while (d < n && d - j < 4 && isdigit((unsigned char)t[d]))
		d++;
	if (d == j || (d < n && is_alnum(t[d])))
		return -1;
	util_snprintf(v, sizeof(v), "%.*s", d - j, t + j);
	add(f, "quantity", t, i, d, v);
	return d;
}

static void find_quantities(const char *t, int n, struct found *f)
{
	char v[16];
	for (int i = 0; i < n; i++) {
		/* "x3" / "X 3" */
		if ((t[i] == 'x' || t[i] == 'X') && at_start(t, i)) {
			int d = count_after(t, n, i, i + 1 + (i + 1 < n && t[i + 1] == ' '), f);
			if (d > 0) {
				i = d - 1;
				continue;
			}
		}
		/* "qty 2", "qty: 2" */
		if (at_start(t, i) && !strncasecmp(t + i, "qty", 3)) {
			int j = i + 3;
			while (j < n && (t[j] == ' ' || t[j] == ':'))
				j++;
			int d = count_after(t, n, i, j, f);
			if (d > 0) {
				i = d - 1;
				continue;
			}
		}
		/* "2 pcs", "3x", "2个" */
		if (isdigit((unsigned char)t[i]) && at_start(t, i)) {
			int d = i;
			while (d < n && isdigit((unsigned char)t[d]))
				d++;
			if (d - i > 4) {
				i = d - 1;
				continue;
			}
			int u = d + (d < n && t[d] == ' ');
			int ul = unit_at(t + u);
			if (!ul && u == d && d < n && (t[d] == 'x' || t[d] == 'X') && !(d + 1 < n && is_alnum(t[d + 1])))
				ul = 1;
			if (!ul)
				ul = han_measure_at(t + d), u = ul ? d : u;
			if (ul) {
				util_snprintf(v, sizeof(v), "%.*s", d - i, t + i);
				add(f, "quantity", t, i, u + ul, v);
				i = u + ul - 1;
				continue;
			}
		}
		/* number words */
		if (isalpha((unsigned char)t[i]) && at_start(t, i)) {
			int matched = 0;
			for (size_t w = 0; w < ARRAY_LEN(numwords) && !matched; w++) {
				int l = (int)strlen(numwords[w].w);
				if (strncasecmp(t + i, numwords[w].w, (size_t)l) || (i + l < n && is_alnum(t[i + l])))
					continue;
				int u = i + l + (i + l < n && t[i + l] == ' ');
				int ul = unit_at(t + u);
				if (ul || numwords[w].alone) {
					util_snprintf(v, sizeof(v), "%d", numwords[w].v);
					add(f, "quantity", t, i, ul ? u + ul : i + l, v);
					i = (ul ? u + ul : i + l) - 1;
					matched = 1;
				}
			}
			if (matched)
				continue;
			while (i + 1 < n && is_alnum(t[i + 1]))
				i++;
			continue;
		}
		/* 两个, 三件 */
		if ((unsigned char)t[i] >= 0x80) {
			for (size_t w = 0; w < ARRAY_LEN(han_nums); w++) {
				int l = (int)strlen(han_nums[w].w);
				int ml;
				if (!strncmp(t + i, han_nums[w].w, (size_t)l) && (ml = han_measure_at(t + i + l))) {
					util_snprintf(v, sizeof(v), "%d", han_nums[w].v);
					add(f, "quantity", t, i, i + l + ml, v);
					i += l + ml - 1;
					break;
				}
			}
		}
	}
}

/* --- stores ------------------------------------------------------------------ */

static void find_stores(const char *t, int n, const struct ent_stores *stores, struct found *f)
{
	for (int s = 0; stores && s < stores->n; s++) {
		size_t l = strlen(stores->name[s]);
		for (int i = 0; l && i + (int)l <= n; i++) {
			if (!at_start(t, i) || strncasecmp(t + i, stores->name[s], l) ||
			    (i + (int)l < n && is_alnum(t[i + (int)l])))
				continue;
			add(f, "store", t, i, i + (int)l, stores->name[s]);
			i += (int)l - 1;
		}
	}
}

int ent_stores_parse(struct ent_stores *stores, const char *list, char *buf, size_t buflen)
{
	size_t o = 0;
	stores->n = 0;
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ',')
			e++;
		const char *end = e;
		while (end > p && end[-1] == ' ')
			end--;
		if (end > p) {
			size_t l = (size_t)(end - p);
			if (stores->n == ENT_MAX_STORES || o + l + 1 > buflen)
				return -1;
			memcpy(buf + o, p, l);
			buf[o + l] = '\0';
			stores->name[stores->n++] = buf + o;
			o += l + 1;
		}
		p = e;
	}
	return stores->n;
}

static int cmp_start(const void *a, const void *b)
{
	return ((const struct ent *)a)->start - ((const struct ent *)b)->start;
}

int ent_extract(const char *text, const struct ent_stores *stores, struct ent *out, int max)
{
	struct found f = { out, 0, max };
	size_t len = strlen(text);
	int n = (int)(len > MAX_SCAN ? MAX_SCAN : len);
	/* priority order: a later rule never claims bytes an earlier one took */
	find_emails(text, n, &f);
	find_ord_ids(text, n, &f);
	find_skus(text, n, &f);
	find_numbers(text, n, &f);
	find_stores(text, n, stores, &f);
	find_quantities(text, n, &f);
	qsort(out, (size_t)f.n, sizeof(*out), cmp_start);
	return f.n;
}
