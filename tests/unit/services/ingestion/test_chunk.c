/* chunk: front matter, Markdown/HTML/text extraction, token counts, chunk
 * sizes, overlap, boundaries and Han text. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../testutil.h"
#include "chunk.h"

TestSuite(chunk, .fini = tu_leak_check);

struct fm {
	char keys[8][32], vals[8][64];
	int n;
};

static void on_fm(void *arg, const char *key, size_t klen, const char *val, size_t vlen)
{
	struct fm *f = arg;
	if (f->n == 8)
		return;
	snprintf(f->keys[f->n], sizeof(f->keys[0]), "%.*s", (int)klen, key);
	snprintf(f->vals[f->n], sizeof(f->vals[0]), "%.*s", (int)vlen, val);
	f->n++;
}

Test(chunk, front_matter_pairs_and_body_offset)
{
	const char doc[] = "---\ntitle: Returns and refunds\ntype: policy\nlanguage: \"en\"\nversion: 3\r\n---\n# H\n";
	struct fm f = { .n = 0 };
	size_t off = chunk_front_matter(doc, strlen(doc), on_fm, &f);
	cr_assert_str_eq(doc + off, "# H\n");
	cr_assert_eq(f.n, 4);
	cr_assert_str_eq(f.keys[0], "title");
	cr_assert_str_eq(f.vals[0], "Returns and refunds");
	cr_assert_str_eq(f.vals[2], "en", "quotes are removed");
	cr_assert_str_eq(f.vals[3], "3", "CR is trimmed");
}

Test(chunk, front_matter_absent_or_unclosed)
{
	struct fm f = { .n = 0 };
	cr_assert_eq(chunk_front_matter("# Title\n", 8, on_fm, &f), 0);
	cr_assert_eq(chunk_front_matter("---\ntitle: x\nno end\n", 20, on_fm, &f), 0);
	cr_assert_eq(f.n, 0, "an unclosed block is not front matter");
	const char bom[] = "\xef\xbb\xbf---\na: b\n---\nbody";
	cr_assert_str_eq(bom + chunk_front_matter(bom, strlen(bom), on_fm, &f), "body");
}

Test(chunk, formats)
{
	cr_assert_eq(chunk_format_of("text/markdown"), CHUNK_MARKDOWN);
	cr_assert_eq(chunk_format_of("text/html; charset=utf-8"), CHUNK_HTML);
	cr_assert_eq(chunk_format_of("text/plain"), CHUNK_TEXT);
	cr_assert_eq(chunk_format_of("application/pdf"), -1);
	cr_assert_eq(chunk_format_of_path("kb/en/a.md"), CHUNK_MARKDOWN);
	cr_assert_eq(chunk_format_of_path("a.MARKDOWN"), CHUNK_MARKDOWN);
	cr_assert_eq(chunk_format_of_path("a.htm"), CHUNK_HTML);
	cr_assert_eq(chunk_format_of_path("notes.txt"), CHUNK_TEXT);
	cr_assert_eq(chunk_format_of_path("a.pdf"), -1);
	cr_assert_eq(chunk_format_of_path("dir.md/file"), -1);
}

Test(chunk, markdown_is_stripped_lightly)
{
	const char md[] = "---\ntitle: T\n---\n# Returns **policy**\n\nSee [our stores](https://x.example/s) and "
			  "![a map](m.png).\nUse `code` here.\n\n- first item\n- second item\n\n```\nint x = 1;\n```\n\n"
			  "| Tier | Days |\n|---|---|\n| Platinum | 45 |\n";
	char *t = chunk_extract(md, strlen(md), CHUNK_MARKDOWN);
	cr_assert(strstr(t, "Returns policy"), "heading kept as text: %s", t);
	cr_assert_null(strstr(t, "title: T"), "front matter is not text");
	cr_assert(strstr(t, "See our stores and a map."), "links become their text: %s", t);
	cr_assert_null(strstr(t, "https://"));
	cr_assert(strstr(t, "Use code here."));
	cr_assert(strstr(t, "first item\nsecond item"), "list markers go: %s", t);
	cr_assert(strstr(t, "int x = 1;"), "code fences keep their code");
	cr_assert_null(strstr(t, "```"));
	cr_assert(strstr(t, "Platinum | 45"), "table rows: %s", t);
	cr_assert_null(strstr(t, "---"));
	free(t);
}

Test(chunk, an_html_table_is_one_block_of_rows)
{
	const char html[] = "<h2>Delivery fees</h2><table><caption>Per order</caption><thead><tr><th>Where</th>"
			    "<th>Fee</th></tr></thead><tbody><tr><td>Klang Valley</td><td>RM 15</td></tr>"
			    "<tr><td>Sabah</td><td>RM 25</td></tr></tbody></table><p>After.</p>";
	char *t = chunk_extract(html, strlen(html), CHUNK_HTML);
	cr_assert(strstr(t, "Where | Fee\nKlang Valley | RM 15\nSabah | RM 25\n\nAfter."),
		  "rows on consecutive lines, like Markdown's: %s", t);
	free(t);
}

Test(chunk, a_number_that_starts_a_wrapped_line_is_text_not_a_list)
{
	const char md[] = "Points earned on 15 November 2026 expire on 30 November\n2028. We remind you.\n\n"
			  "To return:\n1. pack it,\n2. bring it in,\n   with the receipt,\n3. get the refund.\n\n"
			  "# Steps\n\n4. keep the box\n5. done\n";
	char *t = chunk_extract(md, strlen(md), CHUNK_MARKDOWN);
	cr_assert(strstr(t, "30 November\n2028. We remind you."), "a year on a wrapped line stays: %s", t);
	cr_assert(strstr(t, "pack it,\nbring it in,"), "an ordered list from 1 interrupts its paragraph: %s", t);
	cr_assert(strstr(t, "get the refund."), "%s", t);
	cr_assert_null(strstr(t, "3. get"), "items go on after a continuation line: %s", t);
	cr_assert(strstr(t, "keep the box\ndone"), "after a heading any number starts a list: %s", t);
	free(t);
}

Test(chunk, html_tags_scripts_styles_and_entities)
{
	const char html[] = "<html><head><title>Refunds</title><style>p{color:red}</style></head><body>"
			    "<h1>Refunds &amp; returns</h1><script>var a = '<p>';</script><p>Within&nbsp;30 days "
			    "&lt;excl. sale&gt; &#8211; &#x41;&quot;ok&quot;</p><!-- hidden --><ul><li>one</li>"
			    "<li>two</li></ul></body></html>";
	char *t = chunk_extract(html, strlen(html), CHUNK_HTML);
	cr_assert(strstr(t, "Refunds & returns"), "%s", t);
	cr_assert(strstr(t, "Within 30 days <excl. sale> \xe2\x80\x93 A\"ok\""), "entities decoded: %s", t);
	cr_assert_null(strstr(t, "var a"), "scripts dropped");
	cr_assert_null(strstr(t, "color"), "styles dropped");
	cr_assert_null(strstr(t, "hidden"), "comments dropped");
	cr_assert_null(strchr(t, '<') == t ? t : strstr(t, "<p>"));
	cr_assert(strstr(t, "one\ntwo"), "%s", t);
	free(t);
	struct chunk_list l;
	char err[256];
	cr_assert_eq(chunk_document(html, strlen(html), CHUNK_HTML, 0, -1, &l, err, sizeof(err)), 0);
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.first_heading, "Refunds");
	cr_assert_str_eq(l.v[0].heading, "Refunds");
	chunk_list_release(&l);
}

Test(chunk, token_counts)
{
	cr_assert_eq(chunk_count_tokens("one two  three\nfour", 19), 4);
	cr_assert_eq(chunk_count_tokens("", 0), 0);
	const char zh[] = "退货期是30天。";
	cr_assert_eq(chunk_count_tokens(zh, strlen(zh)), 6, "5 Han characters and one word");
	const char mixed[] = "Halia 退货";
	cr_assert_eq(chunk_count_tokens(mixed, strlen(mixed)), 3);
}

/* n sentences of 10 words each, a paragraph break every par sentences. */
static char *make_text(int n, int par)
{
	size_t cap = (size_t)n * 80 + 1, len = 0;
	char *s = xmalloc(cap);
	for (int i = 0; i < n; i++) {
		len += (size_t)snprintf(s + len, cap - len, "w%d a b c d e f g h end.%s", i,
					par && (i + 1) % par == 0 ? "\n\n" : " ");
	}
	return s;
}

