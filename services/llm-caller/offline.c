/* offline: the built-in provider. It needs no network and no key: it picks
 * the sentences of the retrieved passages that share the most terms with
 * the customer's question, keeps them word for word (only Markdown marks
 * are dropped), cites their passage, and asks a clarifying question when no
 * passage speaks to the question. It never writes a fact of its own. */
#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "llm-caller.h"
#include "util.h"

#define OFF_MAX_TERMS 64
#define OFF_MAX_SENT 512
#define OFF_LANG_BYTES 1024 /* bytes of a passage its language is guessed from */
#define OFF_MAX_ANSWER 600   /* bytes of answer text we aim under */
#define OFF_ADDED_WEIGHT 0.5 /* weight of a term the thesaurus added (common/expand.c) */
/* Bytes of arguments fed per stream step. The composed answer exists whole
 * at once, so it goes out as one text chunk: smaller pieces would only cost
 * Kafka messages and stage work per turn, with nothing to show sooner. */
#define OFF_PIECE 4096

static const char *const STOP[] = {
	"the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "is", "are", "was", "be", "can", "could",
	"do", "does", "did", "i", "you", "we", "my", "me", "your", "it", "its", "this", "that", "what", "how",
	"when", "where", "which", "who", "why", "with", "at", "by", "from", "if", "have", "has", "will", "would",
	"should", "there", "any", "about", "please", "hi", "hello", "tell", "know", "want", "need", "get", "much",
	"many", "is", "am", "not", "no", "yes", "just", "so", "as", "than", "then", "also", "our", "us", "they",
	/* Malay */
	"saya", "anda", "boleh", "ke", "di", "dan", "yang", "untuk", "apa", "ini", "itu", "ada", "tak",
	"tidak", "dengan", "bagaimana", "berapa", "kah", "mahu", "nak", "adakah", "macam", "mana", "bila",
};

/* Han characters too common to say anything about a question. */
static const char *const STOP_HAN[] = { "的", "是", "什", "么", "吗", "呢", "了", "我", "你", "您", "有", "在",
					 "要", "多", "少", "怎", "样", "吧", "啊", "请", "问", "这", "那", "个" };

static int is_stop_han(const char *w, size_t n)
{
	for (size_t i = 0; i < ARRAY_LEN(STOP_HAN); i++)
		if (!strncmp(STOP_HAN[i], w, n) && STOP_HAN[i][n] == '\0')
			return 1;
	return 0;
}

struct term {
	char s[48];
	size_t len;
	double weight; /* 1 for the customer's own words, less for the thesaurus's */
};

/* The stop words sorted, and where those with each first two letters
 * start: a word is compared with the few that share its first two letters
 * (every word of every passage is looked up). */
static const char *stop_sorted[ARRAY_LEN(STOP)];
static unsigned short stop_at[128][128]; /* index + 1 into stop_sorted, 0: none */
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void stop_index(void)
{
	for (size_t i = 0; i < ARRAY_LEN(STOP); i++)
		stop_sorted[i] = STOP[i];
	qsort(stop_sorted, ARRAY_LEN(STOP), sizeof(*stop_sorted), by_str);
	for (size_t i = ARRAY_LEN(STOP); i-- > 0;)
		stop_at[(unsigned char)stop_sorted[i][0] & 127][(unsigned char)stop_sorted[i][1] & 127] =
			(unsigned short)(i + 1);
}

static int is_stop(const char *w, size_t n)
{
	if (n > 9 || n < 2) /* the longest stop word, "bagaimana"; terms have 2 letters or more */
		return 0;
	if ((unsigned char)w[0] >= 128 || (unsigned char)w[1] >= 128)
		return 0;
	pthread_once(&stop_once, stop_index);
	for (size_t i = stop_at[(unsigned char)w[0]][(unsigned char)w[1]]; i && i <= ARRAY_LEN(STOP); i++) {
		const char *sw = stop_sorted[i - 1];
		if (sw[0] != w[0] || sw[1] != w[1])
			break;
		if (!strncmp(sw, w, n) && sw[n] == '\0')
			return 1;
	}
	return 0;
}

/* Two words match when equal, or when both are at least 5 letters and
 * share their first 5 (return/returns/returned, refund/refunds). */
static int word_match(const char *a, size_t al, const char *b, size_t bl)
{
	if (al == bl && !memcmp(a, b, al))
		return 1;
	if (al >= 5 && bl >= 5 && (unsigned char)a[0] < 0x80 && !memcmp(a, b, 5))
		return 1;
	return 0;
}

static int utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* Split text into lower-case terms: ASCII words (stop words dropped), each
 * Han character that is not a stop character, and each pair of adjacent
 * Han characters (so phrases weigh more than their characters). Calls fn
 * per term. */
