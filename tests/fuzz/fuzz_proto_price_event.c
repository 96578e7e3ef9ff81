/* Protobuf decode of Chat__PriceEvent as its topic carries it. */
#include "fuzz.h"
#include "proto/chat.pb-c.h"

FUZZ_PROTO(Chat__PriceEvent, chat__price_event)
