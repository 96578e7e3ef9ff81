/* redact: each rule's positives and negatives, and streams cut anywhere. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../testutil.h"
#include "services/guardrail/redact.h"

TestSuite(redact, .fini = tu_leak_check);

/* Redact with every kind and compare. */
static void expect(const char *in, const char *want)
{
	char *got = redact_text(in, REDACT_ALL, NULL);
	cr_expect_str_eq(got, want, "input: %s", in);
	free(got);
}

static void unchanged(const char *in)
{
	expect(in, in);
}

Test(redact, luhn)
{
	cr_assert(redact_luhn("4111111111111111", 16));
	cr_assert(redact_luhn("79927398713", 11));
	cr_assert(!redact_luhn("4111111111111112", 16));
	cr_assert(!redact_luhn("79927398710", 11));
	cr_assert(!redact_luhn("", 0));
	cr_assert(!redact_luhn("4111-1111", 9), "non-digits fail");
}

Test(redact, nric_date_and_place)
{
	cr_assert(redact_nric_valid("900101145678"));
	cr_assert(redact_nric_valid("000229015678"), "29 February is allowed in any year");
	cr_assert(redact_nric_valid("851231995678"), "98/99 are foreign codes");
	cr_assert(!redact_nric_valid("901301145678"), "month 13");
	cr_assert(!redact_nric_valid("900001145678"), "month 00");
	cr_assert(!redact_nric_valid("900230145678"), "30 February");
	cr_assert(!redact_nric_valid("900431145678"), "31 April");
	cr_assert(!redact_nric_valid("900100145678"), "day 00");
	cr_assert(!redact_nric_valid("900101005678"), "place 00");
	cr_assert(!redact_nric_valid("900101175678"), "place 17");
	cr_assert(!redact_nric_valid("900101205678"), "place 20");
	cr_assert(!redact_nric_valid("900101705678"), "place 70");
	cr_assert(!redact_nric_valid("900101955678"), "place 95");
	for (int pb = 0; pb < 100; pb++) {
		int want = (pb >= 1 && pb <= 16) || (pb >= 21 && pb <= 68) || pb == 71 || pb == 72 ||
			   (pb >= 74 && pb <= 79) || (pb >= 82 && pb <= 93) || pb >= 98;
		cr_expect_eq(redact_nric_place_ok(pb), want, "place code %02d", pb);
	}
}

Test(redact, nric)
{
	expect("IC saya 900101-14-5678.", "IC saya [NRIC].");
	expect("my ic 900101145678 thanks", "my ic [NRIC] thanks");
	expect("NRIC: 900101 14 5678", "NRIC: [NRIC]");
	expect("(880229-08-1234)", "([NRIC])");
	expect("身份证900101-14-5678。", "身份证[NRIC]。");
	unchanged("bad month 901301-14-5678");
	unchanged("bad day 900231145678");
	unchanged("bad place 900101-00-5678 and 900101195678");
	unchanged("too long 9001011456789 and 1900101145678");
	unchanged("glued A900101145678 and 900101145678B");
	unchanged("wrong grouping 9001-0114-5678");
	unchanged("dashed run 900101-14-5678-9");
}

Test(redact, order_numbers_are_not_nric)
{
	unchanged("order 900101145678 has shipped");
	unchanged("Order #900101145678");
	unchanged("Order No. 900101145678");
	unchanged("my order number is 900101145678");
	unchanged("no. pesanan: 900101145678");
	unchanged("Pesanan 900101145678 sudah dihantar");
	unchanged("订单号：900101145678");
	unchanged("ORD900101145678 ORD-900101145678 ORD 900101145678");
	unchanged("SKU-900101145678 and sku 900101145678");
	expect("order 900101-14-5678", "order [NRIC]");
	expect("IC #900101145678", "IC #[NRIC]");
}