static void terms_of(const char *text, void (*fn)(void *arg, const char *w, size_t n), void *arg)
{
	char w[48];
	size_t wl = 0;
	const unsigned char *prev_han = NULL;
	for (const unsigned char *p = (const unsigned char *)text;; p++) {
		unsigned char c = *p, lc = c | 0x20; /* ASCII only: the bytes of UTF-8 text are not letters */
		if ((lc >= 'a' && lc <= 'z') || (c >= '0' && c <= '9') || (c == '-' && wl > 0)) {
			if (wl < sizeof(w) - 1)
				w[wl++] = (char)(c >= 'A' && c <= 'Z' ? lc : c);
			prev_han = NULL;
			continue;
		}
		if (wl >= 4 && w[wl - 1] == 's' && w[wl - 2] != 's')
			wl--; /* items/item, days/day */
		if (wl >= 2 && !is_stop(w, wl))
			fn(arg, w, wl);
		wl = 0;
		if (!*p)
			break;
		if (*p >= 0xe3 && *p <= 0xe9 && p[1] && p[2] && !(p[0] == 0xe3 && p[1] < 0x81)) {
			/* a Han character (CJK punctuation U+3000-303F excluded) */
			if (!is_stop_han((const char *)p, 3))
				fn(arg, (const char *)p, 3);
			if (prev_han)
				fn(arg, (const char *)prev_han, 6);
			prev_han = p;
			p += 2;
			continue;
		}
		if (*p >= 0x80) {
			int n = utf8_len(*p);
			for (int k = 1; k < n && p[1]; k++)
				p++;
		}
		prev_han = NULL;
	}
}

struct qterms {
	struct term t[OFF_MAX_TERMS];
	int n;
	double weight; /* of the terms being added */
};

static void add_qterm(void *arg, const char *w, size_t n)
{
	struct qterms *q = arg;
	for (int i = 0; i < q->n; i++)
		if (word_match(q->t[i].s, q->t[i].len, w, n))
			return; /* returns/return: one term, not two */
	if (q->n < OFF_MAX_TERMS && n < sizeof(q->t[0].s)) {
		memcpy(q->t[q->n].s, w, n);
		q->t[q->n].s[n] = '\0';
		q->t[q->n].len = n;
		q->t[q->n].weight = q->weight;
		q->n++;
	}
}

struct sent_match {
	const struct qterms *q;
	unsigned char hit[OFF_MAX_TERMS];
};

static void match_term(void *arg, const char *w, size_t n)
{
	struct sent_match *m = arg;
	for (int i = 0; i < m->q->n; i++)
		if (word_match(m->q->t[i].s, m->q->t[i].len, w, n))
			m->hit[i] = 1;
}

/* The question terms a span of a passage holds. */
struct span_hits {
	size_t passage, start, end;
	unsigned char hit[OFF_MAX_TERMS];
};

/* The question terms in t[start, end) of passage, into c; read again only
 * when c holds another span (a table's rows share its header and heading). */
static void span_read(struct span_hits *c, const struct qterms *q, const char *t, size_t passage, size_t start,
		      size_t end)
{
	if (c->passage == passage && c->start == start && c->end == end)
		return;
	struct sent_match m = { q, { 0 } };
	char *one = xstrndup(t + start, end - start);
	terms_of(one, match_term, &m);
	free(one);
	*c = (struct span_hits){ passage, start, end, { 0 } };
	memcpy(c->hit, m.hit, sizeof(c->hit));
}

struct sent {
	size_t passage;
	size_t start, len; /* into the passage text */
	double score;
	int order;
	int para_end; /* the sentence ends its line or paragraph */
	int row;      /* a table row (header rows are not sentences) */
	int item;     /* a line that a line ending in ':' leads into (a list) */
	size_t hs, he; /* a row's table header line, or an item's lead-in line ("These can only be
			* returned if faulty:") in the passage (hs == he: none) */
	size_t gs, ge; /* the heading above a row's table or an item's lead-in ("## Delivery fees";
			* gs == ge: none) */
};

/* The start of the line that holds byte at. */
static size_t line_start(const char *t, size_t at)
{
	while (at > 0 && t[at - 1] != '\n')
		at--;
	return at;
}

static size_t line_len(const char *l)
{
	const char *nl = strchr(l, '\n');
	return nl ? (size_t)(nl - l) : strlen(l);
}

/* A Markdown table line: it starts with '|', or holds " | " (a row whose
 * outer pipes were dropped). */
static int table_line(const char *l, size_t n)
{
	size_t i = 0;
	while (i < n && l[i] == ' ')
		i++;
	return (i < n && l[i] == '|') || memmem(l, n, " | ", 3) != NULL;
}

/* A table's separator line: "| --- | :---: |". */
static int separator_line(const char *l, size_t n)
{
	int dash = 0;
	for (size_t i = 0; i < n; i++) {
		if (l[i] == '-')
			dash = 1;
		else if (!strchr("|: \t", l[i]))
			return 0;
	}
	return dash;
}

/* A line that is a heading: '#'-marked, or (in ingested text, where the
 * marks are gone) a short line standing alone that ends without
 * punctuation. */
static int heading_line(const char *t, size_t ls, size_t n)
{
	if (t[ls] == '#')
		return 1;
	if (n == 0 || n > 80 || strchr(".!?:;,|", t[ls + n - 1]))
		return 0;
	int alone_before = ls == 0 || (ls >= 2 && t[ls - 2] == '\n') || ls == 1;
	int alone_after = t[ls + n] == '\0' || (t[ls + n] == '\n' && t[ls + n + 1] == '\n');
	return alone_before && alone_after;
}

