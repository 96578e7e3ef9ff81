/* handoff: opens a ticket for a human agent. */
#include "handoff.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define SUMMARY_HISTORY 6
#define SUMMARY_LAST_BYTES 2000
#define SUMMARY_ENTRY_BYTES 300
/* Room for the header lines, the last message and every history entry at
 * their caps, so nothing is ever cut off the end. */
#define SUMMARY_MAX (512 + SUMMARY_LAST_BYTES + SUMMARY_HISTORY * (SUMMARY_ENTRY_BYTES + 64))

/* Append "label: text" cut to at most cap bytes at a character boundary. */
static size_t put_clipped(char *s, size_t o, const char *label, const char *text, size_t cap)
{
	size_t n = util_utf8_prefix(text, cap);
	o += (size_t)snprintf(s + o, SUMMARY_MAX - o, "%s%.*s%s\n", label, (int)n, text, n < strlen(text) ? "…" : "");
	return o;
}

char *handoff_summary(const Chat__Turn *turn)
{
	char *s = xmalloc(SUMMARY_MAX);
	size_t o = 0;
	const char *reason = turn->draft && *turn->draft->reason ? turn->draft->reason : "not given";
	o += (size_t)snprintf(s + o, SUMMARY_MAX - o, "Reason: %.200s\nIntent: %s (confidence %.2f), language %s\n",
			      reason, *turn->intent ? turn->intent : "unknown", (double)turn->confidence,
			      *turn->language ? turn->language : "unknown");
	/* The message that asked for a person comes first: it must survive. */
	o = put_clipped(s, o, "Last message: ", turn->text, SUMMARY_LAST_BYTES);
	size_t first = turn->n_history > SUMMARY_HISTORY ? turn->n_history - SUMMARY_HISTORY : 0;
	if (turn->n_history)
		o += (size_t)snprintf(s + o, SUMMARY_MAX - o, "Recent conversation:\n");
	for (size_t i = first; i < turn->n_history; i++) {
		char label[48];
		snprintf(label, sizeof(label), "  %.24s: ", turn->history[i]->role);
		o = put_clipped(s, o, label, turn->history[i]->text, SUMMARY_ENTRY_BYTES);
	}
	return s;
}

/* Add s to arr unless it is already there. */
static void add_unique(json_t *arr, const char *s)
{
	if (!s || !*s)
		return;
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (!strcmp(json_string_value(json_array_get(arr, i)), s))
			return;
	json_array_append_new(arr, json_string(s));
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

char *handoff_intents_json(const Chat__Turn *turn)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < turn->n_history; i++)
		add_unique(arr, turn->history[i]->intent);
	add_unique(arr, turn->intent);
	return dump(arr);
}

/* Every ORD-<digits> in text, upper-cased. */
static void scan_order_ids(json_t *arr, const char *text)
{
	for (const char *p = text; p && (p = strcasestr(p, "ORD-")) != NULL; p += 4) {
		size_t n = 0;
		while (n < 12 && isdigit((unsigned char)p[4 + n]))
			n++;
		if (n < 4 || isdigit((unsigned char)p[4 + n]))
			continue;
		char id[24];
		snprintf(id, sizeof(id), "ORD-%.*s", (int)n, p + 4);
		add_unique(arr, id);
	}
}

char *handoff_order_ids_json(const Chat__Turn *turn)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < turn->n_entities; i++)
		if (!strcmp(turn->entities[i]->type, "order_id")) {
			char id[24];
			snprintf(id, sizeof(id), "%.23s", turn->entities[i]->value);
			for (char *c = id; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			add_unique(arr, id);
		}
	for (size_t i = 0; i < turn->n_history; i++)
		scan_order_ids(arr, turn->history[i]->text);
	scan_order_ids(arr, turn->text);
	if (turn->context)
		for (size_t i = 0; i < turn->context->n_recent_orders; i++)
			add_unique(arr, turn->context->recent_orders[i]->order_id);
	return dump(arr);
}