Test(redact, phone)
{
	expect("call 012-345 6789", "call [PHONE]");
	expect("call 0123456789.", "call [PHONE].");
	expect("+60 12-345 6789", "[PHONE]");
	expect("+6012-3456789", "[PHONE]");
	expect("60123456789", "[PHONE]");
	expect("+60 11-2345 6789", "[PHONE]");
	expect("011-2345 6789", "[PHONE]");
	expect("(03) 7890 1234", "[PHONE]");
	expect("03-7890 1234", "[PHONE]");
	expect("+603-7890 1234", "[PHONE]");
	expect("04-123 4567 / 082-123 456", "[PHONE] / [PHONE]");
	expect("+60 (12) 345 6789", "[PHONE]");
	expect("(+60) 12 345 6789", "[PHONE]");
	expect("(03)78901234", "[PHONE]");
	expect("+60 (0)12-345 6789", "[PHONE]");
	expect("012 - 345 6789", "[PHONE]");
	expect("电话：012-3456789，谢谢", "电话：[PHONE]，谢谢");
	expect("0123456789/0198765432", "[PHONE]/[PHONE]");
	unchanged("S/N 0123456789");
	expect("https://wa.me/60123456789", "https://wa.me/[PHONE]");
	expect("hubungi 019.876.5432", "hubungi [PHONE]");
	unchanged("012-345 678");          /* too short for a mobile */
	unchanged("012-345 67890");        /* too long for 012 */
	unchanged("0012345678");           /* no such trunk */
	unchanged("+65 9123 4567");        /* not Malaysian */
	unchanged("1-300-88-1234");        /* toll-free: a business line */
	unchanged("01234567890123");
	unchanged("order 0123456789");
	unchanged("product code 0123-4567-89, order no. 012-345 6789");
	expect("order +60 12-345 6789", "order [PHONE]");
}

Test(redact, prices_dates_and_codes_are_kept)
{
	unchanged("RM 1,299.00");
	unchanged("RM1299.00 or RM 12,345,678.90");
	unchanged("on 12/03/2024 at 10:30");
	unchanged("2024-03-15 and 15-03-2024");
	unchanged("SKU AB-12345-XL, model 2023");
	unchanged("30 days, 2 items, 0.99 each");
	unchanged("barcode 9556789012345");
	unchanged("tracking MY123456789012 and 1234 5678 9012");
}

Test(redact, email)
{
	expect("mail Ali.Baba+shop@Example.COM.my.", "mail [EMAIL].");
	expect("x_y-z%1@sub-domain.example.org, ok", "[EMAIL], ok");
	expect("<siti@gmail.com>", "<[EMAIL]>");
	expect("邮箱wang@qq.com谢谢", "邮箱[EMAIL]谢谢");
	expect("0123456789@gmail.com", "[EMAIL]");
	unchanged("user@localhost");
	unchanged("a@b.c");
	unchanged("name@domain.c0m");
	unchanged("@handle and foo@ and @bar.com");
	unchanged("x@-bad.com");
	unchanged("dot.@example.com");
	unchanged("icon@2x.png and scan@2024.PDF");
}

Test(redact, card)
{
	expect("card 4111 1111 1111 1111 ok", "card [CARD] ok");
	expect("4111-1111-1111-1111", "[CARD]");
	expect("4111111111111111", "[CARD]");
	expect("mc 5555555555554444", "mc [CARD]");
	expect("mc2 2223003122003222", "mc2 [CARD]");
	expect("amex 3782 822463 10005", "amex [CARD]");
	expect("amex 378282246310005", "amex [CARD]");
	expect("visa13 4222222222222", "visa13 [CARD]");
	unchanged("4111 1111 1111 1112");  /* fails Luhn */
	unchanged("1234 5678 9012 3452");  /* passes Luhn, no issuer starts with 1 */
	unchanged("4111 1111-1111 1111");  /* mixed separators */
	unchanged("41111 1111 1111 111");  /* not grouped in fours */
	unchanged("41111111111111111111"); /* 20 digits */
}

