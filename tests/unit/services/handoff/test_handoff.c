/* handoff: the agent's summary and the ticket handler, with a fake io. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "../../testutil.h"
#include "services/handoff/handoff.h"

TestSuite(handoff, .fini = tu_leak_check);

static Chat__Turn *handed_off(int nhistory)
{
	Chat__Turn *t = tu_turn("s1", "t1", "I want to speak to a person");
	turn_set_str(&t->intent, "human_agent");
	turn_set_str(&t->language, "en");
	t->confidence = 0.9f;
	turn_set_str(&turn_draft(t)->reason, "customer asked for a person");
	for (int i = 1; i <= nhistory; i++) {
		char text[32];
		snprintf(text, sizeof(text), "message number %02d", i);
		tu_add_history(t, i % 2 ? "customer" : "assistant", text);
	}
	return t;
}

Test(handoff, summary_contents)
{
	Chat__Turn *t = handed_off(2);
	char *s = handoff_summary(t);
	cr_assert(strstr(s, "customer asked for a person") != NULL, "reason: %s", s);
	cr_assert(strstr(s, "human_agent") != NULL, "intent: %s", s);
	cr_assert(strstr(s, "0.90") != NULL, "confidence: %s", s);
	cr_assert(strstr(s, "I want to speak to a person") != NULL, "last message: %s", s);
	cr_assert(strstr(s, "customer: message number 01") != NULL, "%s", s);
	cr_assert(strstr(s, "assistant: message number 02") != NULL, "%s", s);
	free(s);
	turn_free(t);
}

Test(handoff, summary_keeps_last_six_history_entries)
{
	Chat__Turn *t = handed_off(9);
	char *s = handoff_summary(t);
	for (int i = 1; i <= 3; i++) {
		char want[32];
		snprintf(want, sizeof(want), "message number %02d", i);
		cr_assert_null(strstr(s, want), "entry %d is older than the last six: %s", i, s);
	}
	for (int i = 4; i <= 9; i++) {
		char want[32];
		snprintf(want, sizeof(want), "message number %02d", i);
		cr_assert_not_null(strstr(s, want), "entry %d is among the last six: %s", i, s);
	}
	cr_assert_lt(strstr(s, "number 04") - s, strstr(s, "number 09") - s, "oldest first");
	free(s);
	turn_free(t);
}

Test(handoff, summary_defaults_and_bounds)
{
	Chat__Turn *t = tu_turn("s", "t", "help");
	char *s = handoff_summary(t);
	cr_assert(strstr(s, "Reason: not given") != NULL, "%s", s);
	cr_assert(strstr(s, "Last message: help") != NULL, "%s", s);
	cr_assert_null(strstr(s, "Recent conversation"), "no history, no section: %s", s);
	free(s);

	/* Very long history entries: the summary stays a bounded string. */
	char *big = xmalloc(3001);
	memset(big, 'x', 3000);
	big[3000] = '\0';
	for (int i = 0; i < 6; i++)
		tu_add_history(t, "customer", big);
	s = handoff_summary(t);
	cr_assert_lt(strlen(s), 4096);
	free(s);
	free(big);
	turn_free(t);
}

/* Regression: the summary once wrote the history first into a fixed buffer,
 * so long history entries pushed out the message that asked for a person. */
Test(handoff, summary_keeps_last_message_with_long_history)
{
	Chat__Turn *t = tu_turn("s", "t", "please get me a person");
	char *big = xmalloc(1001);
	memset(big, 'x', 1000);
	big[1000] = '\0';
	for (int i = 0; i < 6; i++)
		tu_add_history(t, "assistant", big);
	free(big);
	char *s = handoff_summary(t);
	int has_last = strstr(s, "Last message: please get me a person") != NULL;
	free(s);
	turn_free(t);
	cr_assert(has_last, "the message that asked for a person must survive a long history");
}