/* For a table line starting at ls: -1 when it is the table's header or
 * separator line, else 1 with the header line's bounds in x->hs, x->he
 * (a table's first line; none when the table opens the passage, which may
 * have been cut inside a table) and the heading above the table in x->gs,
 * x->ge. The ingestion writes a table as "cell | cell" lines. */
static int table_row(const char *t, size_t ls, struct sent *x)
{
	x->hs = x->he = x->gs = x->ge = 0;
	size_t n = line_len(t + ls);
	if (separator_line(t + ls, n))
		return -1;
	size_t bs = ls; /* the table's first line */
	while (bs > 0) {
		size_t ps = line_start(t, bs - 1), pl = bs - 1 - ps;
		if (!pl || !(table_line(t + ps, pl) || separator_line(t + ps, pl)))
			break;
		bs = ps;
	}
	if (bs == ls)
		return bs == 0 ? 1 : -1; /* the header */
	if (bs > 0) {
		x->hs = bs;
		x->he = bs + line_len(t + bs);
	}
	/* the nearest heading above the table, within a few lines */
	for (int k = 0; k < 8 && bs > 0; k++) {
		size_t ps = line_start(t, bs - 1), pl = bs - 1 - ps;
		if (pl && heading_line(t, ps, pl)) {
			x->gs = ps;
			x->ge = ps + pl;
			break;
		}
		bs = ps;
	}
	return 1;
}

/* 1 when the line at l starts a list item ("- ", "* ", "+ ", "1. "). */
static int item_line(const char *l)
{
	while (*l == ' ')
		l++;
	if ((l[0] == '-' || l[0] == '*' || l[0] == '+') && l[1] == ' ')
		return 1;
	const char *d = l;
	while (isdigit((unsigned char)*d))
		d++;
	return d > l && (*d == '.' || *d == ')') && d[1] == ' ';
}

/* For a line starting at ls that a line ending in ':' leads into (a list,
 * joined into one line by unwrap() or still as "- " items): that line into
 * x->hs, x->he and the heading above it into x->gs, x->ge. 0 when no such
 * line comes right before (blank lines and earlier items between). */
static int lead_in(const char *t, size_t ls, struct sent *x)
{
	size_t bs = ls;
	for (int k = 0; bs > 0 && k < 64; k++) {
		size_t ps = line_start(t, bs - 1), pl = bs - 1 - ps;
		bs = ps;
		if (!pl || (item_line(t + ps) && t[ps + pl - 1] != ':'))
			continue;
		if (t[ps + pl - 1] != ':')
			return 0;
		x->hs = ps;
		x->he = ps + pl;
		break;
	}
	if (x->he == x->hs)
		return 0;
	for (int k = 0; k < 3 && bs > 0; k++) {
		size_t ps = line_start(t, bs - 1), pl = bs - 1 - ps;
		bs = ps;
		if (!pl)
			continue;
		if (heading_line(t, ps, pl)) {
			x->gs = ps;
			x->ge = ps + pl;
		}
		break;
	}
	return 1;
}

static int structural_line(const char *l)
{
	while (*l == ' ')
		l++;
	if (*l == '\n' || *l == '\0' || *l == '#' || *l == '|' || *l == '>' || item_line(l))
		return 1;
	if (l[0] == '*' && l[1] == '*')
		return 1; /* a bold line: a question or a heading */
	const char *nl = strchr(l, '\n');
	size_t ll = nl ? (size_t)(nl - l) : strlen(l);
	return memmem(l, ll, " | ", 3) != NULL; /* a table row whose outer pipes were dropped */
}

/* A heap copy of a passage with hard-wrapped lines joined: a line break
 * stays only before a blank line, a list item, a heading or a table row,
 * and after a heading-like short line, a table row or a line ending in ':'. */
static char *unwrap(const char *t)
{
	size_t n = strlen(t);
	char *o = xmalloc(n + 1);
	size_t line = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i] != '\n') {
			o[i] = t[i];
			continue;
		}
		size_t ll = i - line;
		const char *ls = t + line;
		/* the next line, when it is a short one without final
		 * punctuation, is a heading */
		const char *nx = t + i + 1, *ne = strchr(nx, '\n');
		size_t nl = ne ? (size_t)(ne - nx) : strlen(nx);
		int next_heading = nl > 0 && nl < 40 && !strchr(".!?,;:", nx[nl - 1]) &&
				   !(nl >= 3 && (unsigned char)nx[nl - 3] >= 0xe3);
		int cjk_stop = ll >= 3 && (unsigned char)t[i - 3] >= 0xe3 && (unsigned char)t[i - 3] <= 0xef &&
			       (!memcmp(t + i - 3, "\xe3\x80\x82", 3) || !memcmp(t + i - 3, "\xef\xbc\x81", 3) ||
				!memcmp(t + i - 3, "\xef\xbc\x9f", 3) || !memcmp(t + i - 3, "\xef\xbc\x9a", 3));
		int keep = structural_line(t + i + 1) || structural_line(ls) || ll == 0 || t[i - 1] == ':' ||
			   (ll < 40 && !strchr(".!?,;", t[i - 1])) || next_heading || cjk_stop;
		o[i] = keep ? '\n' : ' ';
		line = i + 1;
	}
	o[n] = '\0';
	return o;
}

/* Cut a passage's text into sentences: at line ends, at . ? ! followed by
 * white space and an upper-case letter, digit or end, and at 。！？. */