Test(chunk, sizes_and_overlap)
{
	char *s = make_text(300, 0); /* 3000 tokens */
	struct chunk_list l;
	char err[256];
	cr_assert_eq(chunk_document(s, strlen(s), CHUNK_TEXT, 0, -1, &l, err, sizeof(err)), 0);
	cr_assert_geq(l.n, 6);
	cr_assert_leq(l.n, 8);
	int total = 0;
	for (size_t i = 0; i < l.n; i++) {
		cr_assert_leq(l.v[i].tokens, CHUNK_TARGET_TOKENS, "chunk %zu has %d tokens", i, l.v[i].tokens);
		if (i + 1 < l.n)
			cr_assert_geq(l.v[i].tokens, CHUNK_TARGET_TOKENS / 2, "chunk %zu is too small", i);
		cr_assert_eq(l.v[i].tokens, chunk_count_tokens(l.v[i].text, strlen(l.v[i].text)));
		total += l.v[i].tokens;
	}
	cr_assert_eq(total - (int)(l.n - 1) * CHUNK_OVERLAP_TOKENS, 3000, "every token once, plus the overlaps");
	/* The overlap: the last 50 tokens of a chunk start the next. */
	const char *tail = l.v[0].text + strlen(l.v[0].text);
	int words = 0;
	while (tail > l.v[0].text && words < CHUNK_OVERLAP_TOKENS) {
		tail--;
		if (*tail == ' ' && tail[1] != ' ')
			words++;
	}
	cr_assert_eq(strncmp(l.v[1].text, tail + 1, strlen(tail + 1)), 0, "chunk 1 starts with chunk 0's tail");
	/* Cut at sentence ends. */
	for (size_t i = 0; i + 1 < l.n; i++) {
		size_t n = strlen(l.v[i].text);
		cr_assert_eq(l.v[i].text[n - 1], '.', "chunk %zu ends a sentence: ...%s", i, l.v[i].text + n - 10);
	}
	chunk_list_release(&l);
	free(s);
}

