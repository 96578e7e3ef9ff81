/* orchestrator: decides how each classified turn is answered (template,
 * tool, retrieval or a person), gives it the session's memory, and records
 * every delivered reply (memory and transcript). Storage reaches it through
 * struct orch_io, so tests drive it without Redis or PostgreSQL. */
#ifndef SERVICES_ORCHESTRATOR_H
#define SERVICES_ORCHESTRATOR_H

#include "turn.h"

struct orch_io {
	/* Append up to max remembered entries of the turn's session to
	 * turn->history, oldest first. 0, or -1 when memory is unreachable. */
	int (*load_history)(void *arg, Chat__Turn *turn, int max);
	/* Remember a delivered exchange (customer text and reply), keeping at
	 * most max entries; a second call for the same turn_id changes
	 * nothing. 0, or -1 when memory is unreachable. */
	int (*remember)(void *arg, const Chat__Turn *turn, const char *reply, int max);
	/* Store the exchange in the transcript, idempotent by turn_id. 0, -1
	 * when the database is unreachable, -2 when it refused (errstr). */
	int (*persist)(void *arg, const Chat__Turn *turn, const char *reply, char *errstr, size_t errlen);
	void *arg;
};

/* Rows the tools read, in bounded fields (longer values are truncated). */
struct orch_order {
	char order_id[24], customer_id[32], email[128], status[16], placed[16], carrier[48], tracking[48];
	long long total_sen;
	int items; /* units over all lines */
	int delivered_days;	/* whole days since delivery; -1 when not delivered */
	int return_window_days; /* the returns policy's window for the order's owner */
};

struct orch_product {
	char sku[32], name[160], currency[8];
	long long price_sen; /* live from prices; -1 when the SKU has no price */
	double rank;	     /* name-search relevance; 0 for a SKU lookup */
};

struct orch_stock {
	char store_id[16], store_name[64];
	int qty;
};

struct orch_loyalty {
	char tier[16], next_tier[16]; /* next_tier "" at the top tier */
	long points, next_min_points;
};

struct orch_promo {
	char title[128], description[400];
};

struct orch_store_info {
	char store_id[16], name[64], address[240], phone[32];
	char open[8], close[8]; /* today's hours, local; "" when closed today */
};

/* Retail look-ups for the TOOL route. Every function is scoped to tenant and
 * returns -1 when the database is unreachable, -2 when a query failed
 * (logged by the store). Otherwise as documented. */
struct orch_tools {
	/* The order order_id (whoever owns it: the caller authorizes). 1 found,
	 * 0 not found. */
	int (*find_order)(void *arg, const char *tenant, const char *order_id, struct orch_order *out);
	/* Active products by exact SKU (when sku is not NULL) or else by the
	 * tsquery words (lower-case letters joined by " | "), best first, at
	 * most max, each with its live price. Returns how many. */
	int (*find_products)(void *arg, const char *tenant, const char *sku, const char *words,
			     struct orch_product *out, int max);
	/* On-hand quantity of sku in every active store (Redis cache, the
	 * database where the cache has no entry). Returns how many stores. */
	int (*stock)(void *arg, const char *tenant, const char *sku, struct orch_stock *out, int max);
	/* The customer's points and tier and the next tier. 1, 0 unknown. */
	int (*loyalty)(void *arg, const char *tenant, const char *customer_id, struct orch_loyalty *out);
	/* Promotions active now, at most max. Returns how many. */
	int (*promotions)(void *arg, const char *tenant, struct orch_promo *out, int max);
	/* Every active store with today's hours, at most max. Returns how many. */
	int (*stores)(void *arg, const char *tenant, struct orch_store_info *out, int max);
	void *arg;
};

#define ORCH_MAX_ITEMS 5

/* What the orchestrator remembers about a session besides its transcript,
 * so that follow-ups ("what about the second one?", "and in Penang?", "how
 * much is it?") can be resolved and repeated trouble handed to a person. */