Test(redact, kinds_mask_and_counts)
{
	struct redact_counts rc = { { 0 } };
	char *s = redact_text("ic 900101-14-5678, 012-345 6789, a@b.co, 4111111111111111, 0198765432", REDACT_ALL,
			      &rc);
	cr_assert_str_eq(s, "ic [NRIC], [PHONE], [EMAIL], [CARD], [PHONE]");
	cr_assert_eq(rc.n[REDACT_NRIC], 1);
	cr_assert_eq(rc.n[REDACT_PHONE], 2);
	cr_assert_eq(rc.n[REDACT_EMAIL], 1);
	cr_assert_eq(rc.n[REDACT_CARD], 1);
	free(s);
	s = redact_text("a@b.co 012-345 6789", REDACT_MASK(REDACT_EMAIL), NULL);
	cr_assert_str_eq(s, "[EMAIL] 012-345 6789");
	free(s);
	cr_assert_str_eq(redact_kind_name(REDACT_PHONE), "phone");
	cr_assert_str_eq(redact_placeholder(REDACT_CARD), "[CARD]");
}

Test(redact, utf8_and_odd_bytes_pass_through)
{
	unchanged("");
	unchanged("全角数字９００１０１１４５６７８不算");
	unchanged("Terima kasih! 谢谢 🙏");
	unchanged("\xff\xfe broken \xe4\xbd utf-8 \xc3");
	expect("\xe4\xbd" "900101145678", "\xe4\xbd[NRIC]");
}

/* The pieces a stream emits must be whole UTF-8 characters. */
static void assert_utf8_whole(const char *s)
{
	size_t n = strlen(s);
	cr_assert_eq(util_utf8_prefix(s, n), n, "a piece ends inside a character: \"%s\"", s);
	cr_assert(n == 0 || ((unsigned char)s[0] & 0xc0) != 0x80, "a piece starts inside a character");
}

static const char *const stream_samples[] = {
	"Hi Ali, IC 900101-14-5678, tel +60 12-345 6789, mel ali.baba@example.com.my. Kad 4111 1111 1111 "
	"1111. Order 900101145678, RM 1,299.00 on 12/03/2024.",
	"您好，身份证900101145678，电话0123456789，邮箱wang@qq.com；订单号：900101145678。",
	"a@b.co",
	"012-345 6789",
	"x 4111111111111111",
};

static char *stream_through(const char *text, const size_t *cuts, int ncuts)
{
	struct redact_stream rs;
	redact_stream_init(&rs, REDACT_ALL);
	size_t len = strlen(text), prev = 0;
	char *all = xstrdup("");
	for (int i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		char *piece = redact_stream_feed(&rs, text + prev, end - prev, i == ncuts);
		assert_utf8_whole(piece);
		char *joined = xasprintf("%s%s", all, piece);
		free(all);
		free(piece);
		all = joined;
		prev = end;
		cr_assert_leq(redact_stream_held(&rs), REDACT_HOLD_MAX);
	}
	cr_assert_eq(redact_stream_held(&rs), 0);
	redact_stream_release(&rs);
	return all;
}

Test(redact, stream_split_anywhere_equals_whole)
{
	for (size_t s = 0; s < ARRAY_LEN(stream_samples); s++) {
		const char *text = stream_samples[s];
		char *whole = redact_text(text, REDACT_ALL, NULL);
		size_t len = strlen(text);
		for (size_t i = 0; i <= len; i++) {
			char *got = stream_through(text, &i, 1);
			cr_assert_str_eq(got, whole, "sample %zu split at %zu", s, i);
			free(got);
		}
		free(whole);
	}
}

Test(redact, stream_two_cuts_and_byte_by_byte)
{
	const char *text = stream_samples[0];
	char *whole = redact_text(text, REDACT_ALL, NULL);
	size_t len = strlen(text);
	for (size_t i = 0; i <= len; i += 3)
		for (size_t j = i; j <= len; j += 5) {
			size_t cuts[2] = { i, j };
			char *got = stream_through(text, cuts, 2);
			cr_assert_str_eq(got, whole, "split at %zu and %zu", i, j);
			free(got);
		}
	size_t *cuts = xmalloc(len * sizeof(*cuts));
	for (size_t i = 0; i < len; i++)
		cuts[i] = i;
	char *got = stream_through(text, cuts, (int)len);
	cr_assert_str_eq(got, whole, "one byte at a time");
	free(got);
	free(cuts);
	free(whole);
}

