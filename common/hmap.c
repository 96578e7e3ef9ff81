/* hmap: a string-keyed hash map with separate chaining. */
#include "hmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct node {
	char *key;
	void *value;
	uint64_t hash;
	struct node *next;
};

struct hmap {
	struct node **buckets;
	size_t nbuckets; /* a power of two */
	size_t len;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

struct hmap *hmap_new(size_t initial)
{
	struct hmap *m = xcalloc(1, sizeof(*m));
	size_t n = 16;
	while (n < initial)
		n <<= 1;
	m->nbuckets = n;
	m->buckets = xcalloc(n, sizeof(*m->buckets));
	return m;
}

void hmap_free(struct hmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct node *n = m->buckets[i];
		while (n) {
			struct node *next = n->next;
			free(n->key);
			free(n);
			n = next;
		}
	}
	free(m->buckets);
	free(m);
}

static struct node **find(const struct hmap *m, const char *key, uint64_t h)
{
	struct node **np = &m->buckets[h & (m->nbuckets - 1)];
	for (; *np; np = &(*np)->next)
		if ((*np)->hash == h && !strcmp((*np)->key, key))
			return np;
	return np;
}

void *hmap_get(const struct hmap *m, const char *key)
{
	struct node **np = find(m, key, hash_str(key));
	return *np ? (*np)->value : NULL;
}

static void grow(struct hmap *m)
{
	size_t n = m->nbuckets * 2;
	struct node **b = xcalloc(n, sizeof(*b));
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct node *nd = m->buckets[i];
		while (nd) {
			struct node *next = nd->next;
			nd->next = b[nd->hash & (n - 1)];
			b[nd->hash & (n - 1)] = nd;
			nd = next;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

void *hmap_put(struct hmap *m, const char *key, void *value)
{
	uint64_t h = hash_str(key);
	struct node **np = find(m, key, h);
	if (*np) {
		void *old = (*np)->value;
		(*np)->value = value;
		return old;
	}
	struct node *nd = xmalloc(sizeof(*nd));
	nd->key = xstrdup(key);
	nd->value = value;
	nd->hash = h;
	nd->next = NULL;
	*np = nd;
	if (++m->len > m->nbuckets)
		grow(m);
	return NULL;
}

void *hmap_del(struct hmap *m, const char *key)
{
	struct node **np = find(m, key, hash_str(key));
	if (!*np)
		return NULL;
	struct node *nd = *np;
	void *v = nd->value;
	*np = nd->next;
	free(nd->key);
	free(nd);
	m->len--;
	return v;
}

size_t hmap_len(const struct hmap *m)
{
	return m->len;
}

void hmap_sweep(struct hmap *m, int (*fn)(void *arg, const char *key, void *value), void *arg)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct node **np = &m->buckets[i];
		while (*np) {
			struct node *nd = *np;
			if (fn(arg, nd->key, nd->value)) {
				*np = nd->next;
				free(nd->key);
				free(nd);
				m->len--;
			} else {
				np = &nd->next;
			}
		}
	}
}