struct orch_state {
	char intent[32];   /* the last confidently understood intent */
	char order_id[24]; /* last order talked about */
	char sku[32];	   /* last product talked about */
	char store[64];	   /* last store named */
	char email[128];   /* a guest's order e-mail, so it is asked once */
	char items_kind[8]; /* "order" or "sku": what the last reply listed */
	char items[ORCH_MAX_ITEMS][32];
	int n_items;
	int fails;    /* consecutive turns the assistant could not answer */
	int low_conf; /* consecutive low-confidence turns */
	char told[32]; /* the ticket the customer was told is handling messages */
};

/* A return request as the store opened or found it. */
struct orch_return {
	char return_id[24], status[16];
};

/* Session state, the customer's L1 context, return requests and knowledge
 * gaps. Optional: a NULL function is skipped (tests that do not need it
 * leave the struct zero). Errors as in orch_tools: -1 unreachable, -2
 * refused. */
struct orch_session_io {
	/* Load the session's state (zeroed when none) and, into owner, the id
	 * of the ticket a person handles the session on ("" when none). 0 or
	 * -1. */
	int (*load_state)(void *arg, const Chat__Turn *turn, struct orch_state *st, char *owner, size_t ownerlen);
	/* Save the state (expires with memory). 0 or -1. */
	int (*save_state)(void *arg, const Chat__Turn *turn, const struct orch_state *st);
	/* Fill ctx with the customer's profile, tier, recent orders (newest
	 * first) and open tickets. 1 found, 0 unknown customer, <0 error. */
	int (*load_context)(void *arg, const char *tenant, const char *customer_id, Chat__CustomerContext *ctx);
	/* Open a return request for order_id on behalf of turn (idempotent by
	 * turn_id). 1 opened (or this turn's own, replayed), 2 the order already
	 * has an open return (out describes it), <0 error. */
	int (*start_return)(void *arg, const Chat__Turn *turn, const char *order_id, struct orch_return *out);
	/* Log a turn the assistant could not answer (clarify or decline) with
	 * its passages' scores, idempotent by turn_id. 0, -1, -2. */
	int (*log_gap)(void *arg, const Chat__Turn *turn);
	/* Memory (as orch_io.load_history), state and owner (as load_state) in
	 * one round trip. May be NULL: then the two are called one by one. 0,
	 * or -1 when unreachable (neither is then filled). */
	int (*load_session)(void *arg, Chat__Turn *turn, int max, struct orch_state *st, char *owner,
			    size_t ownerlen);
	void *arg;
};

struct orch {
	struct orch_io io;
	int history_max;
	struct orch_tools tools;
	double min_confidence; /* below it a turn gets a clarifying question */
	struct orch_session_io sess;
	int max_failures; /* unanswered turns in a row before a hand-off; 0: ORCH_MAX_FAILURES_DEFAULT */
};

#define ORCH_MAX_FAILURES_DEFAULT 3

#define ORCH_MIN_CONFIDENCE_DEFAULT 0.5
#define ORCH_MAX_STORES 16

/* Set the turn's draft: action, text (copied) and which part of the
 * orchestrator wrote it ("orchestrator/template", "orchestrator/tool"; the
 * guardrail trusts those to carry only the retailer's own data). */
void orch_set_draft(Chat__Turn *turn, Chat__Action action, const char *text, const char *producer);
/* Append a quick reply to the draft (title and payload copied). */
void orch_add_quick_reply(Chat__Draft *dr, const char *title, const char *payload);

/* The localized template for a key ("greeting", "handoff",
 * "memory_unavailable", ...) in language lang (en, ms, zh; others get en);
 * "" for an unknown key. Placeholders {1}..{9} are filled by orch_fill. */
const char *orch_template(const char *key, const char *lang);

/* Format an amount in sen as "RM 1,299.00" into out. */
void orch_format_rm(long long sen, char *out, size_t outlen);

/* tpl with {1}..{n} replaced by args[0..n-1], into out (truncated at a
 * UTF-8 boundary when it does not fit). */
void orch_fill(char *out, size_t outlen, const char *tpl, const char *const *args, int nargs);

/* Run the tool for turn->intent (order_status, stock_check,
 * loyalty_points, promotions, store_info, return_refund with an order id,
 * price for a product question naming a SKU or a product): fill
 * turn->draft and append a ToolResult. Returns 0; a tool that cannot reach
 * its data answers so. Returns 1, leaving the turn as it was, when a price
 * question names no product of the catalogue: the knowledge base may
 * know the answer. */
