/* chunk: document text extraction and chunking. */
#include "chunk.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* ------------------------------------------------------------------ UTF-8 */

/* Decode one code point at s[0..len); *n gets its length (1 for a bad byte,
 * which decodes as U+FFFD). */
static uint32_t utf8_next(const char *s, size_t len, size_t *n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	size_t need;
	if (u[0] < 0x80) {
		*n = 1;
		return u[0];
	} else if ((u[0] & 0xe0) == 0xc0) {
		cp = u[0] & 0x1f;
		need = 2;
	} else if ((u[0] & 0xf0) == 0xe0) {
		cp = u[0] & 0x0f;
		need = 3;
	} else if ((u[0] & 0xf8) == 0xf0) {
		cp = u[0] & 0x07;
		need = 4;
	} else {
		*n = 1;
		return 0xfffd;
	}
	if (need > len) {
		*n = 1;
		return 0xfffd;
	}
	for (size_t i = 1; i < need; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*n = 1;
			return 0xfffd;
		}
		cp = (cp << 6) | (u[i] & 0x3f);
	}
	*n = need;
	return cp;
}

static int is_han(uint32_t cp)
{
	return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0xf900 && cp <= 0xfaff) ||
	       (cp >= 0x20000 && cp <= 0x2ebef);
}

/* CJK punctuation and full-width forms: separators, not part of words. */
static int is_cjk_punct(uint32_t cp)
{
	return (cp >= 0x3000 && cp <= 0x303f) || (cp >= 0xff00 && cp <= 0xff0f) || (cp >= 0xff1a && cp <= 0xff20) ||
	       (cp >= 0xff3b && cp <= 0xff40) || (cp >= 0xff5b && cp <= 0xff65);
}

static int is_cjk_sentence_end(uint32_t cp)
{
	return cp == 0x3002 || cp == 0xff01 || cp == 0xff1f || cp == 0xff1b;
}

static int is_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' || cp == 0xa0 ||
	       cp == 0x3000;
}

static void utf8_put(char *out, size_t *n, uint32_t cp)
{
	if (cp < 0x80) {
		out[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*n)++] = (char)(0xc0 | (cp >> 6));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*n)++] = (char)(0xe0 | (cp >> 12));
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*n)++] = (char)(0xf0 | (cp >> 18));
		out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* --------------------------------------------------------- text builder */

struct heading {
	size_t off, end; /* where the heading starts and ends in the extracted text */
	char *text;
};

struct xb {
	char *p;
	size_t len, cap;
	struct heading *heads;
	size_t nheads, capheads;
	size_t head_start; /* SIZE_MAX when not inside a heading */
	int pending_space; /* a run of whitespace was seen (HTML collapsing) */
};

static void xb_init(struct xb *b, size_t hint)
{
	memset(b, 0, sizeof(*b));
	b->cap = hint + 16;
	b->p = xmalloc(b->cap);
	b->p[0] = '\0';
	b->head_start = SIZE_MAX;
}

static void xb_put(struct xb *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap *= 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void xb_putc(struct xb *b, char c)
{
	xb_put(b, &c, 1);
}

/* Drop trailing spaces and tabs. */
static void xb_trim_end(struct xb *b)
{
	while (b->len && (b->p[b->len - 1] == ' ' || b->p[b->len - 1] == '\t'))
		b->len--;
	b->p[b->len] = '\0';
}

/* End the current line (no blank line; nothing at the start). */
static void xb_line(struct xb *b)
{
	xb_trim_end(b);
	if (b->len && b->p[b->len - 1] != '\n')
		xb_putc(b, '\n');
	b->pending_space = 0;
}

/* End the current paragraph: the text ends with one blank line. */
static void xb_par(struct xb *b)
{
	xb_trim_end(b);
	if (!b->len)
		return;
	if (b->p[b->len - 1] != '\n')
		xb_putc(b, '\n');
	if (b->len < 2 || b->p[b->len - 2] != '\n')
		xb_putc(b, '\n');
	b->pending_space = 0;
}

static void xb_heading_begin(struct xb *b)
{
	xb_par(b);
	b->head_start = b->len;
}

static void xb_heading_end(struct xb *b)
{
	if (b->head_start == SIZE_MAX)
		return;
	size_t s = b->head_start, e = b->len;
	b->head_start = SIZE_MAX;
	while (s < e && isspace((unsigned char)b->p[s]))
		s++;
	while (e > s && isspace((unsigned char)b->p[e - 1]))
		e--;
	if (e > s) {
		if (b->nheads == b->capheads) {
			b->capheads = b->capheads ? 2 * b->capheads : 16;
			b->heads = xrealloc(b->heads, b->capheads * sizeof(*b->heads));
		}
		b->heads[b->nheads].off = s;
		b->heads[b->nheads].end = e;
		b->heads[b->nheads].text = xstrndup(b->p + s, e - s);
		b->nheads++;
	}
	xb_par(b);
}

static void xb_release(struct xb *b)
{
	for (size_t i = 0; i < b->nheads; i++)
		free(b->heads[i].text);
	free(b->heads);
	free(b->p);
}

/* ------------------------------------------------------------ front matter */

static size_t line_end(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] != '\n')
		i++;
	return i;
}

