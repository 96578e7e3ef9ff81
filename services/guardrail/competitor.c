/* competitor: other retailers' names out of answers. */
#include "competitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int guard_comp_load(struct guard_comp *c, const char *path, char *errstr, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(errstr, errlen, "cannot open competitor list \"%s\"", path);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, rc = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = '\0';
		if (!n || line[0] == '#')
			continue;
		char *tab = strchr(line, '\t');
		if (!tab || tab == line || !tab[1]) {
			snprintf(errstr, errlen, "%s:%d: expected tenant<TAB>name", path, lineno);
			rc = -1;
			break;
		}
		if (c->n == GUARD_COMP_MAX) {
			snprintf(errstr, errlen, "%s:%d: more than %d names", path, lineno, GUARD_COMP_MAX);
			rc = -1;
			break;
		}
		*tab = '\0';
		c->tenant[c->n] = xstrdup(line);
		c->name[c->n] = xstrdup(tab + 1);
		c->n++;
	}
	free(line);
	fclose(f);
	if (rc < 0) {
		guard_comp_release(c);
		return -1;
	}
	return (int)c->n;
}

void guard_comp_release(struct guard_comp *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->tenant[i]);
		free(c->name[i]);
	}
	c->n = 0;
}

static int word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* A Latin letter with a diacritic (U+00C0..U+024F: lead bytes C3..C9)
 * also continues a word, so "Courts" does not match inside "Courtsé". */
static int latin_lead(unsigned char c)
{
	return c >= 0xC3 && c <= 0xC9;
}

int guard_comp_find(const char *text, size_t len, const char *name, size_t *at)
{
	size_t n = strlen(name);
	if (!n || n > len)
		return 0;
	int ascii = 1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] >= 0x80)
			ascii = 0;
	for (size_t i = 0; i + n <= len; i++) {
		size_t k = 0;
		while (k < n && lower((unsigned char)text[i + k]) == lower((unsigned char)name[k]))
			k++;
		if (k < n)
			continue;
		if (ascii) {
			if (i > 0 && (word_byte((unsigned char)text[i - 1]) ||
				      ((unsigned char)text[i - 1] >= 0x80 && (unsigned char)text[i - 1] < 0xC0 && i >= 2 &&
				       latin_lead((unsigned char)text[i - 2]))))
				continue;
			if (i + n < len && (word_byte((unsigned char)text[i + n]) || latin_lead((unsigned char)text[i + n])))
				continue;
		}
		*at = i;
		return 1;
	}
	return 0;
}

int guard_sentence_mark(const char *t, size_t len, size_t i)
{
	unsigned char c = (unsigned char)t[i];
	if (c == '\n' || c == '!' || c == '?')
		return 1;
	if (c == '.')
		return i + 1 >= len || t[i + 1] == ' ' || t[i + 1] == '\n';
	if (c == 0x82 && i >= 2 && (unsigned char)t[i - 2] == 0xE3 && (unsigned char)t[i - 1] == 0x80)
		return 1; /* 。 */
	if ((c == 0x81 || c == 0x9F) && i >= 2 && (unsigned char)t[i - 2] == 0xEF && (unsigned char)t[i - 1] == 0xBC)
		return 1; /* ！？ */
	return 0;
}

int guard_comp_named(const struct guard_comp *c, const char *tenant, const char *text, size_t len)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->tenant[i], "*") && strcmp(c->tenant[i], tenant))
			continue;
		size_t at;
		if (guard_comp_find(text, len, c->name[i], &at))
			return 1;
	}
	return 0;
}

char *guard_comp_remove(const struct guard_comp *c, const char *tenant, const char *text, int *removed)
{
	*removed = 0;
	size_t len = strlen(text);
	char *out = xmalloc(len + 1);
	size_t o = 0;
	for (size_t s = 0; s < len;) {
		/* one sentence: [s, e) including its end mark and the spaces after */
		size_t e = s;
		while (e < len && !guard_sentence_mark(text, len, e))
			e++;
		if (e < len)
			e++;
		while (e < len && (text[e] == ' ' || text[e] == '\n'))
			e++;
		if (guard_comp_named(c, tenant, text + s, e - s)) {
			(*removed)++;
		} else {
			memcpy(out + o, text + s, e - s);
			o += e - s;
		}
		s = e;
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\n'))
		o--;
	out[o] = '\0';
	return out;
}
