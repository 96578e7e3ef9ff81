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

#include <protobuf-c/protobuf-c.h>

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

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code
 * points past U+10FFFF). */
static inline int fuzz_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t k;
		unsigned cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			k = 1, cp = c & 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2, cp = c & 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += k + 1;
	}
	return 1;
}

#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* 1 when m or any message inside it kept unknown fields. */
static inline int fuzz_proto_unknown(const ProtobufCMessage *m)
{
	if (!m)
		return 0;
	if (m->n_unknown_fields)
		return 1;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		const char *at = (const char *)m + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
			ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)at;
			for (size_t k = 0; k < n; k++)
				if (fuzz_proto_unknown(v[k]))
					return 1;
		} else if (fuzz_proto_unknown(*(const ProtobufCMessage *const *)at)) {
			return 1;
		}
	}
	return 0;
}

/* A topic's message type: unpack what a producer might send; what unpacks
 * packs again, and without unknown fields those bytes unpack to the same
 * size. (protobuf-c keeps an unknown field numbered 0 from a non-minimal
 * tag and emits it again, which its own unpack then refuses: a message
 * carrying unknown fields, itself or in a message inside it, is only
 * required to pack.) prefix is the
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
		if (!fuzz_proto_unknown(&m->base)) {                                       \
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