/* s[a..b) with spaces and a trailing \r trimmed, as a line equal to word? */
static int line_is(const char *s, size_t a, size_t b, const char *word)
{
	while (b > a && (s[b - 1] == '\r' || s[b - 1] == ' ' || s[b - 1] == '\t'))
		b--;
	size_t n = strlen(word);
	return b - a == n && !memcmp(s + a, word, n);
}

size_t chunk_front_matter(const char *s, size_t len, chunk_fm_fn fn, void *arg)
{
	size_t i = 0;
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		i = 3;
	size_t e = line_end(s, len, i);
	if (!line_is(s, i, e, "---"))
		return 0;
	/* Find the closing line first: without it nothing is front matter. */
	size_t body = 0, pos = e + 1, close = 0;
	while (pos < len) {
		size_t le = line_end(s, len, pos);
		if (line_is(s, pos, le, "---") || line_is(s, pos, le, "...")) {
			close = pos;
			body = le < len ? le + 1 : le;
			break;
		}
		pos = le + 1;
	}
	if (!body)
		return 0;
	for (pos = e + 1; pos < close;) {
		size_t le = line_end(s, len, pos);
		size_t colon = pos;
		while (colon < le && s[colon] != ':')
			colon++;
		if (fn && colon < le && s[pos] != '#') {
			size_t ka = pos, kb = colon, va = colon + 1, vb = le;
			while (ka < kb && isspace((unsigned char)s[ka]))
				ka++;
			while (kb > ka && isspace((unsigned char)s[kb - 1]))
				kb--;
			while (va < vb && isspace((unsigned char)s[va]))
				va++;
			while (vb > va && isspace((unsigned char)s[vb - 1]))
				vb--;
			if (vb - va >= 2 && (s[va] == '"' || s[va] == '\'') && s[vb - 1] == s[va]) {
				va++;
				vb--;
			}
			if (kb > ka)
				fn(arg, s + ka, kb - ka, s + va, vb - va);
		}
		pos = le + 1;
	}
	return body;
}

/* ---------------------------------------------------------------- formats */

int chunk_format_of(const char *ct)
{
	if (!ct || !*ct)
		return -1;
	size_t n = strcspn(ct, ";");
	if (n == 13 && !strncasecmp(ct, "text/markdown", n))
		return CHUNK_MARKDOWN;
	if ((n == 9 && !strncasecmp(ct, "text/html", n)) || (n == 21 && !strncasecmp(ct, "application/xhtml+xml", n)))
		return CHUNK_HTML;
	if (n == 10 && !strncasecmp(ct, "text/plain", n))
		return CHUNK_TEXT;
	return -1;
}

int chunk_format_of_path(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (!dot || (slash && dot < slash))
		return -1;
	dot++;
	if (!strcasecmp(dot, "md") || !strcasecmp(dot, "markdown"))
		return CHUNK_MARKDOWN;
	if (!strcasecmp(dot, "html") || !strcasecmp(dot, "htm"))
		return CHUNK_HTML;
	if (!strcasecmp(dot, "txt"))
		return CHUNK_TEXT;
	return -1;
}

/* --------------------------------------------------------------- Markdown */

/* Inline Markdown of one line into b: links and images become their text,
 * emphasis and code markers go. */
