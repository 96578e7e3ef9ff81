/* hmap: a string-keyed hash map with separate chaining. Not thread-safe:
 * the owner locks. Keys are copied; values are the caller's. */
#ifndef COMMON_HMAP_H
#define COMMON_HMAP_H

#include <stddef.h>

struct hmap;

struct hmap *hmap_new(size_t initial_buckets);
/* Frees the map and its keys, not the values. */
void hmap_free(struct hmap *m);
void *hmap_get(const struct hmap *m, const char *key);
/* Insert or replace; returns the previous value or NULL. */
void *hmap_put(struct hmap *m, const char *key, void *value);
/* Remove; returns the value or NULL. */
void *hmap_del(struct hmap *m, const char *key);
size_t hmap_len(const struct hmap *m);
/* Call fn for every entry; when fn returns 1 the entry is removed (fn
 * frees the value if it owns it). */
void hmap_sweep(struct hmap *m, int (*fn)(void *arg, const char *key, void *value), void *arg);

#endif