char *handoff_context_json(const Chat__Turn *turn)
{
	const Chat__Customer *c = turn->customer;
	json_t *o = json_pack("{s:s,s:b,s:s,s:s}", "customer_id", c ? c->id : "", "authenticated",
			      c ? c->authenticated : 0, "locale", c ? c->locale : "", "language", turn->language);
	const Chat__CustomerContext *ctx = turn->context;
	if (ctx) {
		json_t *orders = json_array();
		for (size_t i = 0; i < ctx->n_recent_orders; i++)
			json_array_append_new(orders, json_pack("{s:s,s:s,s:I}", "order_id", ctx->recent_orders[i]->order_id,
								"status", ctx->recent_orders[i]->status, "total_sen",
								(json_int_t)ctx->recent_orders[i]->total_sen));
		json_t *tickets = json_array();
		for (size_t i = 0; i < ctx->n_open_tickets; i++)
			json_array_append_new(tickets, json_string(ctx->open_tickets[i]));
		json_object_set_new(o, "name", json_string(ctx->name));
		json_object_set_new(o, "loyalty_tier", json_string(ctx->loyalty_tier));
		json_object_set_new(o, "loyalty_points", json_integer((json_int_t)ctx->loyalty_points));
		json_object_set_new(o, "recent_orders", orders);
		json_object_set_new(o, "open_tickets", tickets);
	}
	return dump(o);
}

char *handoff_notify_text(int new_ticket, long long ticket, const Chat__Turn *turn)
{
	const char *reason = turn->draft && *turn->draft->reason ? turn->draft->reason : "not given";
	if (new_ticket)
		return xasprintf("New hand-off ticket #%lld (%s, language %s, intent %s). "
				 "Claim it with: chatctl tickets claim %lld",
				 ticket, reason, *turn->language ? turn->language : "unknown",
				 *turn->intent ? turn->intent : "unknown", ticket);
	return xasprintf("New customer message on ticket #%lld. Read it with: chatctl tickets show %lld", ticket,
			 ticket);
}

int handoff_process(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen)
{
	struct handoff *h = ctx;
	(void)em;
	Chat__Turn *turn = turn_decode(msg->payload, msg->len, errstr, errlen);
	if (!turn)
		return KSTAGE_EPOISON;
	int rc = 0, is_new = 0;
	long long ticket = h->io.session_ticket(h->io.arg, turn);
	if (ticket > 0) {
		/* The session is already with a person: the message joins it. */
		int a = h->io.append(h->io.arg, ticket, turn->turn_id, "customer", turn->text);
		rc = a < 0 ? a : 0;
		is_new = 0;
		if (a == 1 && h->io.notify) {
			char *text = handoff_notify_text(0, ticket, turn);
			h->io.notify(h->io.arg, text);
			free(text);
		}
	} else if (ticket == 0) {
		char *summary = handoff_summary(turn);
		char *intents = handoff_intents_json(turn), *orders = handoff_order_ids_json(turn),
		     *context = handoff_context_json(turn);
		struct handoff_ticket t = { summary, intents, orders, context };
		ticket = h->io.open_ticket(h->io.arg, turn, &t, &is_new, errstr, errlen);
		rc = ticket < 0 ? (int)ticket : 0;
		if (ticket > 0 && is_new && h->io.notify) {
			char *text = handoff_notify_text(1, ticket, turn);
			h->io.notify(h->io.arg, text);
			free(text);
		}
		free(summary);
		free(intents);
		free(orders);
		free(context);
	} else {
		rc = (int)ticket;
	}
	turn_free(turn);
	if (rc == -1) {
		snprintf(errstr, errlen, "ticket database unreachable");
		return KSTAGE_EBLOCKED;
	}
	return rc < 0 ? KSTAGE_ERETRY : KSTAGE_OK;
}
