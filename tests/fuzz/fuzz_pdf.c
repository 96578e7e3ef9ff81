/* PDF text extraction for chatctl kb ingest (pdf_text over poppler). Any
 * bytes: a refusal says why; an accepted document gives a title and at
 * most max_text bytes of valid UTF-8 text. */
#include "fuzz.h"
#include "tools/chatctl/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max_text = 4096;
	char *text = NULL, *title = NULL, err[256] = "";
	if (pdf_text(data, size, max_text, &text, &title, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0]);
		free(text);
		free(title);
		return 0;
	}
	FUZZ_CHECK(text && title);
	size_t n = strlen(text);
	FUZZ_CHECK(n <= max_text);
	FUZZ_CHECK(fuzz_utf8_valid(text, n));
	FUZZ_CHECK(fuzz_utf8_valid(title, strlen(title)));
	free(text);
	free(title);
	return 0;
}