static void md_inline(struct xb *b, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		char c = s[i];
		if ((c == '[' || (c == '!' && i + 1 < n && s[i + 1] == '['))) {
			size_t open = c == '!' ? i + 1 : i, close = open + 1;
			int depth = 1;
			while (close < n && depth) {
				if (s[close] == '[')
					depth++;
				else if (s[close] == ']')
					depth--;
				if (depth)
					close++;
			}
			if (close < n && close + 1 < n && (s[close + 1] == '(' || s[close + 1] == '[')) {
				char want = s[close + 1] == '(' ? ')' : ']';
				size_t end = close + 2;
				while (end < n && s[end] != want)
					end++;
				if (end < n) {
					md_inline(b, s + open + 1, close - open - 1);
					i = end + 1;
					continue;
				}
			}
		}
		if (c == '*' || c == '`' || (c == '_' && i + 1 < n && s[i + 1] == '_')) {
			i += c == '_' ? 2 : 1;
			continue;
		}
		if (c == '\\' && i + 1 < n && ispunct((unsigned char)s[i + 1])) {
			xb_putc(b, s[i + 1]);
			i += 2;
			continue;
		}
		xb_putc(b, c);
		i++;
	}
}

static int is_fence(const char *s, size_t n)
{
	while (n && (*s == ' ') && n > 0) {
		s++;
		n--;
	}
	return n >= 3 && (!memcmp(s, "```", 3) || !memcmp(s, "~~~", 3));
}

/* A table separator row such as |---|:--:| */
static int is_table_rule(const char *s, size_t n)
{
	int dash = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-')
			dash = 1;
		else if (!strchr("|:- \t\r", s[i]))
			return 0;
	}
	return dash;
}

