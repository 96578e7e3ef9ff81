/* hmap: string-keyed map. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

#include "hmap.h"
#include "../testutil.h"

TestSuite(hmap, .fini = tu_leak_check);

#define V(i) ((void *)(intptr_t)(i))

Test(hmap, put_get_replace_del)
{
	struct hmap *m = hmap_new(0);
	cr_assert_null(hmap_get(m, "a"));
	cr_assert_null(hmap_put(m, "a", V(1)));
	cr_assert_null(hmap_put(m, "b", V(2)));
	cr_assert_eq(hmap_get(m, "a"), V(1));
	cr_assert_eq(hmap_get(m, "b"), V(2));
	cr_assert_eq(hmap_len(m), 2);

	cr_assert_eq(hmap_put(m, "a", V(3)), V(1), "replace returns the old value");
	cr_assert_eq(hmap_get(m, "a"), V(3));
	cr_assert_eq(hmap_len(m), 2, "replace does not add");

	cr_assert_eq(hmap_del(m, "a"), V(3));
	cr_assert_null(hmap_get(m, "a"));
	cr_assert_null(hmap_del(m, "a"), "second delete finds nothing");
	cr_assert_eq(hmap_len(m), 1);
	cr_assert_eq(hmap_get(m, "b"), V(2));
	hmap_free(m);
}

Test(hmap, keys_are_copied)
{
	struct hmap *m = hmap_new(4);
	char key[8] = "k1";
	hmap_put(m, key, V(1));
	key[1] = '2';
	cr_assert_eq(hmap_get(m, "k1"), V(1));
	cr_assert_null(hmap_get(m, "k2"));
	cr_assert_null(hmap_get(m, ""));
	hmap_put(m, "", V(9));
	cr_assert_eq(hmap_get(m, ""), V(9), "empty key is a key");
	hmap_free(m);
}

Test(hmap, grows_past_many_thousands)
{
	struct hmap *m = hmap_new(1);
	char k[32];
	for (int i = 0; i < 50000; i++) {
		snprintf(k, sizeof(k), "key-%d", i);
		cr_assert_null(hmap_put(m, k, V(i + 1)));
	}
	cr_assert_eq(hmap_len(m), 50000);
	for (int i = 0; i < 50000; i++) {
		snprintf(k, sizeof(k), "key-%d", i);
		cr_assert_eq(hmap_get(m, k), V(i + 1), "%s", k);
	}
	cr_assert_null(hmap_get(m, "key-50000"));
	hmap_free(m);
}

static int drop_even(void *arg, const char *key, void *value)
{
	(void)key;
	(*(int *)arg)++;
	return ((intptr_t)value % 2) == 0;
}

Test(hmap, sweep_removes_half)
{
	struct hmap *m = hmap_new(16);
	char k[32];
	for (int i = 1; i <= 10000; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		hmap_put(m, k, V(i));
	}
	int visited = 0;
	hmap_sweep(m, drop_even, &visited);
	cr_assert_eq(visited, 10000);
	cr_assert_eq(hmap_len(m), 5000);
	for (int i = 1; i <= 10000; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		if (i % 2)
			cr_assert_eq(hmap_get(m, k), V(i), "%s kept", k);
		else
			cr_assert_null(hmap_get(m, k), "%s removed", k);
	}
	hmap_free(m);
}