static int split(const char *t, size_t pi, struct sent *out, int n, int max)
{
	size_t i = 0, start = 0, len = strlen(t);
	int in_table = table_line(t, line_len(t));
	while (i <= len && n < max) {
		int cut = 0;
		size_t next = i + 1;
		if (i == len || t[i] == '\n') {
			cut = 1;
		} else if (in_table) {
			/* a table row is cut only at its end */
		} else if ((t[i] == '.' || t[i] == '?' || t[i] == '!') && i + 1 < len && t[i + 1] == ' ') {
			size_t j = i + 1;
			while (j < len && t[j] == ' ')
				j++;
			unsigned char c = (unsigned char)t[j];
			if (j >= len || isupper(c) || isdigit(c) || c == '*' || c >= 0x80) {
				cut = 1;
				next = i + 1;
			}
		} else if ((unsigned char)t[i] == 0xe3 && i + 2 < len && (unsigned char)t[i + 1] == 0x80 &&
			   (unsigned char)t[i + 2] == 0x82) { /* 。 */
			cut = 1;
			next = i + 3;
		} else if ((unsigned char)t[i] == 0xef && i + 2 < len && (unsigned char)t[i + 1] == 0xbc &&
			   ((unsigned char)t[i + 2] == 0x81 || (unsigned char)t[i + 2] == 0x9f)) { /* ！？ */
			cut = 1;
			next = i + 3;
		}
		if (cut) {
			size_t end = t[i] == '\n' || i == len ? i : next;
			while (start < end && isspace((unsigned char)t[start]))
				start++;
			int letters = 0;
			for (size_t k = start; k < end && !letters; k++)
				letters = isalpha((unsigned char)t[k]) || (unsigned char)t[k] >= 0x80;
			int row = in_table ? table_row(t, line_start(t, start), &out[n]) : 0;
			if (end > start + 1 && letters && row >= 0) {
				out[n].passage = pi;
				out[n].start = start;
				out[n].len = end - start;
				out[n].score = 0;
				out[n].order = n;
				out[n].para_end = t[i] == '\n' || i == len;
				out[n].row = row;
				out[n].item = 0;
				if (!row)
					out[n].hs = out[n].he = out[n].gs = out[n].ge = 0;
				if (!row && line_start(t, start) == start)
					out[n].item = lead_in(t, start, &out[n]);
				n++;
			}
			if (i < len && t[i] == '\n')
				in_table = table_line(t + i + 1, line_len(t + i + 1));
			start = next;
			i = next;
			continue;
		}
		i++;
	}
	return n;
}

/* The sentence as shown: Markdown emphasis, code marks, heading hashes and
 * list bullets dropped, white space collapsed. */
struct obuf {
	char *s;
	size_t len, cap;
};

