/* topics: the Kafka topic names of the design, shared by every service. */
#ifndef COMMON_TOPICS_H
#define COMMON_TOPICS_H

#define TOPIC_INBOUND "chat.inbound.v1"
#define TOPIC_CLASSIFIED "chat.classified.v1"
#define TOPIC_RETRIEVE "chat.retrieve.v1"
#define TOPIC_GROUNDED "chat.grounded.v1"
#define TOPIC_DRAFTED "chat.drafted.v1"
#define TOPIC_STREAM_RAW "chat.stream.raw.v1"
#define TOPIC_CHECKED "chat.checked.v1"
#define TOPIC_STREAM "chat.stream.v1"
#define TOPIC_OUTBOUND "chat.outbound.v1"
#define TOPIC_FEEDBACK "chat.feedback.v1"
#define TOPIC_HANDOFF "handoff.requests.v1"
#define TOPIC_KB_DOCUMENTS "kb.documents.v1"
#define TOPIC_KB_UPDATED "kb.updated.v1"
#define TOPIC_INVENTORY "pos.inventory.v1"
#define TOPIC_PRICES "erp.prices.v1"
#define TOPIC_DLQ "chat.dlq.v1"

#endif
