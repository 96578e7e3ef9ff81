/* Protobuf decode of Chat__HandoffTicket as its topic carries it. */
#include "fuzz.h"
#include "proto/chat.pb-c.h"

FUZZ_PROTO(Chat__HandoffTicket, chat__handoff_ticket)