/* Cut text stays valid UTF-8: a summary PostgreSQL rejects is a lost ticket. */
Test(handoff, summary_cuts_long_text_at_a_character_boundary)
{
	/* 1000 three-byte characters: every cap falls inside one unless the cut
	 * backs up to a boundary. */
	char *zh = xmalloc(3001);
	for (int i = 0; i < 1000; i++)
		memcpy(zh + 3 * i, "\xe5\x93\x81", 3);
	zh[3000] = '\0';
	Chat__Turn *t = tu_turn("s", "t", zh);
	tu_add_history(t, "customer", zh + 3);
	char *s = handoff_summary(t);
	json_t *j = json_string(s); /* jansson refuses invalid UTF-8 */
	cr_assert_not_null(j, "summary is not valid UTF-8");
	cr_assert(strstr(s, "…"), "a cut is marked");
	json_decref(j);
	free(s);
	free(zh);
	turn_free(t);
}

struct fake_io {
	int rc;
	int calls;
	char summary[512];
	char turn_id[64];
	char intents[256], orders[256], context[512];
	long long session_ticket; /* what session_ticket answers */
	int appends, append_rc, notes;
	char appended[256], note[256];
};

static long long fake_session_ticket(void *arg, const Chat__Turn *turn)
{
	struct fake_io *f = arg;
	(void)turn;
	return f->session_ticket;
}

static long long fake_open(void *arg, const Chat__Turn *turn, const struct handoff_ticket *t, int *created,
			   char *errstr, size_t errlen)
{
	struct fake_io *f = arg;
	f->calls++;
	snprintf(f->summary, sizeof(f->summary), "%s", t->summary);
	snprintf(f->intents, sizeof(f->intents), "%s", t->intents_json);
	snprintf(f->orders, sizeof(f->orders), "%s", t->order_ids_json);
	snprintf(f->context, sizeof(f->context), "%s", t->context_json);
	snprintf(f->turn_id, sizeof(f->turn_id), "%s", turn->turn_id);
	if (f->rc == -2)
		snprintf(errstr, errlen, "ticket refused");
	*created = f->calls == 1;
	return f->rc < 0 ? f->rc : 42;
}

static int fake_append(void *arg, long long ticket, const char *msg_key, const char *role, const char *text)
{
	struct fake_io *f = arg;
	(void)msg_key;
	f->appends++;
	snprintf(f->appended, sizeof(f->appended), "%lld %s %s", ticket, role, text);
	return f->append_rc;
}

static void fake_notify(void *arg, const char *text)
{
	struct fake_io *f = arg;
	f->notes++;
	snprintf(f->note, sizeof(f->note), "%s", text);
}

static int process(struct fake_io *f, const void *payload, size_t len, char *err, size_t errlen)
{
	struct handoff h = { { fake_session_ticket, fake_open, fake_append, fake_notify, f } };
	struct kstage_msg m = tu_msg("handoff.requests.v1", payload, len);
	struct kstage_emit em = { .n = 0 };
	int rc = handoff_process(&h, &m, &em, err, errlen);
	cr_assert_eq(em.n, 0);
	return rc;
}

static int process_turn(struct fake_io *f, char *err, size_t errlen)
{
	Chat__Turn *t = handed_off(1);
	size_t len;
	void *buf = turn_encode(t, &len);
	int rc = process(f, buf, len, err, errlen);
	free(buf);
	turn_free(t);
	return rc;
}

Test(handoff, process_opens_ticket)
{
	struct fake_io f = { 0 };
	char err[128] = "";
	cr_assert_eq(process_turn(&f, err, sizeof(err)), KSTAGE_OK, "%s", err);
	cr_assert_eq(f.calls, 1);
	cr_assert_str_eq(f.turn_id, "t1");
	cr_assert(strstr(f.summary, "customer asked for a person") != NULL, "%s", f.summary);
}

