/* Protobuf decode of Chat__StreamChunk as its topic carries it. */
#include "fuzz.h"
#include "proto/chat.pb-c.h"

FUZZ_PROTO(Chat__StreamChunk, chat__stream_chunk)
