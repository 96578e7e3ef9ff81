/* intent-classifier: labels a turn with intent, confidence and language. */
#include "intent-classifier.h"

#include <ctype.h>
#include <string.h>

#include "util.h"

/* Lower-case ASCII copy with every non-alphanumeric byte as a space and a
 * space at both ends, so word tests are `strstr(buf, " word ")`. */
static void normalize(const char *text, char *out, size_t outlen)
{
	size_t o = 0;
	out[o++] = ' ';
	for (const unsigned char *p = (const unsigned char *)text; *p && o + 2 < outlen; p++)
		out[o++] = (char)(isalnum(*p) ? tolower(*p) : (*p >= 0x80 ? *p : ' '));
	out[o++] = ' ';
	out[o] = '\0';
}

static int has_word(const char *norm, const char *const *words)
{
	for (; *words; words++) {
		char w[64];
		if (util_snprintf(w, sizeof(w), " %s ", *words) >= 0 && strstr(norm, w))
			return 1;
	}
	return 0;
}

const char *ic_language(const char *text)
{
	/* UTF-8 lead bytes 0xE4..0xE9 start the CJK Unified Ideographs block. */
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p >= 0xE4 && *p <= 0xE9 && (p[1] & 0xC0) == 0x80)
			return "zh";
	static const char *const malay[] = { "saya", "boleh", "tak", "nak", "apa", "terima", "kasih", "mana",
					     "bila", "berapa", "ada", "tidak", "sudah", "belum", "pesanan",
					     "barang", "kedai", "harga", "selamat", "tolong", NULL };
	char norm[1024];
	normalize(text, norm, sizeof(norm));
	return has_word(norm, malay) ? "ms" : "en";
}

void ic_intent(const char *text, const char **intent, float *confidence)
{
	static const char *const greet[] = { "hi", "hello", "hey", "hai", "helo", "morning", "selamat", NULL };
	static const char *const human[] = { "agent", "human", "person", "manusia", "staff", "operator", NULL };
	char norm[1024];
	normalize(text, norm, sizeof(norm));
	if (has_word(norm, human) || strstr(text, "人工") || strstr(text, "客服")) {
		*intent = "human_agent";
		*confidence = 0.9f;
	} else if (has_word(norm, greet) || strstr(text, "你好")) {
		*intent = "greeting";
		*confidence = 0.8f;
	} else {
		*intent = "unknown";
		*confidence = 0.0f;
	}
}

int ic_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct ic *ic = ctx;
	const char *intent;
	float confidence;
	(void)errstr;
	(void)errlen;
	ic_intent(turn->text, &intent, &confidence);
	turn_set_str(&turn->intent, intent);
	turn->confidence = confidence;
	turn_set_str(&turn->language, ic_language(turn->text));
	turn_route(d, ic->out_topic, RD_KAFKA_PARTITION_UA);
	return 0;
}
