/* llm-caller: the echo provider, and an unknown provider. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../testutil.h"
#include "services/llm-caller/llm-caller.h"

TestSuite(llm, .fini = tu_leak_check);

Test(llm, echo_drafts_answer)
{
	struct llm l = { "chat.drafted.v1", "echo" };
	Chat__Turn *t = tu_turn("s1", "t1", "Do you sell umbrellas?");
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(llm_process(&l, t, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(t->draft);
	cr_assert_str_eq(t->draft->text, "You said: Do you sell umbrellas?");
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	cr_assert_str_eq(t->draft->producer, "llm-caller/echo");
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.topic[0], "chat.drafted.v1");
	cr_assert_eq(d.partition[0], RD_KAFKA_PARTITION_UA);
	turn_free(t);
}

Test(llm, echo_replaces_an_earlier_draft)
{
	struct llm l = { "out", "echo" };
	Chat__Turn *t = tu_turn("s1", "t1", "again");
	Chat__Draft *dr = turn_draft(t);
	turn_set_str(&dr->text, "stale");
	dr->action = CHAT__ACTION__ACTION_DECLINE;
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(llm_process(&l, t, &d, err, sizeof(err)), 0);
	cr_assert_str_eq(t->draft->text, "You said: again");
	cr_assert_eq(t->draft->action, CHAT__ACTION__ACTION_ANSWER);
	turn_free(t);
}

Test(llm, unknown_provider_retries)
{
	struct llm l = { "chat.drafted.v1", "gpt-imaginary" };
	Chat__Turn *t = tu_turn("s1", "t1", "hi");
	struct turn_dests d = { .n = 0 };
	char err[128] = "";
	cr_assert_eq(llm_process(&l, t, &d, err, sizeof(err)), KSTAGE_ERETRY);
	cr_assert(strstr(err, "gpt-imaginary") != NULL, "%s", err);
	cr_assert_eq(d.n, 0, "not routed");
	cr_assert_null(t->draft, "no draft");
	turn_free(t);
}