static void md_extract(struct xb *b, const char *s, size_t len)
{
	int in_code = 0;
	/* The line before was paragraph text; a list is open. A number that
	 * ends a sentence and starts the next line ("... on 30 November\n2028.
	 * We remind you") is text: as in CommonMark, an ordered item can
	 * interrupt a paragraph only when it starts at 1. */
	int prev_text = 0, in_list = 0, prev_blank = 1;
	size_t pos = 0;
	while (pos < len) {
		size_t le = line_end(s, len, pos), n = le - pos;
		const char *l = s + pos;
		if (n && l[n - 1] == '\r')
			n--;
		pos = le + 1;
		if (is_fence(l, n)) {
			xb_par(b);
			in_code = !in_code;
			prev_text = in_list = 0;
			prev_blank = 1;
			continue;
		}
		if (in_code) {
			/* Code is kept as it is, one line per line. */
			xb_put(b, l, n);
			xb_line(b);
			continue;
		}
		size_t i = 0;
		while (i < n && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (i == n) {
			xb_par(b);
			prev_text = 0;
			prev_blank = 1;
			continue;
		}
		int was_blank = prev_blank;
		prev_blank = 0;
		if (l[i] == '#') {
			size_t h = i;
			while (h < n && l[h] == '#')
				h++;
			if (h - i <= 6 && (h == n || l[h] == ' ' || l[h] == '\t')) {
				size_t e = n;
				while (e > h && (l[e - 1] == '#' || l[e - 1] == ' ' || l[e - 1] == '\t'))
					e--;
				while (h < e && (l[h] == ' ' || l[h] == '\t'))
					h++;
				xb_heading_begin(b);
				md_inline(b, l + h, e - h);
				xb_heading_end(b);
				prev_text = in_list = 0;
				continue;
			}
		}
		if (is_table_rule(l + i, n - i)) {
			if (n - i >= 3 && (l[i] == '-' || l[i] == '*' || l[i] == '_') && !memchr(l + i, '|', n - i))
				xb_par(b); /* a horizontal rule */
			continue;
		}
		/* Block quotes and list markers go; the item stays a line. */
		while (i < n && l[i] == '>') {
			i++;
			while (i < n && l[i] == ' ')
				i++;
		}
		int item = 0;
		if (i + 1 < n && (l[i] == '-' || l[i] == '*' || l[i] == '+') && l[i + 1] == ' ') {
			i += 2;
			item = 1;
		} else {
			size_t d = i;
			while (d < n && isdigit((unsigned char)l[d]))
				d++;
			int starts_at_1 = d == i + 1 && l[i] == '1';
			if (d > i && d - i <= 9 && d + 1 < n && (l[d] == '.' || l[d] == ')') && l[d + 1] == ' ' &&
			    (!prev_text || in_list || starts_at_1)) {
				i = d + 2;
				item = 1;
			}
		}
		if (item)
			xb_line(b);
		/* a paragraph after a blank line closes the list; an indented one
		 * continues its item */
		if (item)
			in_list = 1;
		else if (was_blank && l[0] != ' ' && l[0] != '\t')
			in_list = 0;
		prev_text = !memchr(l + i, '|', n - i);
		if (memchr(l + i, '|', n - i)) {
			/* A table row: cells separated by spaces, one row per line. */
			size_t a = i, e = n;
			while (a < e && (l[a] == '|' || l[a] == ' '))
				a++;
			while (e > a && (l[e - 1] == '|' || l[e - 1] == ' '))
				e--;
			xb_line(b);
			size_t c = a;
			while (c <= e) {
				size_t d = c;
				while (d < e && l[d] != '|')
					d++;
				size_t ca = c, cb = d;
				while (ca < cb && l[ca] == ' ')
					ca++;
				while (cb > ca && l[cb - 1] == ' ')
					cb--;
				if (c > a)
					xb_put(b, " | ", 3);
				md_inline(b, l + ca, cb - ca);
				c = d + 1;
			}
			xb_line(b);
			continue;
		}
		/* A continuation line joins its paragraph with a line break. */
		if (b->len && b->p[b->len - 1] != '\n' && !item)
			xb_putc(b, '\n');
		md_inline(b, l + i, n - i);
	}
	xb_par(b);
}

/* ------------------------------------------------------------------- HTML */

static const struct {
	const char *name;
	uint32_t cp;
} entities[] = {
	{ "amp", '&' },	    { "lt", '<' },	 { "gt", '>' },	      { "quot", '"' },	    { "apos", '\'' },
	{ "nbsp", ' ' },    { "ndash", 0x2013 }, { "mdash", 0x2014 }, { "hellip", 0x2026 }, { "copy", 0xa9 },
	{ "reg", 0xae },    { "trade", 0x2122 }, { "lsquo", 0x2018 }, { "rsquo", 0x2019 },  { "ldquo", 0x201c },
	{ "rdquo", 0x201d }, { "middot", 0xb7 },  { "bull", 0x2022 },  { "euro", 0x20ac },   { "pound", 0xa3 },
};

/* Decode an entity at s (which starts with '&'); returns bytes consumed, 0
 * when it is not one. */
static size_t html_entity(const char *s, size_t n, uint32_t *cp)
{
	size_t semi = 1;
	while (semi < n && semi < 12 && s[semi] != ';')
		semi++;
	if (semi >= n || s[semi] != ';' || semi < 2)
		return 0;
	if (s[1] == '#') {
		char num[12];
		size_t k = semi - 2;
		if (k == 0 || k >= sizeof(num))
			return 0;
		memcpy(num, s + 2, k);
		num[k] = '\0';
		char *end;
		unsigned long v = (num[0] == 'x' || num[0] == 'X') ? strtoul(num + 1, &end, 16) : strtoul(num, &end, 10);
		if (*end || v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			return 0;
		*cp = (uint32_t)v;
		return semi + 1;
	}
	for (size_t i = 0; i < ARRAY_LEN(entities); i++) {
		size_t k = strlen(entities[i].name);
		if (k == semi - 1 && !memcmp(s + 1, entities[i].name, k)) {
			*cp = entities[i].cp;
			return semi + 1;
		}
	}
	return 0;
}

static int tag_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && !strncasecmp(name, want, n);
}

static int tag_in(const char *name, size_t n, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (tag_is(name, n, list[i]))
			return 1;
	return 0;
}

/* Find the case-insensitive "</name" closing tag from i; returns the index
 * after its '>' or n. */
static size_t skip_to_close(const char *s, size_t n, size_t i, const char *name, size_t nlen)
{
	while (i + 2 + nlen <= n) {
		if (s[i] == '<' && s[i + 1] == '/' && !strncasecmp(s + i + 2, name, nlen)) {
			const char *gt = memchr(s + i, '>', n - i);
			return gt ? (size_t)(gt - s) + 1 : n;
		}
		i++;
	}
	return n;
}

static void html_text(struct xb *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			b->pending_space = 1;
			continue;
		}
		if (b->pending_space && b->len && b->p[b->len - 1] != '\n' && b->p[b->len - 1] != ' ')
			xb_putc(b, ' ');
		b->pending_space = 0;
		uint32_t cp;
		size_t k = c == '&' ? html_entity(s + i, n - i, &cp) : 0;
		if (k) {
			char u[4];
			size_t un = 0;
			utf8_put(u, &un, cp == 0xa0 ? ' ' : cp);
			xb_put(b, u, un);
			i += k - 1;
		} else {
			xb_putc(b, c);
		}
	}
}

