/* log: JSON escaping of log fields. */
#include <criterion/criterion.h>
#include <string.h>

#include "log.h"
#include "../testutil.h"

TestSuite(log, .fini = tu_leak_check);

Test(log, escape_plain_text_unchanged)
{
	char out[64];
	cr_assert_eq(log_json_escape(out, sizeof(out), "hello world"), 11);
	cr_assert_str_eq(out, "hello world");
}

Test(log, escape_specials)
{
	char out[64];
	size_t n = log_json_escape(out, sizeof(out), "a\"b\\c\nd\re\tf");
	cr_assert_str_eq(out, "a\\\"b\\\\c\\nd\\re\\tf");
	cr_assert_eq(n, strlen(out));
}

Test(log, escape_control_chars_as_unicode)
{
	char out[64];
	log_json_escape(out, sizeof(out), "x\x01y\x1fz");
	cr_assert_str_eq(out, "x\\u0001y\\u001fz");
}

Test(log, escape_keeps_utf8)
{
	char out[64];
	log_json_escape(out, sizeof(out), "caf\xc3\xa9 \xe4\xbd\xa0");
	cr_assert_str_eq(out, "caf\xc3\xa9 \xe4\xbd\xa0");
}

Test(log, escape_truncates_at_buffer)
{
	char out[8];
	memset(out, 'Z', sizeof(out));
	size_t n = log_json_escape(out, sizeof(out), "0123456789");
	cr_assert_eq(n, 7);
	cr_assert_str_eq(out, "0123456");
}

Test(log, escape_never_splits_an_escape)
{
	char out[4];
	/* "ab" fits; "\"" needs 2 more bytes and only 1 is left before the NUL. */
	cr_assert_eq(log_json_escape(out, sizeof(out), "ab\"c"), 2);
	cr_assert_str_eq(out, "ab");

	char out6[6];
	cr_assert_eq(log_json_escape(out6, sizeof(out6), "x\x01"), 1, "\\u0001 is 6 bytes: does not fit");
	cr_assert_str_eq(out6, "x");

	char out7[7];
	cr_assert_eq(log_json_escape(out7, sizeof(out7), "\x01"), 6);
	cr_assert_str_eq(out7, "\\u0001");

	char out5[5];
	cr_assert_eq(log_json_escape(out5, sizeof(out5), "a\\\\"), 3, "one escaped backslash, not half of the second");
	cr_assert_str_eq(out5, "a\\\\");
}

Test(log, escape_zero_length_buffer)
{
	char out[1] = { 'Z' };
	cr_assert_eq(log_json_escape(out, 0, "abc"), 0);
	cr_assert_eq(out[0], 'Z');
	cr_assert_eq(log_json_escape(out, 1, "abc"), 0);
	cr_assert_eq(out[0], '\0');
}

Test(log, level_parse)
{
	enum log_level l = LOG_ERROR;
	cr_assert_eq(log_level_parse("debug", &l), 0);
	cr_assert_eq(l, LOG_DEBUG);
	cr_assert_eq(log_level_parse("warn", &l), 0);
	cr_assert_eq(l, LOG_WARN);
	cr_assert_eq(log_level_parse("verbose", &l), -1);
	cr_assert_eq(l, LOG_WARN);
}
