/* llm-caller: the stage logic around the providers. */
#include "llm-caller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

int llm_breaker_allow(struct llm_breaker *b, int64_t now_us)
{
	if (b->threshold <= 0 || b->fails < b->threshold)
		return 1;
	if (now_us < b->open_until_us || b->probing)
		return 0;
	b->probing = 1; /* half-open: this call is the probe */
	return 1;
}

void llm_breaker_result(struct llm_breaker *b, int ok, int64_t now_us)
{
	b->probing = 0;
	if (ok) {
		b->fails = 0;
		b->open_until_us = 0;
		return;
	}
	b->fails++;
	if (b->threshold > 0 && b->fails >= b->threshold)
		b->open_until_us = now_us + b->cooldown_us;
}

int llm_init(struct llm *l, const char *out_topic, const struct llm_config *cfg, const struct llm_sink *sink,
	     char errstr[256])
{
	memset(l, 0, sizeof(*l));
	l->out_topic = out_topic;
	l->cfg = *cfg;
	if (sink)
		l->sink = *sink;
	llm_offline_provider(&l->offline);
	int rc = 0;
	if (!strcmp(cfg->provider, "offline"))
		llm_offline_provider(&l->provider);
	else if (!strcmp(cfg->provider, "openai"))
		rc = llm_openai_provider(&l->provider, cfg, errstr);
	else if (!strcmp(cfg->provider, "bedrock"))
		rc = llm_bedrock_provider(&l->provider, cfg, errstr);
	else {
		snprintf(errstr, 256, "unknown LLM provider \"%.40s\" (offline, openai or bedrock)", cfg->provider);
		return -1;
	}
	if (rc < 0)
		return -1;
	l->breaker.threshold = (int)cfg->breaker_threshold;
	l->breaker.cooldown_us = (int64_t)cfg->breaker_cooldown_ms * 1000;
	snprintf(l->producer, sizeof(l->producer), "llm-caller/%s", l->provider.name);
	char lab[128];
	snprintf(lab, sizeof(lab), "provider=\"%s\"", l->provider.name);
	l->m_ok = metrics_counter("llm_calls_ok_total", "Provider turns that ended in a valid tool call", lab);
	l->m_fail = metrics_counter("llm_calls_failed_total", "Provider calls that failed (each attempt)", lab);
	l->m_invalid = metrics_counter("llm_replies_invalid_total",
				       "Provider replies that were not one valid tool call (answered degraded)", lab);
	l->m_retries = metrics_counter("llm_retries_total", "Provider calls retried before any chunk", lab);
	l->m_degraded = metrics_counter("llm_degraded_total", "Turns answered by the degraded mode", lab);
	l->m_first_token = metrics_histogram("llm_first_token_seconds", "Time from request to first output", lab);
	l->m_open = metrics_gauge("llm_breaker_open", "1 while the circuit breaker is open", lab);
	l->m_chunks = metrics_counter("llm_chunks_total", "Stream chunks sent", lab);
	return 0;
}

void llm_release(struct llm *l)
{
	if (l->provider.free)
		l->provider.free(l->provider.self);
	memset(&l->provider, 0, sizeof(l->provider));
}

/* Chunk state of one turn. */
struct stream_ctx {
	struct llm *l;
	const Chat__Turn *turn;
	uint32_t seq;
	int sink_failed;
	const struct llm_acc *acc; /* the provider turn being streamed, or NULL */
	int cite_sent;             /* the citation went out on a chunk */
	/* An answer that exists whole at once (the offline composer) is held
	 * and goes out with the final flag: one message instead of two. */
	int hold;
	char *held;
	size_t held_len;
	char *held_cite;
};

