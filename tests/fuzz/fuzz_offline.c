/* The offline answer provider on any knowledge-base text: the input's
 * first line is the customer's question, the rest up to three passages
 * separated by form feeds. Besides "no crash", the composer must stay
 * faithful: an answer cites one of the turn's passages, and every word and
 * number in it is one its passage holds (Markdown marks aside), so it
 * never writes a fact of its own. */
#include "fuzz.h"
#include "services/llm-caller/llm-caller.h"
#include "services/llm-caller/provider.h"
#include "turn.h"
#include "util.h"

#define FZ_PASSAGES 3

static int alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80;
}

/* s without the marks the composer drops ('*', '`'). */
static char *unmarked(const char *s)
{
	char *o = xmalloc(strlen(s) + 1), *w = o;
	for (; *s; s++)
		if (*s != '*' && *s != '`')
			*w++ = *s;
	*w = '\0';
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size);
	/* passages and questions are UTF-8 C strings (the ingestion's and the
	 * gateway's checks) */
	if (strlen(in) != size || !fuzz_utf8_valid(in, size)) {
		free(in);
		return 0;
	}
	Chat__Turn *t = turn_new();
	char *nl = strchr(in, '\n');
	if (nl)
		*nl = '\0';
	turn_set_str(&t->text, in);
	turn_set_str(&t->language, "en");
	char *rest = nl ? nl + 1 : in + size;
	for (int i = 0; i < FZ_PASSAGES && *rest; i++) {
		char *ff = strchr(rest, '\f');
		if (ff)
			*ff = '\0';
		Chat__Passage *p = xmalloc(sizeof(*p));
		chat__passage__init(p);
		char id[16];
		snprintf(id, sizeof(id), "kb#%d", i);
		p->id = xstrdup(id);
		p->title = xstrdup(i ? "Delivery fees" : "Warranty");
		p->text = xstrdup(rest);
		t->passages = xrealloc(t->passages, (t->n_passages + 1) * sizeof(*t->passages));
		t->passages[t->n_passages++] = p;
		rest = ff ? ff + 1 : rest + strlen(rest);
	}
	struct llm_acc acc;
	char err[256] = "";
	llm_acc_init(&acc, NULL, NULL);
	int rc = llm_offline_compose(t, &acc, err);
	FUZZ_CHECK(rc == 0 || rc == LLM_EPROTOCOL);
	if (rc == 0 && llm_apply_tool(&acc, t, "llm-caller/offline", err) == 0 &&
	    t->draft->action == CHAT__ACTION__ACTION_ANSWER) {
		FUZZ_CHECK(t->draft->n_citations == 1);
		const Chat__Passage *cited = NULL;
		for (size_t i = 0; i < t->n_passages; i++)
			if (!strcmp(t->passages[i]->id, t->draft->citations[0]))
				cited = t->passages[i];
		FUZZ_CHECK(cited != NULL);
		char *src = unmarked(cited->text);
		const char *a = t->draft->text;
		for (size_t i = 0; a[i];) {
			if (!alnum((unsigned char)a[i])) {
				i++;
				continue;
			}
			size_t j = i;
			while (a[j] && alnum((unsigned char)a[j]))
				j++;
			/* the one mark the composer adds between a row's cells */
			int dash = j - i == 3 && !memcmp(a + i, "\xe2\x80\x94", 3);
			FUZZ_CHECK(dash || memmem(src, strlen(src), a + i, j - i) != NULL);
			i = j;
		}
		free(src);
	}
	llm_acc_release(&acc);
	turn_free(t);
	free(in);
	return 0;
}
