/* kb: chatctl's knowledge-base commands: publish documents (files or
 * folders of Markdown, HTML and plain text) to kb.documents.v1, and
 * tombstones that remove one. */
#ifndef TOOLS_CHATCTL_KB_H
#define TOOLS_CHATCTL_KB_H

#define KB_MAX_FILE_BYTES (8 * 1024 * 1024)

/* Publish every supported file under paths[0..n) (folders recursively, in
 * name order; .md .markdown .txt .html .htm) as a chat.Document keyed by
 * doc_id (the path relative to the folder given, or the file name), waiting
 * for each delivery. Prints a line per file and a summary. Returns 0 when
 * nothing failed (skipped files are not failures), 1 otherwise. */
int cc_kb_ingest(const char *brokers, const char *tenant, char **paths, int n);
/* Publish a tombstone for doc_id. 0 when delivered. */
int cc_kb_rm(const char *brokers, const char *tenant, const char *doc_id);

#endif
