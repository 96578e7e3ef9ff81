/* util: bounded strings, number parsing, UUIDs and id validation. */
#include <criterion/criterion.h>
#include <string.h>

#include "hmap.h"
#include "util.h"
#include "../testutil.h"

TestSuite(util, .fini = tu_leak_check);

Test(util, strlcpy_copies_and_truncates)
{
	char buf[8];
	cr_assert_eq(util_strlcpy(buf, "abc", sizeof(buf)), 3);
	cr_assert_str_eq(buf, "abc");

	memset(buf, 'x', sizeof(buf));
	cr_assert_eq(util_strlcpy(buf, "0123456789", sizeof(buf)), 10, "returns the source length");
	cr_assert_str_eq(buf, "0123456", "keeps dstlen-1 bytes and a NUL");

	cr_assert_eq(util_strlcpy(buf, "exactly", sizeof(buf)), 7);
	cr_assert_str_eq(buf, "exactly");

	buf[0] = 'q';
	cr_assert_eq(util_strlcpy(buf, "abc", 0), 3, "dstlen 0 only measures");
	cr_assert_eq(buf[0], 'q', "dstlen 0 writes nothing");
}

Test(util, snprintf_reports_overflow)
{
	char buf[6];
	cr_assert_eq(util_snprintf(buf, sizeof(buf), "%s", "hello"), 5);
	cr_assert_str_eq(buf, "hello");
	cr_assert_eq(util_snprintf(buf, sizeof(buf), "%s!", "hello"), -1, "6 chars do not fit in 6 bytes");
	cr_assert_eq(util_snprintf(buf, sizeof(buf), "%d", 1234567), -1);
	cr_assert_eq(strlen(buf), 5, "still NUL-terminated after overflow");
}

Test(util, parse_long_bounds_and_garbage)
{
	long v = -7;
	cr_assert_eq(util_parse_long("42", 0, 100, &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(util_parse_long("-5", -10, 10, &v), 0);
	cr_assert_eq(v, -5);
	cr_assert_eq(util_parse_long("0", 0, 0, &v), 0, "min == max inclusive");
	cr_assert_eq(util_parse_long("100", 0, 100, &v), 0, "max is inclusive");

	v = 7;
	cr_assert_eq(util_parse_long("101", 0, 100, &v), -1, "above max");
	cr_assert_eq(util_parse_long("-1", 0, 100, &v), -1, "below min");
	cr_assert_eq(util_parse_long("", 0, 100, &v), -1, "empty");
	cr_assert_eq(util_parse_long(NULL, 0, 100, &v), -1, "NULL");
	cr_assert_eq(util_parse_long("12abc", 0, 100, &v), -1, "trailing garbage");
	cr_assert_eq(util_parse_long("abc", 0, 100, &v), -1, "no digits");
	cr_assert_eq(util_parse_long("1.5", 0, 100, &v), -1, "not whole");
	cr_assert_eq(util_parse_long("12 ", 0, 100, &v), -1, "trailing space");
	cr_assert_eq(util_parse_long("99999999999999999999999", 0, 100, &v), -1, "overflow (ERANGE)");
	cr_assert_eq(util_parse_long("99999999999999999999999", -1, 0x7fffffffffffffffL, &v), -1,
		     "overflow even with the widest bounds");
	cr_assert_eq(v, 7, "out is untouched on error");
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

Test(util, uuid_format)
{
	for (int n = 0; n < 100; n++) {
		char u[37];
		memset(u, 'Z', sizeof(u));
		util_uuid(u);
		cr_assert_eq(strlen(u), 36, "%s", u);
		for (int i = 0; i < 36; i++) {
			if (i == 8 || i == 13 || i == 18 || i == 23)
				cr_assert_eq(u[i], '-', "%s: dash at %d", u, i);
			else
				cr_assert(is_hex(u[i]), "%s: lower-case hex at %d", u, i);
		}
		cr_assert_eq(u[14], '4', "%s: version 4", u);
		cr_assert(strchr("89ab", u[19]) != NULL, "%s: RFC 4122 variant", u);
		cr_assert(util_valid_id(u, 64), "a uuid is a valid id");
	}
}

Test(util, uuid_unique_over_1000)
{
	struct hmap *seen = hmap_new(16);
	for (int i = 0; i < 1000; i++) {
		char u[37];
		util_uuid(u);
		cr_assert_null(hmap_put(seen, u, (void *)1), "uuid %s repeated after %d", u, i);
	}
	cr_assert_eq(hmap_len(seen), 1000);
	hmap_free(seen);
}

Test(util, valid_id)
{
	cr_assert_eq(util_valid_id("abc", 8), 1);
	cr_assert_eq(util_valid_id("A-z_0.9:x", 16), 1, "every allowed punctuation");
	cr_assert_eq(util_valid_id("12345678", 8), 1, "exactly maxlen");
	cr_assert_eq(util_valid_id("123456789", 8), 0, "one over maxlen");
	cr_assert_eq(util_valid_id("", 8), 0, "empty");
	cr_assert_eq(util_valid_id(NULL, 8), 0, "NULL");
	cr_assert_eq(util_valid_id("a b", 8), 0, "space");
	cr_assert_eq(util_valid_id(" ab", 8), 0, "leading space");
	cr_assert_eq(util_valid_id("a/b", 8), 0, "slash");
	cr_assert_eq(util_valid_id("../x", 8), 0, "path");
	cr_assert_eq(util_valid_id("caf\xc3\xa9", 8), 0, "unicode");
	cr_assert_eq(util_valid_id("a\nb", 8), 0, "newline");
	cr_assert_eq(util_valid_id("a\"b", 8), 0, "quote");
}

Test(util, xstrndup_and_asprintf)
{
	char *s = xstrndup("abcdef", 3);
	cr_assert_str_eq(s, "abc");
	free(s);
	s = xasprintf("%s-%d", "n", 12);
	cr_assert_str_eq(s, "n-12");
	free(s);
}

Test(util, utf8_prefix_never_splits_a_character)
{
	const char *s = "ab\xe5\x93\x81" "cd"; /* a b 品 c d */
	cr_assert_eq(util_utf8_prefix(s, 2), 2);
	cr_assert_eq(util_utf8_prefix(s, 3), 2);
	cr_assert_eq(util_utf8_prefix(s, 4), 2);
	cr_assert_eq(util_utf8_prefix(s, 5), 5);
	cr_assert_eq(util_utf8_prefix(s, 100), 7);
	cr_assert_eq(util_utf8_prefix("", 3), 0);
}

Test(util, parse_long_wants_exactly_a_number)
{
	long v = 0;
	cr_assert_eq(util_parse_long(" 12", 0, 100, &v), -1);
	cr_assert_eq(util_parse_long("+12", 0, 100, &v), -1);
	cr_assert_eq(util_parse_long("-", -5, 5, &v), -1);
	cr_assert_eq(util_parse_long("-3", -5, 5, &v), 0);
	cr_assert_eq(v, -3);
}

Test(util, has_word_matches_whole_words_or_han_anywhere)
{
	cr_assert(util_has_word("Can I SEND IT BACK?", "send it back"));
	cr_assert(util_has_word("it", "it"));
	cr_assert_not(util_has_word("shipment", "ship"));
	cr_assert_not(util_has_word("bookshop", "shop"));
	cr_assert(util_has_word("ship-it", "ship"), "a hyphen ends a word");
	cr_assert(util_has_word("我想退钱", "退钱"));
	cr_assert_not(util_has_word("", "ship"));
}
