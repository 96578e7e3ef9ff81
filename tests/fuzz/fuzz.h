/* fuzz: what the libFuzzer targets share. Each target is one file,
 * tests/fuzz/fuzz_<name>.c, defining LLVMFuzzerTestOneInput; its seeds are in
 * tests/fuzz/corpus/<name>/. A target that needs a service's logic names it
 * in tests/fuzz/module.mk (FUZZ_SVC_<name>). A broken invariant aborts, which
 * libFuzzer reports as a crash with the input. */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated heap copy of the input (C-string parsers). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* A topic's message type: unpack what a producer might send; what unpacks
 * packs again, and without unknown fields those bytes unpack to the same
 * size. (protobuf-c keeps an unknown field numbered 0 from a non-minimal
 * tag and emits it again, which its own unpack then refuses: a message
 * carrying unknown fields is only required to pack.) prefix is the
 * protobuf-c name, e.g. chat__feedback. */
#define FUZZ_PROTO(type, prefix)                                                           \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                       \
	{                                                                                  \
		type *m = prefix##__unpack(NULL, size, data);                              \
		if (!m)                                                                    \
			return 0;                                                          \
		size_t n = prefix##__get_packed_size(m);                                   \
		uint8_t *buf = malloc(n ? n : 1);                                          \
		FUZZ_CHECK(buf && prefix##__pack(m, buf) == n);                            \
		if (m->base.n_unknown_fields == 0) {                                       \
			type *again = prefix##__unpack(NULL, n, buf);                      \
			FUZZ_CHECK(again != NULL);                                         \
			FUZZ_CHECK(prefix##__get_packed_size(again) == n);                 \
			prefix##__free_unpacked(again, NULL);                              \
		}                                                                          \
		prefix##__free_unpacked(m, NULL);                                          \
		free(buf);                                                                 \
		return 0;                                                                  \
	}

#endif
