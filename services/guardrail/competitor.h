/* competitor: removes mentions of other retailers, listed per tenant, from
 * outgoing answers.
 *
 * The list is a text file (GUARD_COMPETITORS_FILE), one name a line as
 * `tenant<TAB>name`; tenant `*` applies to every tenant; blank lines and
 * lines starting with '#' are skipped. A name matches as a whole word
 * (ASCII case-insensitive; a name with non-ASCII characters, e.g. 宜家,
 * matches exactly and anywhere, since Chinese has no spaces between
 * words). The sentence that names a competitor is dropped as a whole:
 * cutting out only the name leaves a broken sentence ("unlike , we"). */
#ifndef SERVICES_GUARDRAIL_COMPETITOR_H
#define SERVICES_GUARDRAIL_COMPETITOR_H

#include <stddef.h>

#define GUARD_COMP_MAX 512 /* names in one file */

struct guard_comp {
	char *tenant[GUARD_COMP_MAX];
	char *name[GUARD_COMP_MAX];
	size_t n;
};

/* Read path into c (initialized here). Returns the number of names, or -1
 * with errstr naming the file (and line) when it cannot be read. */
int guard_comp_load(struct guard_comp *c, const char *path, char *errstr, size_t errlen);
void guard_comp_release(struct guard_comp *c);

/* Pure: text with every sentence that mentions one of the names of tenant
 * removed; *removed gets the number of sentences dropped. Heap result. */
char *guard_comp_remove(const struct guard_comp *c, const char *tenant, const char *text, int *removed);

/* 1 when name occurs in text[0..len) as a whole word (see above); *at gets
 * the offset. Exposed for tests and fuzzing. */
int guard_comp_find(const char *text, size_t len, const char *name, size_t *at);
/* 1 when some competitor of tenant is named in text[0..len). */
int guard_comp_named(const struct guard_comp *c, const char *tenant, const char *text, size_t len);
/* 1 when byte i of t[0..len) ends a sentence (\n ! ? 。 ！ ？, or a full
 * stop followed by a space, a newline or the end of the text), as
 * guard_comp_remove splits sentences. */
int guard_sentence_mark(const char *t, size_t len, size_t i);

#endif