static void html_extract(struct xb *b, const char *s, size_t n)
{
	static const char *const blocks[] = { "p",	"div",	  "section", "article", "header", "footer", "main",
					      "nav",	"aside",  "ul",	     "ol",	"table",  "blockquote",
					      "pre",	"hr",	  "form",    "figure",	"dl",	  "dd",	    "dt",
					      "title",	"body",	  "html",    "caption", "address", NULL };
	/* a table's rows are lines of one block, as the Markdown extractor
	 * writes them ("cell | cell"): the answer composer reads a row with
	 * the table's first line as its header */
	static const char *const lines[] = { "br", "li", "tr", "td", "th", NULL };
	static const char *const skipped[] = { "script", "style", "noscript", "template", "svg", "head", NULL };
	size_t i = 0, text = 0;
	while (i < n) {
		if (s[i] != '<') {
			i++;
			continue;
		}
		html_text(b, s + text, i - text);
		if (i + 4 <= n && !memcmp(s + i, "<!--", 4)) {
			const char *end = NULL;
			for (size_t k = i + 4; k + 3 <= n; k++)
				if (!memcmp(s + k, "-->", 3)) {
					end = s + k;
					break;
				}
			i = end ? (size_t)(end - s) + 3 : n;
			text = i;
			continue;
		}
		const char *gt = memchr(s + i, '>', n - i);
		if (!gt) {
			/* A lone '<' is text. */
			text = i;
			i++;
			continue;
		}
		size_t close = (size_t)(gt - s);
		size_t a = i + 1;
		int closing = 0;
		if (a < close && s[a] == '/') {
			closing = 1;
			a++;
		}
		size_t e = a;
		while (e < close && (isalnum((unsigned char)s[e])))
			e++;
		const char *name = s + a;
		size_t nlen = e - a;
		i = close + 1;
		text = i;
		if (!nlen)
			continue;
		if (!closing && tag_in(name, nlen, skipped) && !tag_is(name, nlen, "head")) {
			i = skip_to_close(s, n, i, name, nlen);
			text = i;
			continue;
		}
		if (!closing && tag_is(name, nlen, "head")) {
			/* Keep the <title> only. */
			size_t end = skip_to_close(s, n, i, "head", 4);
			for (size_t k = i; k + 7 <= end; k++) {
				if (!strncasecmp(s + k, "<title", 6)) {
					const char *tg = memchr(s + k, '>', end - k);
					if (!tg)
						break;
					size_t ts = (size_t)(tg - s) + 1;
					size_t te = skip_to_close(s, end, ts, "title", 5);
					size_t lt = ts;
					while (lt < te && s[lt] != '<')
						lt++;
					xb_heading_begin(b);
					html_text(b, s + ts, lt - ts);
					xb_heading_end(b);
					break;
				}
			}
			i = end;
			text = i;
			continue;
		}
		if (nlen == 2 && (name[0] == 'h' || name[0] == 'H') && name[1] >= '1' && name[1] <= '6') {
			if (closing)
				xb_heading_end(b);
			else
				xb_heading_begin(b);
		} else if (tag_in(name, nlen, blocks)) {
			xb_par(b);
		} else if (tag_in(name, nlen, lines)) {
			if (tag_is(name, nlen, "td") || tag_is(name, nlen, "th")) {
				if (!closing && b->len && b->p[b->len - 1] != '\n')
					xb_put(b, " | ", 3);
			} else {
				xb_line(b);
			}
		}
	}
	html_text(b, s + text, n - text);
	xb_heading_end(b);
	xb_par(b);
}

