/* chunk: turns a knowledge-base document (Markdown, HTML or plain text) into
 * plain-text chunks of about CHUNK_TARGET_TOKENS tokens with about
 * CHUNK_OVERLAP_TOKENS tokens of overlap, cut at paragraph or sentence
 * boundaries where it can. Tokens are approximated: a whitespace-separated
 * word of Latin script, or one Han character. Pure: no I/O. Also used by
 * chatctl (front matter) and the retriever (Han spacing of queries). */
#ifndef COMMON_CHUNK_H
#define COMMON_CHUNK_H

#include <stddef.h>

/* Bump when the chunks made from the same text change: the stored content
 * hash includes it, so the next ingest re-indexes unchanged documents. */
#define CHUNK_VERSION 2
#define CHUNK_TARGET_TOKENS 512
#define CHUNK_OVERLAP_TOKENS 50
#define CHUNK_MAX_BYTES 16384   /* a chunk never grows past this many bytes */
#define CHUNK_MAX_CHUNKS 20000  /* more than this from one document is an error */
#define CHUNK_MAX_WORD_BYTES 128 /* a longer run without spaces is cut into pieces */

enum chunk_format { CHUNK_TEXT = 0, CHUNK_MARKDOWN, CHUNK_HTML };

struct chunk {
	char *text;    /* the chunk's text, trimmed */
	char *heading; /* nearest heading at or before the chunk's start, "" when none */
	int tokens;
};

struct chunk_list {
	struct chunk *v;
	size_t n;
	char *first_heading; /* the document's first heading ("" when none): a title fallback */
};

/* Called for each `key: value` line of a front matter block; key and value
 * are not NUL-terminated; value is trimmed and unquoted. */
typedef void (*chunk_fm_fn)(void *arg, const char *key, size_t klen, const char *val, size_t vlen);

/* Parse a leading front matter block (a `---` line, `key: value` lines, a
 * closing `---` line; a UTF-8 BOM before it is allowed), calling fn (may be
 * NULL) for each pair. Returns the offset of the text after the block, or 0
 * when s does not start with a complete block. */
size_t chunk_front_matter(const char *s, size_t len, chunk_fm_fn fn, void *arg);

/* The format for a MIME type (text/markdown, text/html, text/plain, ...)
 * or a file name's extension (.md .markdown .html .htm .txt). -1 when
 * neither is known. */
int chunk_format_of(const char *content_type);
int chunk_format_of_path(const char *path);

/* Extract the document's text (front matter skipped; Markdown syntax
 * stripped lightly: headings kept as text, links reduced to their text,
 * code fences kept; HTML tags, scripts and styles dropped, basic entities
 * decoded) and split it into chunks. target and overlap are in tokens
 * (target 0 and overlap -1: the defaults; an overlap of target or more
 * becomes target / 10). Fills *out (release with chunk_list_release); 0, or -1
 * with errstr (too many chunks). A document without text gives 0 chunks. */
int chunk_document(const char *body, size_t len, enum chunk_format fmt, int target, int overlap,
		   struct chunk_list *out, char *errstr, size_t errlen);
void chunk_list_release(struct chunk_list *l);

/* Extract only (the first step of chunk_document): a heap string (caller
 * frees) with paragraphs separated by blank lines. */
char *chunk_extract(const char *body, size_t len, enum chunk_format fmt);

/* Approximate token count of s[0..len). */
int chunk_count_tokens(const char *s, size_t len);

/* A heap copy of s (caller frees) with a space on each side of every Han
 * character, so a word-based text search indexes (and matches) each
 * character on its own. */
char *chunk_space_han(const char *s);

/* A chunk's display title (heap): "<document title> > <heading>", or the
 * document title when the heading is empty or the same. */
char *chunk_title(const char *doc_title, const char *heading);

/* 1 when s contains at least one Han character. */
int chunk_has_han(const char *s);

#endif