static void clean_append(struct obuf *b, const char *s, size_t n)
{
	if (b->len + n + 2 > b->cap) {
		b->cap = (b->len + n + 2) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	size_t i = 0;
	while (i < n && (s[i] == '#' || s[i] == '-' || s[i] == '*' || s[i] == '>' || s[i] == ' '))
		if (s[i] == '*' && i + 1 < n && s[i + 1] == '*')
			break;
		else
			i++;
	if (b->len && b->s[b->len - 1] != ' ')
		b->s[b->len++] = ' ';
	int space = 0;
	for (; i < n; i++) {
		char c = s[i];
		if (c == '*' || c == '`')
			continue;
		if (isspace((unsigned char)c)) {
			space = 1;
			continue;
		}
		if (space && b->len && b->s[b->len - 1] != ' ')
			b->s[b->len++] = ' ';
		space = 0;
		b->s[b->len++] = c;
	}
	b->s[b->len] = '\0';
}

struct cell {
	const char *s;
	size_t n;
};

/* The cells of a table line, trimmed of white space and of Markdown's
 * emphasis; empty outer cells dropped. */
static int cells_of(const char *l, size_t n, struct cell *c, int max)
{
	int nc = 0;
	size_t i = 0;
	while (i < n && l[i] == ' ')
		i++;
	if (i < n && l[i] == '|')
		i++;
	while (i < n && nc < max) {
		const char *bar = memchr(l + i, '|', n - i);
		size_t e = bar ? (size_t)(bar - l) : n;
		size_t a = i, z = e;
		while (a < z && (l[a] == ' ' || l[a] == '*' || l[a] == '`'))
			a++;
		while (z > a && (l[z - 1] == ' ' || l[z - 1] == '*' || l[z - 1] == '`'))
			z--;
		if (z > a || bar)
			c[nc++] = (struct cell){ l + a, z - a };
		i = e + 1;
	}
	while (nc > 0 && c[nc - 1].n == 0)
		nc--;
	return nc;
}

#define OFF_MAX_CELLS 8

/* A table row as a sentence, each value with its column's header:
 * "Pocket spring mattresses: 10 years." for two columns,
 * "Silver — Tier points: 1,000; Perks: RM 20 voucher." for more.
 * Without a header the cells are joined with ", ". */
static void row_append(struct obuf *b, const char *t, const struct sent *x)
{
	struct cell rc[OFF_MAX_CELLS], hc[OFF_MAX_CELLS];
	int nr = cells_of(t + x->start, x->len, rc, OFF_MAX_CELLS);
	int nh = x->he > x->hs ? cells_of(t + x->hs, x->he - x->hs, hc, OFF_MAX_CELLS) : 0;
	size_t cap = x->len + (x->he - x->hs) + 8 * OFF_MAX_CELLS + 4, o = 0;
	char *r = xmalloc(cap);
	for (int i = 0; i < nr; i++) {
		if (rc[i].n == 0)
			continue;
		if (o) {
			const char *sep = nh != nr ? ", " : i > 1 ? "; " : nr > 2 ? " \xe2\x80\x94 " : ": ";
			memcpy(r + o, sep, strlen(sep));
			o += strlen(sep);
		}
		if (nh == nr && nr > 2 && i > 0 && hc[i].n) {
			memcpy(r + o, hc[i].s, hc[i].n);
			o += hc[i].n;
			memcpy(r + o, ": ", 2);
			o += 2;
		}
		memcpy(r + o, rc[i].s, rc[i].n);
		o += rc[i].n;
	}
	if (o && !strchr(".!?", r[o - 1]))
		r[o++] = '.';
	clean_append(b, r, o);
	free(r);
}

/* 0 for a heading: a line that ends without punctuation. */
static int has_final_punct(const char *t, const struct sent *x)
{
	const char *e = t + x->start + x->len;
	while (e > t + x->start + 1 && (e[-1] == '*' || e[-1] == ' '))
		e--;
	if (strchr(".!?):;,", e[-1]))
		return 1;
	return e - 3 >= t + x->start && (unsigned char)e[-3] >= 0xe3 &&
	       (!memcmp(e - 3, "\xe3\x80\x82", 3) || !memcmp(e - 3, "\xef\xbc\x81", 3) ||
		!memcmp(e - 3, "\xef\xbc\x9f", 3) || !memcmp(e - 3, "\xef\xbc\x9a", 3) ||
		!memcmp(e - 3, "\xef\xbc\x89", 3) || !memcmp(e - 3, "\xef\xbc\x8c", 3));
}

/* A sentence that ends in ':' or ',' goes on in the next line (a list). */
static int ends_open(const char *t, const struct sent *x)
{
	char c = t[x->start + x->len - 1];
	return c == ':' || c == ',';
}

static int by_score(const void *a, const void *b)
{
	const struct sent *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->order - y->order;
}

static int by_order(const void *a, const void *b)
{
	const struct sent *x = a, *y = b;
	return x->order - y->order;
}

static const char *clarify_text(const char *lang)
{
	if (lang && !strcmp(lang, "ms"))
		return "Maaf, saya tidak menemui maklumat tentang itu. Boleh terangkan sedikit lagi apa yang anda "
		       "ingin tahu?";
	if (lang && !strcmp(lang, "zh"))
		return "抱歉，我没有找到相关的信息。请问您具体想了解哪方面呢？";
	return "Sorry, I could not find that in our information. Could you tell me a little more about what you "
	       "would like to know?";
}

/* Feed the tool call to acc in small pieces, as a model would stream it. */
static int feed_call(struct llm_acc *acc, const char *name, json_t *args)
{
	char *s = json_dumps(args, JSON_COMPACT);
	size_t n = strlen(s);
	int rc = llm_acc_tool_start(acc, 0, "offline-0", name);
	for (size_t i = 0; rc == 0 && i < n; i += OFF_PIECE)
		rc = llm_acc_tool_args(acc, 0, s + i, n - i < OFF_PIECE ? n - i : OFF_PIECE);
	free(s);
	return rc;
}

/* The language of a passage, guessed from its first OFF_LANG_BYTES: "zh"
 * when Han characters make up a good part of it, "ms" when Malay function
 * words outnumber English ones, else "en". */
static const char *text_lang(const char *t)
{
	static const char *const MS[] = { "dan", "yang", "untuk", "anda", "dengan", "tidak", "boleh", "kami",
					  "dalam", "atau", "ini", "akan", "di", "ke", "dari" };
	static const char *const EN[] = { "the", "and", "for", "you", "with", "not", "can", "our",
					  "in", "or", "this", "will", "to", "of", "from" };
	size_t han = 0, bytes = 0;
	int ms = 0, en = 0;
	char w[16];
	size_t wl = 0;
	if (!t)
		return "en";
	for (const unsigned char *p = (const unsigned char *)t;; p++) {
		if (bytes >= OFF_LANG_BYTES && !wl)
			break; /* between words */
		if (*p >= 0xe4 && *p <= 0xe9)
			han++;
		if (*p)
			bytes++;
		unsigned char lc = *p | 0x20;
		if (lc >= 'a' && lc <= 'z') {
			if (wl < sizeof(w) - 1)
				w[wl++] = (char)lc;
			continue;
		}
		w[wl] = '\0';
		for (size_t k = 0; wl >= 2 && wl <= 6 && k < ARRAY_LEN(MS); k++) {
			ms += MS[k][0] == w[0] && !strcmp(w, MS[k]);
			en += EN[k][0] == w[0] && !strcmp(w, EN[k]);
		}
		wl = 0;
		if (!*p)
			break;
	}
	if (han * 3 * 4 > bytes) /* over a quarter of the bytes are Han characters */
		return "zh";
	return ms > en ? "ms" : "en";
}

/* 1 when byte at of t lies on a line that is a question: it ends with a
 * question mark and is numbered ("12. It arrived damaged. What do I do?",
 * an FAQ entry) or short. Every sentence of it is part of the question. */
static int on_question_line(const char *t, size_t at)
{
	size_t ls = line_start(t, at), le = ls + line_len(t + ls);
	while (le > ls && (t[le - 1] == ' ' || t[le - 1] == '*'))
		le--;
	int q = (le > ls && t[le - 1] == '?') || (le - ls >= 3 && !memcmp(t + le - 3, "\xef\xbc\x9f", 3));
	if (!q)
		return 0;
	size_t d = ls;
	while (t[d] == '*' || t[d] == ' ')
		d++;
	size_t digits = d;
	while (isdigit((unsigned char)t[digits]))
		digits++;
	int numbered = digits > d && (t[digits] == '.' || t[digits] == ')');
	return numbered || le - ls < 160;
}

int llm_offline_compose(const Chat__Turn *turn, struct llm_acc *acc, char errstr[256])
{
	struct qterms q = { .n = 0, .weight = 1.0 };
	/* the question with the documents' words for its phrases, as the
	 * retriever searched it ("money back": refund); the added words weigh
	 * half, so that "assemble in Kota Kinabalu" stays about assembly when
	 * the town adds "Sabah East Malaysia" */
	const char *text = turn->text ? turn->text : "";
	char *asked = query_expand(text, turn->language);
	terms_of(text, add_qterm, &q);
	q.weight = OFF_ADDED_WEIGHT;
	terms_of(asked + strlen(text), add_qterm, &q);
	free(asked);
	struct sent *s = xcalloc(OFF_MAX_SENT, sizeof(*s));
	int ns = 0, rc;

	/* Answer in the customer's language: when some passages are in it,
	 * only those are read. */
	const char *lang = turn->language && *turn->language ? turn->language : NULL;
	int any_in_lang = 0;
	const char **plang = xcalloc(turn->n_passages + 1, sizeof(char *));
	for (size_t pi = 0; lang && pi < turn->n_passages; pi++) {
		plang[pi] = text_lang(turn->passages[pi]->text);
		any_in_lang |= !strcmp(plang[pi], lang);
	}
	char **texts = xcalloc(turn->n_passages + 1, sizeof(char *));
	for (size_t pi = 0; pi < turn->n_passages; pi++) {
		const char *pt = turn->passages[pi]->text ? turn->passages[pi]->text : "";
		texts[pi] = unwrap(pt);
		if (any_in_lang && strcmp(plang[pi], lang))
			continue;
		if (ns < OFF_MAX_SENT)
			ns = split(texts[pi], pi, s, ns, OFF_MAX_SENT);
	}
	/* Score: the distinct question terms a sentence holds, rarer terms
	 * weighing more; a small bonus for the retriever's rank. */
	int df[OFF_MAX_TERMS] = { 0 };
	unsigned char(*hits)[OFF_MAX_TERMS] = xcalloc((size_t)ns + 1, OFF_MAX_TERMS);
	unsigned char *key = xcalloc((size_t)ns + 1, 1);    /* a row's first cell holds a term */
	unsigned char *own = xcalloc((size_t)ns + 1, 1);    /* its cells do */
	unsigned char *header = xcalloc((size_t)ns + 1, 1); /* its table's header does */
	struct span_hits hc = { (size_t)-1, 0, 0, { 0 } }, gc = hc; /* the last header and heading read */
	for (int i = 0; i < ns; i++) {
		struct sent_match m = { &q, { 0 } };
		const char *t = texts[s[i].passage];
		char *one;
		if (s[i].row) {
			const char *bar = memchr(t + s[i].start + 1, '|', s[i].len - 1);
			one = xstrndup(t + s[i].start, bar ? (size_t)(bar - t - s[i].start) : s[i].len);
			terms_of(one, match_term, &m);
			free(one);
			for (int k = 0; k < q.n; k++)
				/* a word, or two Han characters: "巴" of 沙巴 (Sabah)
				 * in 巴生谷 (Klang Valley) says nothing */
				key[i] |= m.hit[k] && (q.t[k].len != 3 || (unsigned char)q.t[k].s[0] < 0x80);
		}
		one = xstrndup(t + s[i].start, s[i].len);
		terms_of(one, match_term, &m);
		free(one);
		for (int k = 0; k < q.n; k++)
			own[i] |= m.hit[k];
		/* a row is read with its table's header ("Warranty": what its
		 * values are) and the heading above the table ("Delivery fees":
		 * what the section is about) */
		if ((s[i].row || s[i].item) && s[i].he > s[i].hs) {
			span_read(&hc, &q, t, s[i].passage, s[i].hs, s[i].he);
			for (int k = 0; k < q.n; k++) {
				header[i] |= hc.hit[k];
				m.hit[k] |= hc.hit[k];
			}
		}
		if ((s[i].row || s[i].item) && s[i].ge > s[i].gs) {
			span_read(&gc, &q, t, s[i].passage, s[i].gs, s[i].ge);
			for (int k = 0; k < q.n; k++)
				m.hit[k] |= gc.hit[k];
		}
		memcpy(hits[i], m.hit, OFF_MAX_TERMS);
		for (int k = 0; k < q.n; k++)
			df[k] += m.hit[k];
	}
	/* A passage whose title (its document's headings) names a question
	 * term is about the question's topic: "return" in "Returns and refunds"
	 * says more than "bought" in a price-promise sentence. */
	double *topical = xcalloc(turn->n_passages + 1, sizeof(double));
	for (size_t pi = 0; pi < turn->n_passages; pi++) {
		struct sent_match m = { &q, { 0 } };
		terms_of(turn->passages[pi]->title ? turn->passages[pi]->title : "", match_term, &m);
		int n = 0;
		for (int k = 0; k < q.n; k++)
			n += m.hit[k];
		topical[pi] = n ? 1.2 : 1.0;
	}
	/* A heading ("Payment methods", "Coming soon") names a topic without
	 * answering anything: the sentence after it is read with it (a word of
	 * both counts once), and the heading itself stays below. */
	unsigned char *heading = xcalloc((size_t)ns + 1, 1);
	for (int i = 0; i < ns; i++) {
		const char *t = texts[s[i].passage];
		size_t ls = line_start(t, s[i].start);
		if (s[i].row || ls != s[i].start || line_len(t + ls) != s[i].len || !heading_line(t, ls, s[i].len))
			continue;
		heading[i] = 1;
		if (i + 1 < ns && s[i + 1].passage == s[i].passage)
			for (int k = 0; k < q.n; k++)
				hits[i + 1][k] |= hits[i][k];
	}
	for (int i = 0; i < ns; i++) {
		double sc = 0;
		for (int k = 0; k < q.n; k++)
			if (hits[i][k])
				sc += q.t[k].weight * (1.0 + 1.0 / (1.0 + df[k]));
		/* The retriever's rank counts: the same words in a better-ranked
		 * passage weigh more (by rank: fused scores are close together). */
		if (sc > 0)
			sc *= topical[s[i].passage] / (1.0 + 0.5 * (double)s[i].passage);
		s[i].score = sc;
	}
	for (int i = 0; i < ns; i++)
		if (heading[i]) {
			if (i + 1 < ns && s[i + 1].passage == s[i].passage)
				s[i + 1].score += 0.3 * s[i].score; /* it leads the section */
			s[i].score *= 0.3;
		}
	free(heading);
	free(topical);
	const unsigned char *qhits = (const unsigned char *)hits;
	/* A question in the passage (an FAQ entry) is not an answer: it hands
	 * most of its weight to the sentence after it. */
	unsigned char carried[OFF_MAX_TERMS] = { 0 }; /* terms of the question's earlier sentences */
	for (int i = 0; i < ns; i++) {
		const char *t = texts[s[i].passage];
		const char *end = t + s[i].start + s[i].len;
		while (end > t + s[i].start + 1 && (end[-1] == '*' || end[-1] == ' '))
			end--; /* "**Do you ...?**" */
		int question = end[-1] == '?' || (end - 3 >= t + s[i].start && !memcmp(end - 3, "\xef\xbc\x9f", 3));
		question |= on_question_line(t, s[i].start);
		if (!question || s[i].score <= 0) {
			memset(carried, 0, sizeof(carried));
			continue;
		}
		int matched = 0;
		for (int k = 0; k < q.n; k++) {
			carried[k] |= qhits[(size_t)i * OFF_MAX_TERMS + (size_t)k];
			matched += carried[k];
		}
		int next_same = i + 1 < ns && s[i + 1].passage == s[i].passage;
		/* the question goes on in the next sentence of its line: all of
		 * its weight moves on, the answer comes after */
		if (next_same && !memchr(t + s[i].start, '\n', s[i + 1].start - s[i].start) &&
		    on_question_line(t, s[i + 1].start)) {
			s[i + 1].score += s[i].score;
			s[i].score *= 0.3;
			continue;
		}
		double share = matched >= 2 || matched == q.n ? 0.8 : 0.3;
		if (next_same)
			s[i + 1].score += share * s[i].score;
		s[i].score *= 0.3;
		memset(carried, 0, sizeof(carried));
	}
	/* "How many / how much / berapa / 多少": a sentence with a number
	 * answers such a question better than one without; "how long / when /
	 * berapa lama / 多久" wants a number of days, weeks or hours, not a
	 * fee. */
	static const char *const QTY[] = { "how many", "how much", "berapa", "多少", "几" };
	static const char *const DUR[] = { "how long", "how soon", "when", "berapa lama", "bila", "多久", "什么时候",
					   "几天" };
	static const char *const UNIT[] = { "minute", "hour", "day", "week", "month", "year", "minit", "jam", "hari",
					    "minggu", "bulan", "tahun", "分钟", "小时", "天", "周", "星期", "个月", "年" };
	char *lq = xstrdup(turn->text ? turn->text : "");
	for (char *c = lq; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	int qty = 0, dur = 0;
	for (size_t k = 0; k < ARRAY_LEN(DUR); k++)
		dur |= strstr(lq, DUR[k]) != NULL;
	for (size_t k = 0; k < ARRAY_LEN(QTY) && !dur; k++)
		qty |= strstr(lq, QTY[k]) != NULL;
	free(lq);
	for (int i = 0; (qty || dur) && i < ns; i++) {
		const char *t = texts[s[i].passage] + s[i].start;
		int digit = 0;
		for (size_t k = 0; k < s[i].len && !digit; k++)
			digit = isdigit((unsigned char)t[k]);
		if (digit && dur) {
			char *one = xstrndup(t, s[i].len);
			for (char *c = one; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			int unit = 0;
			for (size_t k = 0; k < ARRAY_LEN(UNIT) && !unit; k++)
				unit = strstr(one, UNIT[k]) != NULL;
			free(one);
			digit = unit;
		}
		if (digit && s[i].score > 0)
			s[i].score += 0.6;
	}
	free(hits);
	qhits = NULL;
	/* A table row is about what its first cell names: when that is a
	 * question term ("East Malaysia (Sabah, ...)") the row answers before
	 * prose that mentions it in passing. When its cells and its column
	 * names both match ("how long" ... "Kept for") it is read as a
	 * sentence. Otherwise its words match by chance ("item" in a return
	 * status's meaning), or only its header does ("Warranty" for every
	 * product group), and it stays below prose. */
	for (int i = 0; i < ns; i++)
		if (s[i].row)
			s[i].score *= key[i] ? 1.2 : own[i] && header[i] ? 1.0 : 0.6;
	free(key);
	free(own);
	free(header);

	struct sent *orig = xmalloc(((size_t)ns + 1) * sizeof(*orig));
	if (ns)
		memcpy(orig, s, (size_t)ns * sizeof(*s));
	json_t *args;
	const char *tool;
	if (ns == 0 || q.n == 0) {
		tool = "clarify";
		args = json_pack("{s:s}", "question", clarify_text(turn->language));
	} else {
		qsort(s, (size_t)ns, sizeof(*s), by_score);
		if (s[0].score < 1.0) {
			tool = "clarify";
			args = json_pack("{s:s}", "question", clarify_text(turn->language));
		} else {
			/* The best sentence is cited with its passage; the sentences
			 * right after it in the same paragraph follow (its context,
			 * or an FAQ answer's rest), then one more strong match of the
			 * same passage if room is left; all in document order. */
			size_t pi = s[0].passage;
			struct sent pick[3];
			int np = 0;
			size_t bytes = s[0].len;
			pick[np++] = s[0];
			for (int j = s[0].order; np < 3 && (!orig[j].para_end || ends_open(texts[pi], &orig[j])) && j + 1 < ns &&
						 orig[j + 1].passage == pi && has_final_punct(texts[pi], &orig[j + 1]) &&
						 bytes + orig[j + 1].len <= OFF_MAX_ANSWER;
			     j++) {
				pick[np++] = orig[j + 1];
				bytes += orig[j + 1].len;
			}
			for (int i = 1; i < ns && np < 3; i++) {
				int dup = 0;
				for (int k = 0; k < np; k++)
					dup |= pick[k].order == s[i].order;
				/* Offsets are into the sentence's own passage: check it first. */
				if (dup || s[i].passage != pi || s[i].len == 0)
					continue;
				/* a row goes with rows of its own table (both mattress
				 * types' warranties), a sentence with sentences */
				char last = texts[pi][s[i].start + s[i].len - 1];
				int fits = s[0].row ? s[i].row && s[i].hs == s[0].hs && s[i].he == s[0].he
						    : !s[i].row && strchr(".!?)", last);
				if (!fits || s[i].score < s[0].score * 0.8 || bytes + s[i].len > OFF_MAX_ANSWER)
					continue;
				pick[np++] = s[i];
				bytes += s[i].len;
			}
			qsort(pick, (size_t)np, sizeof(*pick), by_order);
			const char *t = texts[pi];
			struct obuf b = { xmalloc(bytes + 8), 0, bytes + 8 };
			b.s[0] = '\0';
			/* a list says what it is only with the line that leads into
			 * it ("These can only be returned if faulty:") */
			if (pick[0].item && pick[0].he > pick[0].hs)
				clean_append(&b, t + pick[0].hs, pick[0].he - pick[0].hs);
			for (int i = 0; i < np; i++)
				if (pick[i].row)
					row_append(&b, t, &pick[i]);
				else
					clean_append(&b, t + pick[i].start, pick[i].len);
			tool = "answer";
			args = json_pack("{s:s, s:s}", "citation_id", turn->passages[pi]->id, "text", b.s);
			free(b.s);
		}
	}
	free(s);
	free(orig);
	for (size_t pi = 0; pi < turn->n_passages; pi++)
		free(texts[pi]);
	free(texts);
	free(plang);
	rc = feed_call(acc, tool, args);
	json_decref(args);
	if (rc < 0) {
		snprintf(errstr, 256, "offline: answer too long to stream");
		return LLM_EPROTOCOL;
	}
	return 0;
}

static int offline_turn(void *self, const Chat__Turn *turn, const struct llm_prompt *prompt, struct llm_acc *acc,
			char errstr[256])
{
	(void)self;
	(void)prompt;
	return llm_offline_compose(turn, acc, errstr);
}

static void offline_free(void *self)
{
	(void)self;
}

void llm_offline_provider(struct llm_provider *p)
{
	p->name = "offline";
	p->self = NULL;
	p->turn = offline_turn;
	p->free = offline_free;
}
