/* pdf: text of a PDF document (poppler-glib), for chatctl kb ingest. */
#ifndef TOOLS_CHATCTL_PDF_H
#define TOOLS_CHATCTL_PDF_H

#include <stddef.h>

/* Extract the text of the PDF in data[0..len): pages joined by blank
 * lines into *text (heap, caller frees), the document's title metadata
 * into *title (heap, "" when none). At most max_text bytes of text. 0, or
 * -1 with errstr (not a PDF, damaged, encrypted, too much text). */
int pdf_text(const void *data, size_t len, size_t max_text, char **text, char **title, char *errstr, size_t errlen);

/* 1 when path names a PDF (".pdf", any case). */
int pdf_path(const char *path);

/* Replace the PDF bytes in *data[0..*len) by its text (plain text from
 * here on; the old buffer is freed), its title metadata into *title (heap,
 * "" when none). 0, or -1 with errstr and *data untouched, as pdf_text. */
int pdf_to_text(char **data, size_t *len, size_t max_text, char **title, char *errstr, size_t errlen);

#endif
