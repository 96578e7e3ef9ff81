/* Knowledge-base documents (Markdown, HTML, text): front matter, text
 * extraction and chunking, as ingestion runs them. The first byte picks the
 * format and the chunk size. */
#include "chunk.h"
#include "fuzz.h"

static void fm(void *arg, const char *key, size_t klen, const char *val, size_t vlen)
{
	(void)arg;
	FUZZ_CHECK(key && val);
	FUZZ_CHECK(klen < (1u << 30) && vlen < (1u << 30));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum chunk_format fmt = (enum chunk_format)(data[0] % 3);
	int target = (data[0] >> 2) % 4 == 0 ? 0 : 8 + (data[0] >> 2) * 4;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;

	size_t off = chunk_front_matter(body, len, fm, NULL);
	FUZZ_CHECK(off <= len);

	char *text = chunk_extract(body, len, fmt);
	free(text);

	struct chunk_list l;
	char errstr[256];
	memset(&l, 0, sizeof(l));
	if (chunk_document(body, len, fmt, target, -1, &l, errstr, sizeof(errstr)) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			FUZZ_CHECK(l.v[i].text && l.v[i].heading);
			FUZZ_CHECK(strlen(l.v[i].text) <= CHUNK_MAX_BYTES);
		}
		chunk_list_release(&l);
	}
	return 0;
}
