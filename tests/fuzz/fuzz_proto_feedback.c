/* Protobuf decode of Chat__Feedback as its topic carries it. */
#include "fuzz.h"
#include "proto/chat.pb-c.h"

FUZZ_PROTO(Chat__Feedback, chat__feedback)