/* ------------------------------------------------------------------ text */

static void text_extract(struct xb *b, const char *s, size_t len)
{
	size_t pos = 0;
	while (pos < len) {
		size_t le = line_end(s, len, pos), n = le - pos;
		const char *l = s + pos;
		if (n && l[n - 1] == '\r')
			n--;
		pos = le + 1;
		size_t i = 0;
		while (i < n && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (i == n) {
			xb_par(b);
			continue;
		}
		if (b->len && b->p[b->len - 1] != '\n')
			xb_putc(b, '\n');
		xb_put(b, l, n);
	}
	xb_par(b);
}

static void extract(struct xb *b, const char *body, size_t len, enum chunk_format fmt)
{
	size_t off = fmt == CHUNK_HTML ? 0 : chunk_front_matter(body, len, NULL, NULL);
	xb_init(b, len - off);
	if (fmt == CHUNK_MARKDOWN)
		md_extract(b, body + off, len - off);
	else if (fmt == CHUNK_HTML)
		html_extract(b, body + off, len - off);
	else
		text_extract(b, body + off, len - off);
	xb_trim_end(b);
	while (b->len && b->p[b->len - 1] == '\n')
		b->p[--b->len] = '\0';
}

char *chunk_extract(const char *body, size_t len, enum chunk_format fmt)
{
	struct xb b;
	extract(&b, body, len, fmt);
	char *out = b.p;
	b.p = NULL;
	xb_release(&b);
	return out;
}

/* -------------------------------------------------------------- tokens */

struct tok {
	size_t start, end; /* bytes of the extracted text */
	int sentence_end;  /* the token closes a sentence */
	int head_start;    /* the token starts a heading */
	int head_end;      /* the token ends a heading */
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

static void toks_add(struct toks *t, size_t start, size_t end, int sentence_end)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n++] = (struct tok){ start, end, sentence_end, 0, 0 };
}

static void tokenize(const char *s, size_t len, struct toks *t)
{
	size_t i = 0, word = SIZE_MAX;
	while (i < len) {
		size_t k;
		uint32_t cp = utf8_next(s + i, len - i, &k);
		int sep = is_space(cp) || is_han(cp) || is_cjk_punct(cp);
		if (word != SIZE_MAX && (sep || i - word + k > CHUNK_MAX_WORD_BYTES)) {
			char last = s[i - 1];
			toks_add(t, word, i, last == '.' || last == '!' || last == '?' || last == ';' || last == ':');
			word = SIZE_MAX;
		}
		if (is_han(cp)) {
			toks_add(t, i, i + k, 0);
		} else if (is_cjk_punct(cp)) {
			if (is_cjk_sentence_end(cp) && t->n)
				t->v[t->n - 1].sentence_end = 1;
		} else if (!sep && word == SIZE_MAX) {
			word = i;
		}
		i += k;
	}
	if (word != SIZE_MAX)
		toks_add(t, word, len, 1);
}

int chunk_count_tokens(const char *s, size_t len)
{
	struct toks t = { 0 };
	tokenize(s, len, &t);
	int n = (int)t.n;
	free(t.v);
	return n;
}

/* Mark the tokens where headings start and end. */
static void mark_headings(const struct xb *b, struct toks *t)
{
	size_t h = 0;
	for (size_t i = 0; i < t->n && h < b->nheads; i++) {
		while (h < b->nheads && b->heads[h].end <= t->v[i].start)
			h++;
		if (h == b->nheads)
			break;
		if (t->v[i].start >= b->heads[h].off && t->v[i].start < b->heads[h].end) {
			if (t->v[i].start == b->heads[h].off)
				t->v[i].head_start = 1;
			if (t->v[i].end >= b->heads[h].end)
				t->v[i].head_end = 1;
		}
	}
}

/* How good a cut after token i is: 4 before a heading, 3 paragraph, 2
 * sentence or line, 1 word, 0 right after a heading (which would leave the
 * heading without its text). */
static int cut_level(const char *s, const struct toks *t, size_t i)
{
	if (i + 1 >= t->n)
		return 4;
	if (t->v[i + 1].head_start)
		return 4;
	if (t->v[i].head_end)
		return 0;
	size_t a = t->v[i].end, b = t->v[i + 1].start;
	int nl = 0;
	for (size_t k = a; k < b; k++)
		nl += s[k] == '\n';
	if (nl >= 2)
		return 3;
	if (nl == 1 || t->v[i].sentence_end)
		return 2;
	return 1;
}

