/* redact: hand-written scanners for Malaysian NRIC and phone numbers, e-mail
 * addresses and payment card numbers, over whole texts and streamed chunks. */
#include "redact.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define EMAIL_LOCAL_MAX 64
#define EMAIL_DOMAIN_MAX 253
#define EMAIL_LABEL_MAX 63
#define NUM_MAX_GROUPS 8
#define NUM_MAX_DIGITS 20
#define ORDER_LOOKBACK 48 /* <= REDACT_CTX: a stream must see the same bytes */

static const char *const kind_names[REDACT_NKINDS] = { "nric", "phone", "email", "card" };
static const char *const placeholders[REDACT_NKINDS] = { "[NRIC]", "[PHONE]", "[EMAIL]", "[CARD]" };

const char *redact_kind_name(enum redact_kind k)
{
	assert(k < REDACT_NKINDS);
	return kind_names[k];
}

const char *redact_placeholder(enum redact_kind k)
{
	assert(k < REDACT_NKINDS);
	return placeholders[k];
}

/* --- output buffer -------------------------------------------------------- */

struct out {
	char *p;
	size_t len;
	size_t cap;
};

static void out_put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 64;
		while (cap < o->len + n + 1)
			cap *= 2;
		o->p = xrealloc(o->p, cap);
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static char *out_take(struct out *o)
{
	if (!o->p)
		return xstrdup("");
	return o->p;
}

/* --- the scanner ---------------------------------------------------------- */

/* One pass over buf[0, len). Every read ahead goes through at(): in a
 * stream (final == 0) a read past the end sets hit_end, which means "not
 * decidable yet": the scanner stops before that position and the stream
 * holds the rest back. Reads behind never pass the look-behind a stream
 * keeps (REDACT_CTX), so a stream decides exactly as a whole-text scan. */
struct scan {
	const char *buf;
	size_t len;
	int final;
	int hit_end;
	unsigned mask;
	const char *const *keep; /* texts whose e-mails and phone numbers stay */
	size_t nkeep;
};

/* 1 when one of s->keep states buf[p, next) word for word. */
static int kept(const struct scan *s, size_t p, size_t next)
{
	for (size_t i = 0; i < s->nkeep; i++)
		if (s->keep[i] && memmem(s->keep[i], strlen(s->keep[i]), s->buf + p, next - p))
			return 1;
	return 0;
}

static int at(struct scan *s, size_t i)
{
	if (i < s->len)
		return (unsigned char)s->buf[i];
	if (!s->final)
		s->hit_end = 1;
	return -1;
}