int orch_tool_run(const struct orch *o, Chat__Turn *turn);
/* The tool turn would run ("" when none): orch_is_tool_intent plus a
 * return with an order id and a price question about a SKU, or about a
 * product by name when it asks no service's fee. */
const char *orch_tool_for(const Chat__Turn *turn);

/* 1 when the words of a product search find something in the catalogue
 * (0 also when the catalogue cannot be read). */
int orch_catalogue_has(const struct orch *o, const Chat__Turn *turn);
/* 1 when intent is answered by a tool. */
int orch_is_tool_intent(const char *intent);

/* turn_fn for chat.classified.v1: load memory, choose the route, and either
 * draft the reply from a template (-> chat.drafted.v1), ask for passages
 * (-> chat.retrieve.v1), or hand off (-> chat.drafted.v1 and
 * handoff.requests.v1). */
int orch_route(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen);

/* Resolve a follow-up from the session's state: an ordinal ("the second
 * one", "yang kedua", "第二个") picks an item the last reply listed; a store
 * alone ("and in Penang?") repeats the last stock or store question there;
 * "how much is it?" asks about the last product. Adds the entities it
 * resolved and, when the follow-up carries no intent of its own, takes the
 * previous one. Returns 1 when something was resolved. */
int orch_resolve(Chat__Turn *turn, const struct orch_state *st, double min_confidence);

/* 1 when text asks for a price ("how much", "harga", "多少钱"). */
int orch_asks_price(const char *text);
/* 1 when text names a service or its fee (delivery, assembly, hanging,
 * haul-away, warranty, returns, "fee", "caj", "运费"), by word stems: a
 * price question then is not about a product's price. */
int orch_asks_service(const char *text);
/* 1 when text asks a product's price: a price word ("berapa" alone is not
 * one) and no service. */
int orch_asks_product_price(const char *text);

/* 1 when a rewards question asks how the programme works (earning,
 * redeeming, expiry, joining, tiers, moving or losing points: the
 * knowledge base's) rather than for the customer's own balance or tier
 * (the loyalty tool's). A question of three words or more that names
 * neither is taken as one on the rules; "points" or "my tier" alone asks
 * for the balance. */
int orch_asks_programme(const char *text);

/* 1 when text is a question of three words or more: a question mark, a
 * question word first ("can", "how", "boleh", "adakah"), a modal and a
 * person anywhere ("..., can I"), or a Chinese question particle. */
int orch_is_question(const char *text);

/* A complaint label below this on a question goes to the knowledge base
 * rather than to a person ("nobody was home when the furniture guys came,
 * will they try again?" was a complaint at 0.52). */
#define ORCH_COMPLAINT_SURE 0.6

/* 1 when text looks for products ("do you have", "any", "looking for",
 * "ada jual", "有没有") and names no service or fee. */
int orch_asks_for_products(const char *text);

/* 1 when text uses the shop's vocabulary (an item, an order, delivery,
 * returns, a store, a price, points, furniture and household goods; en, ms,
 * zh): a message the classifier guessed off topic without being sure of
 * it is then the knowledge base's to answer. */
int orch_shop_words(const char *text);
/* An out_of_scope label on a message with the shop's words is kept only
 * from this confidence up (below, the knowledge base answers). */
#define ORCH_OFF_TOPIC_SURE 0.75

/* 1 when a store question asks beyond hours, address and phone (public
 * holidays, getting there, facilities, services): the knowledge base's. */
int orch_asks_store_rules(const char *text);

/* 1 when a promotions question asks beyond the list running now (coming or
 * ended promotions, named events, codes, how one applies): the knowledge
 * base's. */
int orch_asks_promo_rules(const char *text);

/* 1 when text asks what something means or what happens next ("my order
 * says packed, what does that mean?"): without an order id, a question
 * for the knowledge base rather than a look-up. */
int orch_asks_meaning(const char *text);

/* kstage handler for chat.outbound.v1: remember and persist the delivered
 * reply. A database that is down holds the message in Kafka. */
int orch_record(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen);

/* The reply text of a delivered turn (its draft text), or "". */
const char *orch_reply_text(const Chat__Turn *turn);

#endif
