/* catalog: product names indexed by first word; see catalog.h. */
#include "catalog.h"

#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "util.h"

#define KEY_MAX 48 /* bytes of a first word used as its key */

struct centry {
	size_t prod; /* into skus */
	char *lc;    /* the name, ASCII lower-cased */
	size_t len;
};

struct cbucket {
	struct centry *v;
	size_t n, cap;
};

struct guard_catalog {
	struct hmap *index; /* first word, or first character, of a name -> struct cbucket */
	char (*skus)[GUARD_PRICE_SKU_MAX];
	size_t n, cap;
};

static int alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char *lower_dup(const char *s, size_t n)
{
	char *o = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		o[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
	o[n] = '\0';
	return o;
}

static size_t utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* The key of lower-cased text at s[0..n): its first word when it starts
 * with an ASCII letter or digit, else its first character. */
static size_t key_len(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t k = 1;
	if (alnum(c))
		while (k < n && k < KEY_MAX && alnum((unsigned char)s[k]))
			k++;
	else if (c >= 0x80)
		k = utf8_len(c) < n ? utf8_len(c) : n;
	return k;
}

struct guard_catalog *guard_catalog_new(void)
{
	struct guard_catalog *c = xcalloc(1, sizeof(*c));
	c->index = hmap_new(256);
	return c;
}

static int free_bucket(void *arg, const char *key, void *value)
{
	(void)arg;
	(void)key;
	struct cbucket *b = value;
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].lc);
	free(b->v);
	free(b);
	return 1;
}

void guard_catalog_free(struct guard_catalog *c)
{
	if (!c)
		return;
	hmap_sweep(c->index, free_bucket, NULL);
	hmap_free(c->index);
	free(c->skus);
	free(c);
}

size_t guard_catalog_len(const struct guard_catalog *c)
{
	return c->n;
}

static void add_variant(struct guard_catalog *c, size_t prod, const char *name, size_t n)
{
	while (n > 0 && name[n - 1] == ' ')
		n--;
	while (n > 0 && name[0] == ' ') {
		name++;
		n--;
	}
	if (n == 0)
		return;
	char *lc = lower_dup(name, n);
	char key[KEY_MAX + 8];
	size_t kl = key_len(lc, n);
	memcpy(key, lc, kl);
	key[kl] = '\0';
	struct cbucket *b = hmap_get(c->index, key);
	if (!b) {
		b = xcalloc(1, sizeof(*b));
		hmap_put(c->index, key, b);
	}
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].prod == prod && b->v[i].len == n && !memcmp(b->v[i].lc, lc, n)) {
			free(lc);
			return;
		}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4;
		b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
	}
	b->v[b->n++] = (struct centry){ prod, lc, n };
}

/* A Latin name and its part before the first comma (6 bytes or more). */
static void add_latin(struct guard_catalog *c, size_t prod, const char *name)
{
	if (!name || !name[0])
		return;
	size_t full = strlen(name), base = strcspn(name, ",");
	add_variant(c, prod, name, full);
	while (base > 0 && name[base - 1] == ' ')
		base--;
	if (base >= 6 && base < full)
		add_variant(c, prod, name, base);
}

/* A Chinese name by its part before "（" (the whole name when it has
 * none), 2 characters or more. */
static void add_han(struct guard_catalog *c, size_t prod, const char *name)
{
	if (!name || !name[0])
		return;
	const char *paren = strstr(name, "（");
	size_t n = paren ? (size_t)(paren - name) : strlen(name), chars = 0;
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)name[i] & 0xc0) != 0x80;
	if (chars >= 2)
		add_variant(c, prod, name, n);
}

void guard_catalog_add(struct guard_catalog *c, const char *sku, const char *name, const char *name_ms,
		       const char *name_zh)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->skus = xrealloc(c->skus, c->cap * sizeof(*c->skus));
	}
	size_t prod = c->n++;
	util_strlcpy(c->skus[prod], sku, sizeof(c->skus[prod]));
	add_latin(c, prod, name);
	add_latin(c, prod, name_ms);
	add_han(c, prod, name_zh);
}

static size_t add_sku(char skus[][GUARD_PRICE_SKU_MAX], size_t n, size_t max, const char *sku)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(skus[i], sku))
			return n;
	if (n < max)
		util_strlcpy(skus[n++], sku, GUARD_PRICE_SKU_MAX);
	return n;
}

size_t guard_catalog_match(const struct guard_catalog *c, const char *text, char skus[][GUARD_PRICE_SKU_MAX],
			   size_t n, size_t max)
{
	size_t len = strlen(text);
	char *lt = lower_dup(text, len);
	char key[KEY_MAX + 8];
	for (size_t i = 0; i < len && n < max;) {
		unsigned char ch = (unsigned char)lt[i];
		if (ch == ' ' || ch == '\n' || ch == '\t' || (ch & 0xc0) == 0x80 ||
		    (alnum(ch) && i > 0 && alnum((unsigned char)lt[i - 1]))) {
			i++;
			continue;
		}
		size_t kl = key_len(lt + i, len - i);
		memcpy(key, lt + i, kl);
		key[kl] = '\0';
		const struct cbucket *b = hmap_get(c->index, key);
		for (size_t k = 0; b && k < b->n && n < max; k++) {
			const struct centry *e = &b->v[k];
			if (e->len <= len - i && !memcmp(lt + i, e->lc, e->len))
				n = add_sku(skus, n, max, c->skus[e->prod]);
		}
		i += alnum(ch) ? kl : 1;
	}
	free(lt);
	return n;
}