static int behind(const struct scan *s, size_t p, size_t k)
{
	return p >= k ? (unsigned char)s->buf[p - k] : -1;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(int c)
{
	return is_digit(c) || is_alpha(c);
}

static int is_local(int c)
{
	return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static int is_domain(int c)
{
	return is_alnum(c) || c == '.' || c == '-';
}

/* Bytes of the character at p (1 for an invalid or truncated sequence, so
 * bad input passes through byte by byte without being split further). */
static size_t utf8_len(struct scan *s, size_t p)
{
	int b = at(s, p);
	size_t n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 1;
	for (size_t k = 1; k < n; k++) {
		int c = at(s, p + k);
		if (c < 0 || (c & 0xc0) != 0x80)
			return 1;
	}
	return n;
}

/* --- e-mail --------------------------------------------------------------- */

/* "icon@2x.png", "scan@2024.pdf": file names, not addresses. (Some of
 * these are real TLDs too, but no shop's customers mail from them.) */
static int file_extension(const char *t, size_t n)
{
	static const char *const ext[] = { "png", "jpg", "jpeg", "gif", "webp", "heic", "svg", "bmp", "pdf",
					   "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "csv", "json",
					   "html", "htm", "js", "css", "mp3", "mp4", "mov", "zip", "rar" };
	for (size_t i = 0; i < ARRAY_LEN(ext); i++)
		if (strlen(ext[i]) == n && !strncasecmp(t, ext[i], n))
			return 1;
	return 0;
}

/* A practical RFC 5322 subset: local part of [A-Za-z0-9._%+-] (1..64, not
 * ending in '.'), '@', two or more labels of [A-Za-z0-9-] (1..63, no '-' at
 * either end), the last all letters and 2 or more long. A sentence's full
 * stop after the address is not part of it. Returns the length or 0. */
static size_t match_email(struct scan *s, size_t p)
{
	size_t i = p;
	int c;
	while (is_local(c = at(s, i)))
		if (++i - p > EMAIL_LOCAL_MAX)
			return 0;
	if (c != '@' || i == p || s->buf[i - 1] == '.')
		return 0;
	size_t d = ++i;
	while (is_domain(c = at(s, i)))
		if (++i - d > EMAIL_DOMAIN_MAX)
			return 0;
	if (c == '@')
		return 0;
	size_t e = i;
	while (e > d && (s->buf[e - 1] == '.' || s->buf[e - 1] == '-'))
		e--;
	size_t labels = 0, ls = d, last_len = 0;
	int last_alpha = 0;
	for (size_t j = d; j <= e; j++) {
		if (j < e && s->buf[j] != '.')
			continue;
		size_t n = j - ls;
		if (n == 0 || n > EMAIL_LABEL_MAX || s->buf[ls] == '-' || s->buf[j - 1] == '-')
			return 0;
		labels++;
		last_len = n;
		last_alpha = 1;
		for (size_t k = ls; k < j; k++)
			if (!is_alpha((unsigned char)s->buf[k]))
				last_alpha = 0;
		ls = j + 1;
	}
	if (labels < 2 || last_len < 2 || !last_alpha || file_extension(s->buf + e - last_len, last_len))
		return 0;
	return e - p;
}

/* --- numbers -------------------------------------------------------------- */

int redact_luhn(const char *d, size_t n)
{
	int sum = 0;
	for (size_t i = 0; i < n; i++) {
		int v = d[n - 1 - i] - '0';
		if (v < 0 || v > 9)
			return 0;
		if (i & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return n > 0 && sum % 10 == 0;
}

/* Issuer prefixes and the lengths each scheme issues. */
static int card_iin_ok(const char *d, size_t n)
{
	int p2 = (d[0] - '0') * 10 + (d[1] - '0');
	int p3 = p2 * 10 + (d[2] - '0');
	int p4 = p3 * 10 + (d[3] - '0');
	if (d[0] == '4') /* Visa */
		return n == 13 || n == 16 || n == 19;
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) /* Mastercard */
		return n == 16;
	if (p2 == 34 || p2 == 37) /* American Express */
		return n == 15;
	if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65) /* Discover */
		return n >= 16 && n <= 19;
	if (p4 >= 3528 && p4 <= 3589) /* JCB */
		return n >= 16 && n <= 19;
	if (p2 == 36 || p2 == 38 || p2 == 39 || (p3 >= 300 && p3 <= 305) || p3 == 309) /* Diners */
		return n >= 14 && n <= 19;
	if (p2 == 62) /* UnionPay */
		return n >= 16 && n <= 19;
	if (p2 == 50 || (p2 >= 56 && p2 <= 58) || p2 == 63 || p2 == 67) /* Maestro */
		return n >= 13 && n <= 19;
	return 0;
}

/* JPN place-of-birth codes: 01-16 and 21-59 are Malaysian states and
 * federal territories; 60-68, 71-72, 74-79, 82-93 and 98-99 are countries
 * or regions abroad (82: state unknown). Never issued: 00, 17-20, 69-70,
 * 73, 80-81, 94-97. */
int redact_nric_place_ok(int pb)
{
	return (pb >= 1 && pb <= 16) || (pb >= 21 && pb <= 68) || pb == 71 || pb == 72 || (pb >= 74 && pb <= 79) ||
	       (pb >= 82 && pb <= 93) || pb == 98 || pb == 99;
}

int redact_nric_valid(const char *d)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	for (int i = 0; i < 12; i++)
		if (!is_digit((unsigned char)d[i]))
			return 0;
	int mm = (d[2] - '0') * 10 + (d[3] - '0');
	int dd = (d[4] - '0') * 10 + (d[5] - '0');
	int pb = (d[6] - '0') * 10 + (d[7] - '0');
	if (mm < 1 || mm > 12 || dd < 1 || dd > mdays[mm - 1])
		return 0;
	return redact_nric_place_ok(pb);
}

/* Malaysian numbering plan, national form with the trunk 0: mobiles 01x
 * (011 and 015 have 8 subscriber digits, the rest 7), Klang Valley 03 +
 * 8 digits, other states 04-07 and 09 + 7 digits, Sabah and Sarawak
 * 082-089 + 6 digits. */
static int phone_national_ok(const char *n, size_t len)
{
	if (len < 9 || n[0] != '0')
		return 0;
	switch (n[1]) {
	case '1':
		return len == ((n[2] == '1' || n[2] == '5') ? 11u : 10u);
	case '3':
		return len == 10;
	case '4':
	case '5':
	case '6':
	case '7':
	case '9':
		return len == 9;
	case '8':
		return n[2] >= '2' && len == 9;
	default:
		return 0;
	}
}

struct grp {
	size_t s, e; /* the digits */
	size_t end;  /* after a closing parenthesis */
	int sep;     /* separator before the group: ' ', '-', '.' or 0 */
};

/* A run of digit groups joined by single separators, as numbers are
 * written: "+60 12-345 6789", "(03) 7890 1234", "900101-14-5678". */
struct span {
	struct grp g[NUM_MAX_GROUPS];
	int n;
	int plus;
	int paren;
	size_t adv; /* where to go on from when nothing matches */
};

static void collect(struct scan *s, size_t p, struct span *sp)
{
	size_t i = p, ndig = 0;
	int sep = 0;
	memset(sp, 0, sizeof(*sp));
	if (at(s, i) == '(') {
		sp->paren = 1;
		i++;
	}
	if (at(s, i) == '+') {
		sp->plus = 1;
		i++;
	}
	sp->adv = 1;
	for (;;) {
		struct grp *g = &sp->g[sp->n];
		int op = 0;
		if (sp->n > 0 && at(s, i) == '(') { /* "+60 (12) 345 6789" */
			op = 1;
			i++;
		}
		g->s = i;
		while (is_digit(at(s, i)))
			if (++i - g->s > NUM_MAX_DIGITS)
				break;
		g->e = i;
		size_t n = g->e - g->s;
		if (sp->n == 0 && !sp->paren)
			sp->adv = i - p; /* past the first digit run */
		if (n == 0 || ndig + n > NUM_MAX_DIGITS)
			return;
		if (op) {
			if (n > 4 || at(s, i) != ')')
				return;
			sp->paren = 1;
			i++;
		} else if (sp->n == 0 && sp->paren) {
			/* "(03)", "(+60)": an area or country code, else the
			 * parenthesis is just punctuation before a number. */
			if (n > 4 || at(s, i) != ')') {
				sp->paren = sp->plus = 0;
				return;
			}
			i++;
		}
		ndig += n;
		g->end = i;
		g->sep = sep;
		if (++sp->n == NUM_MAX_GROUPS)
			return;
		size_t j = i;
		int c = at(s, j);
		sep = 0;
		if (c == ' ' || c == '-' || c == '.') {
			sep = c;
			j++;
			if (c == ' ' && at(s, j) == '-' && at(s, j + 1) == ' ') {
				sep = '-';
				j += 2;
			}
		}
		c = at(s, j);
		if (!is_digit(c) && !(c == '(' && is_digit(at(s, j + 1))))
			return;
		i = j;
	}
}

/* Not the start of a longer token: "ORD-123", "RM1,299", "v2.0123". A
 * slash is a boundary: "012-345 6789/019-876 5432", "wa.me/60123456789". */
static int num_start(struct scan *s, size_t p)
{
	int c = at(s, p), c1 = behind(s, p, 1), c2 = behind(s, p, 2);
	if (is_alnum(c1) || c1 == '_' || c1 == '+' || c1 == '@')
		return 0;
	if (c1 == '-' && is_alnum(c2))
		return 0;
	if ((c1 == '.' || c1 == ',' || c1 == ':') && is_digit(c2))
		return 0;
	if (is_digit(c))
		return 1;
	if (c == '+')
		return is_digit(at(s, p + 1));
	if (c == '(') {
		int n = at(s, p + 1);
		return is_digit(n) || (n == '+' && is_digit(at(s, p + 2)));
	}
	return 0;
}

/* The number ends here: no letter or digit glued on, and not followed by
 * more of a decimal, a time or a dashed code. */
static int num_end_ok(struct scan *s, size_t end)
{
	int c = at(s, end);
	if (is_alnum(c) || c == '_' || c == '@')
		return 0;
	if ((c == '-' || c == '.' || c == ',' || c == ':') && is_digit(at(s, end + 1)))
		return 0;
	return 1;
}

static int ends_with(const char *w, size_t n, const char *suf)
{
	size_t m = strlen(suf);
	if (m > n || memcmp(w + n - m, suf, m))
		return 0;
	/* ASCII words must start at a word boundary; CJK ones need not. */
	if ((unsigned char)suf[0] < 0x80 && n > m && is_alpha((unsigned char)w[n - m - 1]))
		return 0;
	return 1;
}

static size_t trim_seps(const char *w, size_t n, int *hash)
{
	for (;;) {
		if (n && w[n - 1] && strchr(" \t:#.-=", w[n - 1])) {
			if (w[n - 1] == '#')
				*hash = 1;
			n--;
		} else if (n >= 3 && !memcmp(w + n - 3, "\xef\xbc\x9a", 3)) { /* full-width colon */
			n -= 3;
		} else if (n >= 3 && !memcmp(w + n - 3, "\xef\xbc\x83", 3)) { /* full-width # */
			*hash = 1;
			n -= 3;
		} else {
			return n;
		}
	}
}

static int ends_with_any(const char *w, size_t n, const char *const *words, size_t nwords, size_t *mlen)
{
	for (size_t i = 0; i < nwords; i++)
		if (ends_with(w, n, words[i])) {
			if (mlen)
				*mlen = strlen(words[i]);
			return 1;
		}
	return 0;
}

/* Words after which a bare run of digits is a reference, not a person's
 * number: "order 900101145678", "pesanan no. ...", "订单号：...", "#...". */
static const char *const order_words[] = {
	"order", "orders", "ord", "pesanan", "tempahan", "invoice", "invois", "inv", "tracking", "awb",
	"consignment", "shipment", "parcel", "bungkusan", "receipt", "resit", "ref", "reference", "rujukan",
	"transaction", "transaksi", "txn", "booking", "pnr", "sku", "item", "product", "produk", "model", "serial",
	"s/n", "siri", "imei", "barcode", "voucher", "baucar", "account", "akaun", "acct", "bill", "policy",
	"polisi", "membership", "claim", "tuntutan", "warranty", "waranti", "ticket", "tiket", "case", "kes",
	"订单", "单号", "编号", "货号", "发票", "运单", "快递", "交易", "参考",
};
static const char *const fillers[] = {
	"no", "number", "num", "nombor", "id", "is", "code", "kod", "ialah", "adalah", "号码", "号",
};
/* Before '#', these mean an identity number after all ("IC #"). */
static const char *const id_words[] = { "ic", "nric", "mykad", "k/p", "kp", "pengenalan", "身份证" };

static int order_context(const struct scan *s, size_t p)
{
	char w[ORDER_LOOKBACK];
	size_t lo = p > ORDER_LOOKBACK ? p - ORDER_LOOKBACK : 0, n = p - lo;
	for (size_t i = 0; i < n; i++) {
		char c = s->buf[lo + i];
		w[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	int hash = 0;
	n = trim_seps(w, n, &hash);
	for (int round = 0; round < 3; round++) {
		if (ends_with_any(w, n, order_words, ARRAY_LEN(order_words), NULL))
			return 1;
		if (hash)
			return !ends_with_any(w, n, id_words, ARRAY_LEN(id_words), NULL);
		size_t m;
		if (!ends_with_any(w, n, fillers, ARRAY_LEN(fillers), &m))
			return 0;
		n = trim_seps(w, n - m, &hash);
	}
	return 0;
}

/* Try the longest prefix of the span first, each kind in turn. Returns the
 * matched length (kind in *kind) or 0. */
static size_t match_num(struct scan *s, size_t p, struct span *sp, enum redact_kind *kind)
{
	int order = -1;
	collect(s, p, sp);
	for (int k = sp->n; k >= 1; k--) {
		size_t end = sp->g[k - 1].end;
		if (!num_end_ok(s, end))
			continue;
		char d[NUM_MAX_DIGITS + 2];
		size_t n = 0;
		for (int i = 0; i < k; i++) {
			memcpy(d + n, s->buf + sp->g[i].s, sp->g[i].e - sp->g[i].s);
			n += sp->g[i].e - sp->g[i].s;
		}
		d[n] = '\0';
		int plain = !sp->plus && !sp->paren;
		int sep = k > 1 ? sp->g[1].sep : 0, same_sep = 1, fours = 1;
		for (int i = 1; i < k; i++)
			same_sep &= sp->g[i].sep == sep;
		for (int i = 0; i < k - 1; i++)
			fours &= sp->g[i].e - sp->g[i].s == 4;
		size_t last = sp->g[k - 1].e - sp->g[k - 1].s;
		if ((s->mask & REDACT_MASK(REDACT_CARD)) && plain && n >= 13 && n <= 19) {
			int shape = k == 1;
			if (k > 1 && same_sep && (sep == ' ' || sep == '-')) {
				size_t l1 = sp->g[1].e - sp->g[1].s;
				shape = (k >= 4 && fours && last >= 1 && last <= 4) ||
					(k == 3 && sp->g[0].e - sp->g[0].s == 4 && l1 == 6 && (last == 5 || last == 4));
			}
			if (shape && card_iin_ok(d, n) && redact_luhn(d, n)) {
				*kind = REDACT_CARD;
				return end - p;
			}
		}
		if (order < 0)
			order = order_context(s, p);
		if ((s->mask & REDACT_MASK(REDACT_NRIC)) && plain && n == 12) {
			int shape = (k == 1 && !order) ||
				    (k == 3 && sp->g[0].e - sp->g[0].s == 6 && sp->g[1].e - sp->g[1].s == 2 &&
				     (sp->g[1].sep == '-' || sp->g[1].sep == ' ') &&
				     (sp->g[2].sep == '-' || sp->g[2].sep == ' '));
			if (shape && redact_nric_valid(d)) {
				*kind = REDACT_NRIC;
				return end - p;
			}
		}
		if ((s->mask & REDACT_MASK(REDACT_PHONE)) && n >= 9 && !(order && !sp->plus)) {
			char nat[NUM_MAX_DIGITS + 2];
			size_t nl = 0;
			if (d[0] == '6' && d[1] == '0' && (sp->plus || d[2] != '0')) {
				/* country code 60; "+60 012..." keeps its trunk 0 */
				if (d[2] != '0')
					nat[nl++] = '0';
				memcpy(nat + nl, d + 2, n - 2);
				nl += n - 2;
			} else if (!sp->plus && d[0] == '0' && d[1] != '0') {
				memcpy(nat, d, n);
				nl = n;
			}
			if (nl && phone_national_ok(nat, nl)) {
				*kind = REDACT_PHONE;
				return end - p;
			}
		}
	}
	return 0;
}

struct step {
	size_t next;
	int kind; /* enum redact_kind, or -1: copy [p, next) */
};

static struct step step_at(struct scan *s, size_t p)
{
	struct step st = { p + 1, -1 };
	int c = at(s, p), c1 = behind(s, p, 1);
	if ((s->mask & REDACT_MASK(REDACT_EMAIL)) && is_alnum(c) && !is_alnum(c1) && c1 != '_' && c1 != '%' &&
	    c1 != '+' && c1 != '@') {
		size_t n = match_email(s, p);
		if (n) {
			st.next = p + n;
			st.kind = REDACT_EMAIL;
			return st;
		}
	}
	if ((s->mask & (REDACT_ALL & ~REDACT_MASK(REDACT_EMAIL))) && num_start(s, p)) {
		struct span sp;
		enum redact_kind k;
		size_t n = match_num(s, p, &sp, &k);
		if (n) {
			st.next = p + n;
			st.kind = (int)k;
		} else {
			st.next = p + sp.adv;
		}
		return st;
	}
	st.next = p + utf8_len(s, p);
	return st;
}

/* Scan from `from`; append the output for [from, stop) and return stop,
 * which is s->len when final, else the first undecided position. */
static size_t scan_run(struct scan *s, size_t from, struct out *o, struct redact_counts *cnt)
{
	size_t p = from;
	while (p < s->len) {
		s->hit_end = 0;
		struct step st = step_at(s, p);
		if (s->hit_end)
			break;
		assert(st.next > p);
		if (st.kind >= 0 && s->nkeep && (st.kind == REDACT_EMAIL || st.kind == REDACT_PHONE) &&
		    kept(s, p, st.next))
			st.kind = -1;
		if (st.kind >= 0) {
			out_put(o, placeholders[st.kind], strlen(placeholders[st.kind]));
			if (cnt)
				cnt->n[st.kind]++;
		} else {
			out_put(o, s->buf + p, st.next - p);
		}
		p = st.next;
	}
	return p;
}

char *redact_buf(const char *in, size_t len, unsigned kinds_mask, struct redact_counts *cnt)
{
	struct scan s = { in, len, 1, 0, kinds_mask & REDACT_ALL, NULL, 0 };
	struct out o = { NULL, 0, 0 };
	scan_run(&s, 0, &o, cnt);
	return out_take(&o);
}

char *redact_text_keep(const char *in, unsigned kinds_mask, const char *const *keep, size_t nkeep,
		       struct redact_counts *cnt)
{
	struct scan s = { in, strlen(in), 1, 0, kinds_mask & REDACT_ALL, keep, nkeep };
	struct out o = { NULL, 0, 0 };
	scan_run(&s, 0, &o, cnt);
	return out_take(&o);
}

char *redact_text(const char *in, unsigned kinds_mask, struct redact_counts *cnt)
{
	return redact_buf(in, strlen(in), kinds_mask, cnt);
}

/* --- streams -------------------------------------------------------------- */

void redact_stream_init(struct redact_stream *rs, unsigned kinds_mask)
{
	memset(rs, 0, sizeof(*rs));
	rs->mask = kinds_mask & REDACT_ALL;
}

void redact_stream_release(struct redact_stream *rs)
{
	free(rs->buf);
	memset(rs, 0, sizeof(*rs));
}

size_t redact_stream_held(const struct redact_stream *rs)
{
	return rs->len - rs->ctx;
}

char *redact_stream_feed(struct redact_stream *rs, const char *chunk, size_t len, int is_final)
{
	if (rs->len + len > rs->cap) {
		size_t cap = rs->cap ? rs->cap : 256;
		while (cap < rs->len + len)
			cap *= 2;
		rs->buf = xrealloc(rs->buf, cap);
		rs->cap = cap;
	}
	if (len)
		memcpy(rs->buf + rs->len, chunk, len);
	rs->len += len;

	struct scan s = { rs->buf, rs->len, is_final, 0, rs->mask, NULL, 0 };
	struct out o = { NULL, 0, 0 };
	size_t stop = scan_run(&s, rs->ctx, &o, &rs->counts);
	if (is_final) {
		rs->len = rs->ctx = 0;
	} else {
		/* Held text is bounded by how far any rule reads ahead. */
		assert(rs->len - stop <= REDACT_HOLD_MAX);
		size_t keep = stop > REDACT_CTX ? stop - REDACT_CTX : 0;
		if (keep) {
			memmove(rs->buf, rs->buf + keep, rs->len - keep);
			rs->len -= keep;
		}
		rs->ctx = stop - keep;
	}
	return out_take(&o);
}

/* --- command line --------------------------------------------------------- */

int redact_filter(FILE *in, FILE *out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	while ((n = getline(&line, &cap, in)) >= 0) {
		size_t len = (size_t)n;
		int nl = len && line[len - 1] == '\n';
		char *red = redact_buf(line, len - (size_t)nl, REDACT_ALL, NULL);
		if (fputs(red, out) == EOF || (nl && fputc('\n', out) == EOF))
			rc = -1;
		free(red);
		if (rc)
			goto out;
	}
	if (ferror(in))
		rc = -1;
out:
	free(line);
	if (fflush(out) == EOF)
		rc = -1;
	return rc;
}
