/* POST /v1/feedback bodies (gw_parse_feedback, gw_build_feedback). An
 * accepted body has both ids, a rating of +1 or -1 and a comment of at
 * most GW_MAX_COMMENT bytes of valid UTF-8; the Feedback message built
 * from it packs and unpacks to the same rating and ids. A refused body
 * says why. */
#include "fuzz.h"
#include "services/gateway/feedback.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_feedback fb;
	char err[256] = "";
	if (gw_parse_feedback((const char *)data, size, &fb, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0]);
		gw_feedback_release(&fb);
		return 0;
	}
	FUZZ_CHECK(fb.session_id && fb.session_id[0] && fb.turn_id && fb.turn_id[0]);
	FUZZ_CHECK(fb.rating == 1 || fb.rating == -1);
	if (fb.comment)
		FUZZ_CHECK(strlen(fb.comment) <= GW_MAX_COMMENT && fuzz_utf8_valid(fb.comment, strlen(fb.comment)));
	Chat__Feedback *m = gw_build_feedback("demo", &fb, 1700000000000000);
	FUZZ_CHECK(m != NULL);
	size_t n = chat__feedback__get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);
	FUZZ_CHECK(buf && chat__feedback__pack(m, buf) == n);
	Chat__Feedback *back = chat__feedback__unpack(NULL, n, buf);
	FUZZ_CHECK(back && back->rating == fb.rating && !strcmp(back->session_id, fb.session_id) &&
		   !strcmp(back->turn_id, fb.turn_id));
	chat__feedback__free_unpacked(back, NULL);
	free(buf);
	gw_feedback_free(m);
	gw_feedback_release(&fb);
	return 0;
}