Test(chunk, prefers_paragraph_boundaries)
{
	char *s = make_text(300, 7); /* paragraphs of 70 tokens */
	struct chunk_list l;
	char err[256];
	cr_assert_eq(chunk_document(s, strlen(s), CHUNK_TEXT, 0, -1, &l, err, sizeof(err)), 0);
	for (size_t i = 0; i + 1 < l.n; i++) {
		/* Chunk i ends where a paragraph ends: sentence number 7k-1. */
		const char *last = strrchr(l.v[i].text, 'w');
		int num = -1;
		cr_assert_eq(sscanf(last, "w%d", &num), 1);
		cr_assert_eq((num + 1) % 7, 0, "chunk %zu ends inside a paragraph (sentence %d)", i, num);
	}
	chunk_list_release(&l);
	free(s);
}

Test(chunk, small_target_and_headings)
{
	const char md[] = "# Title\n\nIntro words here.\n\n## Returns\n\none two three four.\n\n"
			  "## Refunds\n\nalpha beta gamma delta epsilon.\n";
	struct chunk_list l;
	char err[256];
	cr_assert_eq(chunk_document(md, strlen(md), CHUNK_MARKDOWN, 10, 2, &l, err, sizeof(err)), 0);
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.first_heading, "Title");
	cr_assert_str_eq(l.v[0].heading, "Title");
	cr_assert_str_eq(l.v[0].text, "Title\n\nIntro words here.\n\nReturns\n\none two three four.",
			 "cut before the next heading: %s", l.v[0].text);
	cr_assert_str_eq(l.v[1].heading, "Refunds");
	cr_assert_str_eq(l.v[1].text, "Refunds\n\nalpha beta gamma delta epsilon.",
			 "no overlap into a new section: %s", l.v[1].text);
	chunk_list_release(&l);
}

Test(chunk, never_ends_on_a_heading)
{
	const char md[] = "# A\n\none two three four five six seven.\n\n## B\n\neight nine ten eleven twelve.\n";
	struct chunk_list l;
	char err[256];
	cr_assert_eq(chunk_document(md, strlen(md), CHUNK_MARKDOWN, 10, 0, &l, err, sizeof(err)), 0);
	for (size_t i = 0; i < l.n; i++) {
		size_t n = strlen(l.v[i].text);
		cr_assert(n < 1 || strcmp(l.v[i].text + n - 1, "B"), "chunk %zu ends with a heading", i);
	}
	chunk_list_release(&l);
}

Test(chunk, han_text)
{
	/* 1200 Han characters without any space: chunks by character count. */
	size_t n = 1200;
	char *s = xmalloc(3 * n + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(s + 3 * i, "退", 3);
	s[3 * n] = '\0';
	struct chunk_list l;
	char err[256];
	cr_assert_eq(chunk_document(s, strlen(s), CHUNK_TEXT, 0, -1, &l, err, sizeof(err)), 0);
	cr_assert_eq(l.n, 3);
	cr_assert_eq(l.v[0].tokens, 512);
	cr_assert_eq(strlen(l.v[0].text), 3 * 512, "cut between characters, never inside one");
	chunk_list_release(&l);
	free(s);

	char *sp = chunk_space_han("退货期30天ok");
	cr_assert_str_eq(sp, "退 货 期 30 天 ok");
	free(sp);
	cr_assert(chunk_has_han("a退"));
	cr_assert_not(chunk_has_han("abc"));
}

Test(chunk, empty_and_long_words)
{
	struct chunk_list l;
	char err[256];
	cr_assert_eq(chunk_document("---\na: b\n---\n  \n", 15, CHUNK_MARKDOWN, 0, -1, &l, err, sizeof(err)), 0);
	cr_assert_eq(l.n, 0);
	chunk_list_release(&l);
	/* A 100 KB run without spaces becomes pieces, and chunks stay bounded. */
	size_t n = 100 * 1024;
	char *s = xmalloc(n + 1);
	memset(s, 'x', n);
	s[n] = '\0';
	cr_assert_eq(chunk_document(s, n, CHUNK_TEXT, 0, -1, &l, err, sizeof(err)), 0);
	cr_assert_geq(l.n, 2);
	for (size_t i = 0; i < l.n; i++)
		cr_assert_leq(strlen(l.v[i].text), CHUNK_MAX_BYTES);
	chunk_list_release(&l);
	free(s);
}
