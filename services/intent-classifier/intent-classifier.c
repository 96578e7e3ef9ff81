/* intent-classifier: intent from the model, language, entities, and the
 * stage function. */
#include "intent-classifier.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "log.h"
#include "util.h"

/* Words that mark Malay, formal and chat spelling; none is an English word. */
static const char *const malay_words[] = {
	"saya", "aku", "awak", "anda", "kamu", "kami", "kita", "nak", "tak", "tidak", "takde", "xde", "tiada",
	"boleh", "blh", "camne", "macam", "mcm", "mana", "bila", "sampai", "dah", "sudah", "belum", "lagi", "apa",
	"berapa", "ada", "terima", "kasih", "selamat", "pagi", "petang", "malam", "tolong", "pesanan", "barang",
	"brg", "kedai", "harga", "beli", "bayar", "hantar", "batal", "pulangkan", "kenapa", "mengapa",
	"bagaimana", "yang", "dengan", "untuk", "ini", "itu", "kat", "je", "jer", "lah", "pun", "ni", "tu",
	"sy", "nk", "encik", "puan", "cik", "mahu", "hendak", "perlu", "sila", "juga", "atau", "dan", "dalam",
	"semua", "kena", "hari", "esok", "semalam", "minggu", "bulan", "duit", "akaun", "alamat",
	"penghantaran", "bayaran", "saiz", "warna", "murah", "mahal", "diskaun", "promosi", "ahli", "ganjaran",
	"jumpa", "bagi", "tengok", "cari", "betul", "salah", "rosak", "wang", "cawangan", "stok",
	"bukan", "jangan", "sikit", "banyak", "baru", "lama", "masih", "kalau", "tapi", "sebab", "bole", "sangat",
	"teruk", "korang", "servis", "pulang", "nombor", "tukar", "sahaja", "macamana", "kenape", NULL
};
static const char *const english_words[] = {
	"i", "you", "my", "me", "the", "a", "an", "is", "are", "was", "to", "of", "for", "in", "on", "with",
	"please", "can", "could", "would", "what", "where", "when", "how", "why", "want", "need", "do", "does",
	"it", "this", "that", "have", "has", "not", "your", "will", "thanks", "thank", "hello", "hi", "get",
	"help", "and", "be", "there", "any", NULL
};

/* Both lists in one map, built once: word -> 1 (Malay) or 2 (English).
 * Lives for the process. */
static struct hmap *lang_words;
static pthread_once_t lang_once = PTHREAD_ONCE_INIT;

static void lang_words_init(void)
{
	lang_words = hmap_new(512);
	for (const char *const *w = english_words; *w; w++)
		hmap_put(lang_words, *w, (void *)2);
	for (const char *const *w = malay_words; *w; w++)
		hmap_put(lang_words, *w, (void *)1);
}

const char *ic_language(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	int han = 0, words = 0, malay = 0, english = 0;
	pthread_once(&lang_once, lang_words_init);
	size_t n = strlen(text);
	if (n > ICM_MAX_TEXT)
		n = ICM_MAX_TEXT;
	for (size_t i = 0; i < n;) {
		/* Han: U+3400..U+9FFF, three-byte UTF-8 with lead E3 (second byte
		 * >= 0x90), E4..E9 */
		if (i + 2 < n && (p[i + 1] & 0xC0) == 0x80 && (p[i + 2] & 0xC0) == 0x80 &&
		    ((p[i] >= 0xE4 && p[i] <= 0xE9) || (p[i] == 0xE3 && p[i + 1] >= 0x90))) {
			han++;
			i += 3;
			continue;
		}
		if (!isalpha(p[i])) {
			i++;
			continue;
		}
		char w[32];
		size_t l = 0;
		while (i < n && (isalnum(p[i]) || p[i] == '\'')) {
			if (l < sizeof(w) - 1 && p[i] != '\'')
				w[l++] = (char)tolower(p[i]);
			i++;
		}
		w[l] = '\0';
		words++;
		uintptr_t kind = (uintptr_t)hmap_get(lang_words, w);
		malay += kind == 1;
		english += kind == 2;
	}
	if (han > 0 && han >= words)
		return "zh";
	if (malay > 0 && malay * 2 >= english)
		return "ms";
	return "en";
}

void ic_intent(const struct icm *model, const char *text, const char **intent, float *confidence)
{
	int c = icm_predict(model, text, confidence);
	*intent = icm_label(model, c);
}

/* Replace turn->entities with what text holds. */
static void set_entities(Chat__Turn *turn, const struct ent_stores *stores)
{
	for (size_t i = 0; i < turn->n_entities; i++)
		chat__entity__free_unpacked(turn->entities[i], NULL);
	free(turn->entities);
	turn->entities = NULL;
	turn->n_entities = 0;
	struct ent ents[ENT_MAX];
	int n = ent_extract(turn->text, stores, ents, ENT_MAX);
	if (n == 0)
		return;
	turn->entities = xmalloc((size_t)n * sizeof(*turn->entities));
	for (int i = 0; i < n; i++) {
		Chat__Entity *e = xmalloc(sizeof(*e));
		chat__entity__init(e);
		e->type = xstrdup(ents[i].type);
		e->value = xstrdup(ents[i].value);
		e->start = ents[i].start;
		e->end = ents[i].end;
		turn->entities[i] = e;
	}
	turn->n_entities = (size_t)n;
}

int ic_process(void *ctx, Chat__Turn *turn, struct turn_dests *d, char *errstr, size_t errlen)
{
	struct ic *ic = ctx;
	const char *intent;
	float confidence;
	(void)errstr;
	(void)errlen;
	ic_intent(ic->model, turn->text, &intent, &confidence);
	turn_set_str(&turn->intent, intent);
	turn->confidence = confidence;
	turn_set_str(&turn->language, ic_language(turn->text));
	set_entities(turn, ic->stores);
	if (confidence < ic->min_confidence)
		log_write(LOG_DEBUG, turn->trace_id, turn->session_id, "uncertain intent \"%s\" (%.2f < %.2f)", intent,
			  (double)confidence, (double)ic->min_confidence);
	turn_route(d, ic->out_topic, RD_KAFKA_PARTITION_UA);
	return 0;
}

long ic_classify_stream(const struct icm *model, FILE *in, FILE *out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long n = 0;
	while ((len = getline(&line, &cap, in)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		const char *intent;
		float conf;
		ic_intent(model, line, &intent, &conf);
		fprintf(out, "%s\t%.4f\t%s\n", intent, (double)conf, ic_language(line));
		n++;
	}
	free(line);
	return n;
}
