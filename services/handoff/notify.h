/* notify: agent notifications by webhook (Slack-compatible JSON
 * {"text": ...}) on a thread of their own, with retries, so a slow or
 * failing webhook never holds up tickets. */
#ifndef SERVICES_HANDOFF_NOTIFY_H
#define SERVICES_HANDOFF_NOTIFY_H

struct notifier;

/* Start the sender for url (copied). max_attempts tries per message,
 * backoff_ms doubled between tries, each POST bounded by timeout_ms. At
 * most queue_max messages wait; more drop the oldest. */
struct notifier *notifier_new(const char *url, int max_attempts, int backoff_ms, int timeout_ms, int queue_max);
/* Queue text (copied). Never blocks on the network. */
void notifier_post(struct notifier *n, const char *text);
/* Stop (waiting at most for the message being sent) and free. */
void notifier_free(struct notifier *n);
/* Messages delivered and given up so far. */
long notifier_sent(struct notifier *n);
long notifier_failed(struct notifier *n);

#endif
