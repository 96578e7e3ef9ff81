/* Protobuf decode of Chat__Document as its topic carries it. */
#include "fuzz.h"
#include "proto/chat.pb-c.h"

FUZZ_PROTO(Chat__Document, chat__document)
