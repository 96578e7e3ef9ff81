/* Protobuf decode of Chat__InventoryEvent as its topic carries it. */
#include "fuzz.h"
#include "proto/chat.pb-c.h"

FUZZ_PROTO(Chat__InventoryEvent, chat__inventory_event)