static const char *heading_at(const struct xb *b, size_t off)
{
	const char *h = "";
	for (size_t i = 0; i < b->nheads && b->heads[i].off <= off; i++)
		h = b->heads[i].text;
	return h;
}

int chunk_document(const char *body, size_t len, enum chunk_format fmt, int target, int overlap,
		   struct chunk_list *out, char *errstr, size_t errlen)
{
	struct xb b;
	struct toks t = { 0 };
	size_t cap = 0;
	int rc = 0;
	if (target <= 0)
		target = CHUNK_TARGET_TOKENS;
	if (overlap < 0)
		overlap = CHUNK_OVERLAP_TOKENS;
	if (overlap >= target)
		overlap = target / 10;
	memset(out, 0, sizeof(*out));
	extract(&b, body, len, fmt);
	out->first_heading = xstrdup(b.nheads ? b.heads[0].text : "");
	tokenize(b.p, b.len, &t);
	mark_headings(&b, &t);
	size_t s = 0;
	while (s < t.n) {
		size_t e = s;
		while (e < t.n && e - s < (size_t)target && t.v[e].end - t.v[s].start <= CHUNK_MAX_BYTES)
			e++;
		if (e == s)
			e = s + 1; /* cannot happen with word pieces bounded; stay safe */
		if (e < t.n) {
			/* Cut at the best boundary in the last half of the window. */
			size_t best = e;
			int best_level = cut_level(b.p, &t, e - 1);
			size_t floor = s + (e - s) / 2;
			for (size_t c = e - 1; c > floor && best_level < 4; c--) {
				int lv = cut_level(b.p, &t, c - 1);
				if (lv > best_level) {
					best_level = lv;
					best = c;
				}
			}
			e = best;
		}
		if (out->n == CHUNK_MAX_CHUNKS) {
			snprintf(errstr, errlen, "more than %d chunks", CHUNK_MAX_CHUNKS);
			rc = -1;
			goto out;
		}
		if (out->n == cap) {
			cap = cap ? 2 * cap : 16;
			out->v = xrealloc(out->v, cap * sizeof(*out->v));
		}
		struct chunk *c = &out->v[out->n++];
		c->text = xstrndup(b.p + t.v[s].start, t.v[e - 1].end - t.v[s].start);
		c->heading = xstrdup(heading_at(&b, t.v[s].start));
		c->tokens = (int)(e - s);
		if (e >= t.n)
			break;
		/* A new section needs no context from the one before it. */
		size_t next = t.v[e].head_start ? e : e > (size_t)overlap ? e - (size_t)overlap : 0;
		s = next > s ? next : s + 1;
	}
out:
	if (rc)
		chunk_list_release(out);
	free(t.v);
	xb_release(&b);
	return rc;
}

void chunk_list_release(struct chunk_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].text);
		free(l->v[i].heading);
	}
	free(l->v);
	free(l->first_heading);
	memset(l, 0, sizeof(*l));
}

/* ------------------------------------------------------------- Han text */

char *chunk_space_han(const char *s)
{
	size_t len = strlen(s), n = 0;
	char *out = xmalloc(3 * len + 1);
	for (size_t i = 0; i < len;) {
		size_t k;
		uint32_t cp = utf8_next(s + i, len - i, &k);
		if (is_han(cp)) {
			if (n && out[n - 1] != ' ')
				out[n++] = ' ';
			memcpy(out + n, s + i, k);
			n += k;
			out[n++] = ' ';
		} else {
			memcpy(out + n, s + i, k);
			n += k;
		}
		i += k;
	}
	out[n] = '\0';
	return out;
}

int chunk_has_han(const char *s)
{
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		size_t k;
		if (is_han(utf8_next(s + i, len - i, &k)))
			return 1;
		i += k;
	}
	return 0;
}

char *chunk_title(const char *doc_title, const char *heading)
{
	return *heading && strcmp(heading, doc_title) ? xasprintf("%s > %s", doc_title, heading) : xstrdup(doc_title);
}