static void send_chunk(struct stream_ctx *sc, const char *text, size_t len, int final, const char *cite)
{
	if (!sc->l->sink.chunk)
		return;
	Chat__StreamChunk c = CHAT__STREAM_CHUNK__INIT;
	char *delta = xstrndup(text, len);
	c.tenant_id = (char *)turn_tenant(sc->turn->tenant_id);
	c.session_id = sc->turn->session_id;
	c.turn_id = sc->turn->turn_id;
	c.seq = sc->seq++;
	c.delta = delta;
	c.final = final;
	c.reply_partition = sc->turn->reply_partition;
	/* The first text after the citation is known carries what the
	 * guardrail needs to check it and release sentences early. */
	char **ids = NULL;
	if (!sc->cite_sent && len && cite && cite[0]) {
		const Chat__Turn *t = sc->turn;
		ids = xcalloc(t->n_passages ? t->n_passages : 1, sizeof(*ids));
		for (size_t i = 0; i < t->n_passages; i++)
			ids[i] = t->passages[i]->id;
		c.citation_id = (char *)cite;
		c.passage_ids = ids;
		c.n_passage_ids = t->n_passages;
		c.input_text = t->text ? t->text : (char *)"";
		sc->cite_sent = 1;
	}
	if (sc->l->sink.chunk(sc->l->sink.arg, &c) < 0)
		sc->sink_failed = 1;
	else
		metrics_inc(sc->l->m_chunks, 1);
	free(ids);
	free(delta);
}

static void drop_held(struct stream_ctx *sc)
{
	free(sc->held);
	free(sc->held_cite);
	sc->held = sc->held_cite = NULL;
	sc->held_len = 0;
}

/* Send what is held, as the stream's last chunk when final. */
static void send_held(struct stream_ctx *sc, int final)
{
	if (sc->held)
		send_chunk(sc, sc->held, sc->held_len, final, sc->held_cite);
	else if (final)
		send_chunk(sc, "", 0, 1, NULL);
	drop_held(sc);
}

static void on_chunk(void *arg, const char *text, size_t len)
{
	struct stream_ctx *sc = arg;
	const char *cite = sc->acc ? sc->acc->cite : NULL;
	if (!sc->hold) {
		send_chunk(sc, text, len, 0, cite);
		return;
	}
	send_held(sc, 0);
	sc->held = xstrndup(text, len);
	sc->held_len = len;
	sc->held_cite = cite && cite[0] ? xstrdup(cite) : NULL;
}

