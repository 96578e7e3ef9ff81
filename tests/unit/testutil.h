/* testutil: small helpers shared by the unit tests (header only). Turns are
 * built on the heap the way the services build them, so turn_free frees
 * them completely and ASan/LSan can judge the code under test. */
#ifndef TESTS_UNIT_TESTUTIL_H
#define TESTS_UNIT_TESTUTIL_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "turn.h"
#include "util.h"

/* Leak check after each test: Criterion counts a test as passed even when
 * LeakSanitizer reports at exit, so a suite's .fini runs the check itself
 * and aborts, which Criterion reports as "crashed during its setup or
 * teardown" and which makes the binary exit non-zero. A no-op without ASan.
 * Use: TestSuite(name, .fini = tu_leak_check); */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#include <stdio.h>
static inline void tu_leak_check(void)
{
	if (__lsan_do_recoverable_leak_check()) {
		fprintf(stderr, "[----] the test above leaked memory (LeakSanitizer report above)\n");
		abort();
	}
}
#else
static inline void tu_leak_check(void)
{
}
#endif

/* Bytes that are not a protobuf message: field 1, length-delimited, with a
 * length varint that never ends. */
static const unsigned char TU_GARBAGE[] = { 0x0a, 0xff, 0xff, 0xff };

static inline Chat__Turn *tu_turn(const char *session_id, const char *turn_id, const char *text)
{
	Chat__Turn *t = turn_new();
	turn_set_str(&t->tenant_id, "tenant-1");
	turn_set_str(&t->session_id, session_id);
	turn_set_str(&t->turn_id, turn_id);
	turn_set_str(&t->trace_id, "trace-1");
	turn_set_str(&t->text, text);
	return t;
}

static inline void tu_add_history(Chat__Turn *t, const char *role, const char *text)
{
	Chat__HistoryEntry *h = xmalloc(sizeof(*h));
	chat__history_entry__init(h);
	h->role = xstrdup(role);
	h->text = xstrdup(text);
	t->history = xrealloc(t->history, (t->n_history + 1) * sizeof(*t->history));
	t->history[t->n_history++] = h;
}

static inline void tu_add_passage(Chat__Turn *t, const char *id, const char *title)
{
	Chat__Passage *p = xmalloc(sizeof(*p));
	chat__passage__init(p);
	p->id = xstrdup(id);
	p->title = xstrdup(title);
	p->text = xstrdup("passage text");
	t->passages = xrealloc(t->passages, (t->n_passages + 1) * sizeof(*t->passages));
	t->passages[t->n_passages++] = p;
}

static inline void tu_add_citation(Chat__Draft *d, const char *id)
{
	d->citations = xrealloc(d->citations, (d->n_citations + 1) * sizeof(*d->citations));
	d->citations[d->n_citations++] = xstrdup(id);
}

/* A kstage message over buf (not owned). */
static inline struct kstage_msg tu_msg(const char *topic, const void *buf, size_t len)
{
	struct kstage_msg m = { topic, 0, 42, NULL, 0, buf, len, NULL };
	return m;
}

/* Encode turn into *buf (caller frees) and return a message over it. */
static inline struct kstage_msg tu_turn_msg(const char *topic, const Chat__Turn *turn, void **buf)
{
	size_t len;
	*buf = turn_encode(turn, &len);
	return tu_msg(topic, *buf, len);
}

/* Decode output i of em as a Turn, failing the test when it is not one. */
static inline Chat__Turn *tu_out_turn(const struct kstage_emit *em, int i)
{
	char err[256] = "";
	Chat__Turn *t = turn_decode(em->outs[i].value, em->outs[i].len, err, sizeof(err));
	cr_assert_not_null(t, "output %d is not a Turn: %s", i, err);
	return t;
}

#endif
