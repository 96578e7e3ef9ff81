/* expand: customers' words for what the documents call otherwise ("send it
 * back" for a return, "money back" for a refund), added to a question
 * before the retriever searches it and before the offline answer provider
 * matches sentences to it. */
#ifndef COMMON_EXPAND_H
#define COMMON_EXPAND_H

/* The query with the documents' words for the customer phrases it holds
 * appended (language "en", "ms" or "zh"); a heap copy of it unchanged when
 * it holds none. The caller frees it. */
char *query_expand(const char *query, const char *language);

#endif