Test(handoff, process_database_down_blocks)
{
	struct fake_io f = { .rc = -1 };
	char err[128] = "";
	cr_assert_eq(process_turn(&f, err, sizeof(err)), KSTAGE_EBLOCKED);
	cr_assert_neq(err[0], '\0');
}

Test(handoff, process_refusal_retries)
{
	struct fake_io f = { .rc = -2 };
	char err[128] = "";
	cr_assert_eq(process_turn(&f, err, sizeof(err)), KSTAGE_ERETRY);
	cr_assert_str_eq(err, "ticket refused");
}

Test(handoff, process_garbage_is_poison)
{
	struct fake_io f = { 0 };
	char err[128] = "";
	cr_assert_eq(process(&f, TU_GARBAGE, sizeof(TU_GARBAGE), err, sizeof(err)), KSTAGE_EPOISON);
	cr_assert_eq(f.calls, 0, "no ticket for garbage");
}

Test(handoff, ticket_carries_intents_order_ids_and_context)
{
	struct fake_io f = { 0 };
	char err[128] = "";
	Chat__Turn *t = handed_off(1);
	tu_add_history(t, "customer", "where is ORD-102695?");
	turn_set_str(&t->history[t->n_history - 1]->intent, "order_status");
	t->customer = xmalloc(sizeof(*t->customer));
	chat__customer__init(t->customer);
	t->customer->id = xstrdup("CUST-1001");
	t->customer->authenticated = 1;
	t->context = xmalloc(sizeof(*t->context));
	chat__customer_context__init(t->context);
	t->context->loyalty_tier = xstrdup("gold");
	size_t len;
	void *buf = turn_encode(t, &len);
	cr_assert_eq(process(&f, buf, len, err, sizeof(err)), KSTAGE_OK, "%s", err);
	free(buf);
	turn_free(t);
	cr_assert(strstr(f.intents, "\"order_status\""), "%s", f.intents);
	cr_assert(strstr(f.intents, "\"human_agent\""), "%s", f.intents);
	cr_assert(strstr(f.orders, "\"ORD-102695\""), "%s", f.orders);
	cr_assert(strstr(f.context, "\"CUST-1001\"") && strstr(f.context, "\"gold\""), "%s", f.context);
	cr_assert_eq(f.notes, 1, "agents are told about a new ticket");
	cr_assert(strstr(f.note, "#42"), "%s", f.note);
	cr_assert_null(strstr(f.note, "ORD-"), "no customer data in notifications: %s", f.note);
}

Test(handoff, a_message_while_a_ticket_is_open_joins_it)
{
	struct fake_io f = { .session_ticket = 7, .append_rc = 1 };
	char err[128] = "";
	cr_assert_eq(process_turn(&f, err, sizeof(err)), KSTAGE_OK, "%s", err);
	cr_assert_eq(f.calls, 0, "no second ticket");
	cr_assert_eq(f.appends, 1);
	cr_assert(strstr(f.appended, "7 customer "), "%s", f.appended);
	cr_assert_eq(f.notes, 1);
	/* A replay appends nothing new and notifies nobody. */
	f.append_rc = 0;
	cr_assert_eq(process_turn(&f, err, sizeof(err)), KSTAGE_OK);
	cr_assert_eq(f.notes, 1);
}

Test(handoff, a_replayed_ticket_is_not_notified_twice)
{
	struct fake_io f = { 0 };
	char err[128] = "";
	cr_assert_eq(process_turn(&f, err, sizeof(err)), KSTAGE_OK);
	cr_assert_eq(process_turn(&f, err, sizeof(err)), KSTAGE_OK);
	cr_assert_eq(f.calls, 2);
	cr_assert_eq(f.notes, 1);
}

Test(handoff, session_lookup_down_blocks)
{
	struct fake_io f = { .session_ticket = -1 };
	char err[128] = "";
	cr_assert_eq(process_turn(&f, err, sizeof(err)), KSTAGE_EBLOCKED);
	cr_assert_eq(f.calls, 0);
}