Test(redact, stream_never_emits_a_partial_item)
{
	struct redact_stream rs;
	redact_stream_init(&rs, REDACT_ALL);
	char *a = redact_stream_feed(&rs, "call 012-345", 12, 0);
	cr_assert_str_eq(a, "call ", "the number may go on");
	char *b = redact_stream_feed(&rs, " 6789 now", 9, 0);
	cr_assert_str_eq(b, "[PHONE] ");
	char *c = redact_stream_feed(&rs, "", 0, 1);
	cr_assert_str_eq(c, "now");
	cr_assert_eq(rs.counts.n[REDACT_PHONE], 1);
	free(a);
	free(b);
	free(c);
	redact_stream_release(&rs);
}

Test(redact, stream_holds_little_of_plain_text)
{
	struct redact_stream rs;
	redact_stream_init(&rs, REDACT_ALL);
	char *a = redact_stream_feed(&rs, "Your parcel ships today. ", 25, 0);
	cr_assert_str_eq(a, "Your parcel ships today. ");
	free(a);
	/* a long run of letters is decided once it is too long to be an address */
	char big[200];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	a = redact_stream_feed(&rs, big, strlen(big), 0);
	cr_assert_eq(strlen(a), strlen(big), "held %zu", redact_stream_held(&rs));
	free(a);
	redact_stream_release(&rs);
}

Test(redact, filter_lines)
{
	FILE *in = fmemopen((void *)"ic 900101145678\nnothing here\nmail a@b.co", 40, "r");
	char *obuf = NULL;
	size_t olen = 0;
	FILE *out = open_memstream(&obuf, &olen);
	cr_assert_eq(redact_filter(in, out), 0);
	fclose(out);
	fclose(in);
	cr_assert_str_eq(obuf, "ic [NRIC]\nnothing here\nmail [EMAIL]");
	free(obuf);
}

/* Random texts from tricky pieces, cut at random places (a fixed-seed LCG,
 * so failures reproduce). */
Test(redact, stream_random_texts_and_cuts)
{
	static const char *const bits[] = {
		"0", "1", "4", "9", "12", "60", "+", "(", ")", " ", "-", ".", ",", "/", ":", "@", "a", "Z",
		"x.y", "gmail.com", ".my", "#", "order ", "IC ", "900101", "14", "5678", "4111", "1111", "订单",
		"号", "：", "\xe4\xbd\xa0", "\xf0\x9f\x99\x8f", "\xff", "_", "%", "RM ", "012", "345", "6789",
	};
	uint64_t r = 42;
#define NEXT() (r = r * 6364136223846793005ULL + 1442695040888963407ULL, (unsigned)(r >> 33))
	for (int it = 0; it < 3000; it++) {
		char text[300];
		size_t n = 0;
		for (unsigned k = NEXT() % 30; k > 0; k--) {
			const char *b = bits[NEXT() % ARRAY_LEN(bits)];
			size_t l = strlen(b);
			if (n + l >= sizeof(text))
				break;
			memcpy(text + n, b, l);
			n += l;
		}
		text[n] = '\0';
		size_t cuts[8];
		int ncuts = (int)(NEXT() % 8);
		for (int i = 0; i < ncuts; i++)
			cuts[i] = n ? NEXT() % (n + 1) : 0;
		for (int i = 1; i < ncuts; i++) /* insertion sort */
			for (int j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
				size_t t = cuts[j];
				cuts[j] = cuts[j - 1];
				cuts[j - 1] = t;
			}
		char *whole = redact_text(text, REDACT_ALL, NULL);
		char *got = stream_through(text, cuts, ncuts);
		cr_assert_str_eq(got, whole, "text \"%s\"", text);
		free(got);
		free(whole);
	}
#undef NEXT
}
