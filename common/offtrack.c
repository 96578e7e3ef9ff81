/* offtrack: which input offsets may be committed. */
#include "offtrack.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct offtrack_entry {
	int64_t offset;
	int pending;
	int sealed;
	int failed;
	struct offtrack_entry *next;
};

struct part {
	char *topic;
	int32_t partition;
	int dropped;
	struct offtrack_entry *head, *tail;
	struct part *next;
};

struct offtrack {
	struct part *parts;
	size_t inflight;
};

struct offtrack *offtrack_new(void)
{
	return xcalloc(1, sizeof(struct offtrack));
}

static void free_entries(struct part *p)
{
	struct offtrack_entry *e = p->head;
	while (e) {
		struct offtrack_entry *n = e->next;
		free(e);
		e = n;
	}
	p->head = p->tail = NULL;
}

void offtrack_free(struct offtrack *ot)
{
	if (!ot)
		return;
	struct part *p = ot->parts;
	while (p) {
		struct part *n = p->next;
		free_entries(p);
		free(p->topic);
		free(p);
		p = n;
	}
	free(ot);
}

static struct part *find_part(struct offtrack *ot, const char *topic, int32_t partition, int create)
{
	for (struct part *p = ot->parts; p; p = p->next)
		if (p->partition == partition && !p->dropped && !strcmp(p->topic, topic))
			return p;
	if (!create)
		return NULL;
	struct part *p = xcalloc(1, sizeof(*p));
	p->topic = xstrdup(topic);
	p->partition = partition;
	p->next = ot->parts;
	ot->parts = p;
	return p;
}

struct offtrack_entry *offtrack_begin(struct offtrack *ot, const char *topic, int32_t partition, int64_t offset)
{
	struct part *p = find_part(ot, topic, partition, 1);
	struct offtrack_entry *e = xcalloc(1, sizeof(*e));
	e->offset = offset;
	if (p->tail)
		p->tail->next = e;
	else
		p->head = e;
	p->tail = e;
	ot->inflight++;
	return e;
}

void offtrack_add_pending(struct offtrack_entry *e)
{
	assert(!e->sealed);
	e->pending++;
}

void offtrack_seal(struct offtrack_entry *e)
{
	e->sealed = 1;
}

void offtrack_fail(struct offtrack_entry *e)
{
	e->failed = 1;
	e->sealed = 1;
}

void offtrack_delivered(struct offtrack_entry *e, int ok)
{
	assert(e->pending > 0);
	e->pending--;
	if (!ok)
		e->failed = 1;
}

static int entry_done(const struct offtrack_entry *e)
{
	return e->sealed && e->pending == 0;
}

/* Free the finished entries of the dropped partition *pp; nothing of it is
 * reported any more. Returns 1 when the partition itself was freed (and *pp
 * now names the next one). */
static int prune(struct offtrack *ot, struct part **pp)
{
	struct part *p = *pp;
	struct offtrack_entry **ep = &p->head, *prev = NULL;
	while (*ep) {
		struct offtrack_entry *e = *ep;
		if (entry_done(e)) {
			*ep = e->next;
			free(e);
			ot->inflight--;
		} else {
			prev = e;
			ep = &e->next;
		}
	}
	p->tail = prev;
	if (p->head)
		return 0;
	*pp = p->next;
	free(p->topic);
	free(p);
	return 1;
}

void offtrack_drain(struct offtrack *ot, offtrack_commit_fn commit, offtrack_rewind_fn rewind, void *arg)
{
	struct part **pp = &ot->parts;
	while (*pp) {
		struct part *p = *pp;
		int64_t next = -1;
		while (p->head && entry_done(p->head) && !p->head->failed) {
			struct offtrack_entry *e = p->head;
			next = e->offset + 1;
			p->head = e->next;
			if (!p->head)
				p->tail = NULL;
			free(e);
			ot->inflight--;
		}
		if (!p->dropped && next >= 0 && commit)
			commit(arg, p->topic, p->partition, next);
		if (!p->dropped && p->head && entry_done(p->head) && p->head->failed) {
			int64_t at = p->head->offset;
			/* Entries after the failed one may still await reports: keep
			 * them under a dropped partition until those arrive. */
			p->dropped = 1;
			if (rewind)
				rewind(arg, p->topic, p->partition, at);
		}
		if (p->dropped && prune(ot, pp))
			continue;
		pp = &p->next;
	}
}

void offtrack_drop_partition(struct offtrack *ot, const char *topic, int32_t partition)
{
	/* Only this partition: the others' results are still to be reported. */
	for (struct part **pp = &ot->parts; *pp; pp = &(*pp)->next) {
		struct part *p = *pp;
		if (p->partition == partition && !p->dropped && !strcmp(p->topic, topic)) {
			p->dropped = 1;
			prune(ot, pp);
			return;
		}
	}
}

size_t offtrack_inflight(const struct offtrack *ot)
{
	return ot->inflight;
}
