/* offtrack: which input offsets may be committed. An input message is done
 * when its handler has finished and every output it produced has a
 * successful delivery report; a partition's committable position is the
 * offset after its longest done prefix, so a crash never skips a message
 * whose outputs were not durably written. Pure bookkeeping: no Kafka here. */
#ifndef COMMON_OFFTRACK_H
#define COMMON_OFFTRACK_H

#include <stddef.h>
#include <stdint.h>

struct offtrack;
struct offtrack_entry;

struct offtrack *offtrack_new(void);
/* Frees every entry; any pointer still held by a delivery report dangles, so
 * call it only after the producer was flushed or destroyed. */
void offtrack_free(struct offtrack *ot);

/* Start tracking one consumed message. The entry stays valid until
 * offtrack_drain has reported past it. */
struct offtrack_entry *offtrack_begin(struct offtrack *ot, const char *topic, int32_t partition, int64_t offset);
/* One more output produced for the entry (its delivery report is awaited). */
void offtrack_add_pending(struct offtrack_entry *e);
/* The handler is finished: no more outputs will be added. */
void offtrack_seal(struct offtrack_entry *e);
/* The entry will not complete (its input is to be consumed again): seal it
 * as failed, so it is freed without ever being committed. */
void offtrack_fail(struct offtrack_entry *e);
/* A delivery report arrived for one of the entry's outputs. */
void offtrack_delivered(struct offtrack_entry *e, int ok);

/* Called by offtrack_drain: commit fn gets the next offset to consume for a
 * partition whose done prefix advanced; rewind fn gets the offset of a
 * message whose output failed to deliver (every later entry of that
 * partition is dropped: the caller must seek there and process again). */
typedef void (*offtrack_commit_fn)(void *arg, const char *topic, int32_t partition, int64_t next_offset);
typedef void (*offtrack_rewind_fn)(void *arg, const char *topic, int32_t partition, int64_t offset);
void offtrack_drain(struct offtrack *ot, offtrack_commit_fn commit, offtrack_rewind_fn rewind, void *arg);

/* Forget a partition (revoked). Entries still awaiting delivery reports are
 * kept until those arrive, but nothing more is reported for them. */
void offtrack_drop_partition(struct offtrack *ot, const char *topic, int32_t partition);

/* Entries not yet drained, over every partition. */
size_t offtrack_inflight(const struct offtrack *ot);

#endif
