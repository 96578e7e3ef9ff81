/* topics: chatctl's Kafka commands: create the topics of a topic file, and
 * list topics with partitions and each consumer group's lag. */
#ifndef TOOLS_CHATCTL_TOPICS_H
#define TOOLS_CHATCTL_TOPICS_H

/* Create every topic named in file ("name [partitions]" per line, # for
 * comments) that does not exist yet, waiting up to 60 s for a broker that
 * is still starting. Returns 0 when all exist afterwards. */
int cc_topics_create(const char *brokers, const char *file, int partitions, int replication);
/* Print topics, partitions, and per consumer group the committed lag. */
int cc_topics_list(const char *brokers);

#endif