static void sleep_backoff(long base_ms, int attempt)
{
	long ms = base_ms << (attempt < 6 ? attempt : 6);
	ms += base_ms > 0 ? rand() % (base_ms + 1) : 0; /* jitter */
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Answer from the passages without the provider; its text is streamed only
 * when nothing was streamed yet. */
static void degraded(struct llm *l, Chat__Turn *turn, struct stream_ctx *sc, const char *why)
{
	struct llm_acc acc;
	char err[256] = "";
	llm_acc_init(&acc, sc->seq == 0 ? on_chunk : NULL, sc);
	sc->acc = &acc;
	sc->hold = 1; /* composed whole */
	metrics_inc(l->m_degraded, 1);
	log_write(LOG_WARN, turn->trace_id, turn->session_id, "llm-caller: %s: answering from the passages (degraded): %s",
		  l->provider.name, why);
	char producer[160];
	snprintf(producer, sizeof(producer), "llm-caller/offline (degraded from %s)", l->provider.name);
	if (llm_offline_compose(turn, &acc, err) < 0 || llm_apply_tool(&acc, turn, producer, err) < 0) {
		/* Cannot happen with our own composer; still, never leave a turn
		 * without a draft. */
		Chat__Draft *dr = turn_draft(turn);
		dr->action = CHAT__ACTION__ACTION_HAND_OFF;
		turn_set_str(&dr->reason, "the answer service is unavailable");
		turn_set_str(&dr->producer, producer);
	}
	sc->acc = NULL;
	llm_acc_release(&acc);
}

int llm_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct llm *l = ctx;
	struct stream_ctx sc = { l, turn, 0, 0, NULL, 0, !strcmp(l->provider.name, "offline"), NULL, 0, NULL };
	struct llm_prompt prompt;
	struct llm_tenant tenant;
	char err[256] = "";
	const char *tenant_id = turn_tenant(turn->tenant_id);
	(void)errstr;
	(void)errlen;

	/* The offline provider reads the turn itself: no prompt to build (nor
	 * the tenant's L0 file to read) for it. */
	memset(&prompt, 0, sizeof(prompt));
	if (strcmp(l->provider.name, "offline")) {
		if (llm_tenant_load(l->cfg.tenant_dir ? l->cfg.tenant_dir : ".", tenant_id, &tenant, err) < 0)
			log_write(LOG_WARN, turn->trace_id, turn->session_id, "llm-caller: tenant config: %s", err);
		llm_prompt_build(&tenant, turn, (int)(l->cfg.budget_tokens > 0 ? l->cfg.budget_tokens : 3000),
				 &prompt);
	}

	int done = 0;
	char why[300] = "";
	for (int attempt = 0; attempt <= l->cfg.retries; attempt++) {
		int64_t now = util_mono_us();
		if (!llm_breaker_allow(&l->breaker, now)) {
			snprintf(why, sizeof(why), "circuit breaker open after %d failures", l->breaker.fails);
			break;
		}
		struct llm_acc acc;
		llm_acc_init(&acc, on_chunk, &sc);
		sc.acc = &acc;
		int64_t t0 = util_mono_us();
		err[0] = '\0';
		int rc = l->provider.turn(l->provider.self, turn, &prompt, &acc, err);
		if (acc.first_token_us)
			metrics_observe_us(l->m_first_token, acc.first_token_us - t0);
		if (rc == 0) {
			llm_breaker_result(&l->breaker, 1, util_mono_us());
			if (llm_apply_tool(&acc, turn, l->producer, err) == 0) {
				metrics_inc(l->m_ok, 1);
				done = 1;
			} else {
				metrics_inc(l->m_invalid, 1);
				snprintf(why, sizeof(why), "invalid reply: %s", err);
			}
			sc.acc = NULL;
			llm_acc_release(&acc);
			break;
		}
		llm_breaker_result(&l->breaker, 0, util_mono_us());
		metrics_inc(l->m_fail, 1);
		snprintf(why, sizeof(why), "%s", err[0] ? err : "provider failed");
		size_t streamed = acc.chunks;
		if (sc.held) {
			/* held text of a failed answer was never shown: drop it */
			drop_held(&sc);
			streamed = 0;
		}
		sc.acc = NULL;
		llm_acc_release(&acc);
		log_write(LOG_WARN, turn->trace_id, turn->session_id, "llm-caller: %s attempt %d failed: %s",
			  l->provider.name, attempt + 1, why);
		if (streamed || rc == LLM_EREJECTED || attempt == l->cfg.retries)
			break;
		metrics_inc(l->m_retries, 1);
		sleep_backoff(l->cfg.backoff_ms, attempt);
	}
	metrics_set(l->m_open, l->breaker.threshold > 0 && l->breaker.fails >= l->breaker.threshold);
	if (!done)
		degraded(l, turn, &sc, why);
	llm_prompt_release(&prompt);

	/* Close the stream. Waiting for the chunks to be written before the
	 * draft (LLM_STREAM_FLUSH_MS) costs a broker round trip per turn and
	 * caps the stage's throughput; the guardrail takes chunks and drafts
	 * in either order, so by default it does not wait. */
	send_held(&sc, 1);
	if (l->sink.flush && l->sink.flush(l->sink.arg, (int)l->cfg.stream_flush_ms) < 0)
		sc.sink_failed = 1;
	if (sc.sink_failed)
		log_write(LOG_WARN, turn->trace_id, turn->session_id,
			  "llm-caller: some stream chunks were not written; the final answer still goes out");
	turn_route(d, l->out_topic, RD_KAFKA_PARTITION_UA);
	return 0;
}
