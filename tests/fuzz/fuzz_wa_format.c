/* WhatsApp rendering in the formatter: fmt_wa_split, fmt_wa_truncate and
 * fmt_render_whatsapp. The first byte picks the limit; the rest is text
 * (for the render: draft text, then quick replies and product names, one a
 * line after a "\n\n--\n"). Every part is within its limit, trimmed and
 * non-empty; the parts are the text's own bytes in order, with only white
 * space, joiners and variation selectors between them; valid UTF-8 in
 * stays valid UTF-8 out; the rendered messages respect WhatsApp's limits. */
#include <jansson.h>

#include "fuzz.h"
#include "services/formatter/formatter.h"

/* UTF-16 code units of valid UTF-8 s (our own count, not the formatter's). */
static size_t units(const char *s)
{
	size_t u = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xC0) != 0x80)
			u++;
		if (*p >= 0xF0)
			u++;
	}
	return u;
}

static int gap_byte_run(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			i++;
		else if (n - i >= 3 && (!memcmp(s + i, "\xE2\x80\x8D", 3) || !memcmp(s + i, "\xEF\xB8\x8F", 3)))
			i += 3;
		else
			return 0;
	}
	return 1;
}

/* 1 when the part at [g, g + pl) of text would end inside a joiner or
 * variation selector that starts within it: the splitter never cuts one,
 * so such a placement is a coincidence of bytes (a part of invalid UTF-8
 * such as a lone 0xE2 also matches the first byte of a joiner in the gap
 * before it), not where the part came from. */
static int cuts_gap_token(const char *text, size_t n, size_t g, size_t pl)
{
	size_t e = g + pl;
	for (size_t t = e >= 2 ? e - 2 : 0; t < e; t++)
		if (t >= g && t + 3 <= n && t + 3 > e &&
		    (!memcmp(text + t, "\xE2\x80\x8D", 3) || !memcmp(text + t, "\xEF\xB8\x8F", 3)))
			return 1;
	return 0;
}

static void check_str_max(json_t *v, size_t max)
{
	const char *s = json_string_value(v);
	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(units(s) <= max);
}

static void check_render(json_t *arr)
{
	FUZZ_CHECK(json_is_array(arr));
	size_t i, texts = 0;
	json_t *m;
	json_array_foreach(arr, i, m)
	{
		const char *type = json_string_value(json_object_get(m, "type"));
		FUZZ_CHECK(type != NULL);
		if (!strcmp(type, "text")) {
			texts++;
			json_t *body = json_object_get(json_object_get(m, "text"), "body");
			check_str_max(body, FMT_WA_TEXT_MAX);
			FUZZ_CHECK(*json_string_value(body) != '\0');
			continue;
		}
		FUZZ_CHECK(!strcmp(type, "interactive"));
		json_t *in = json_object_get(m, "interactive");
		check_str_max(json_object_get(json_object_get(in, "body"), "text"), FMT_WA_BODY_MAX);
		const char *it = json_string_value(json_object_get(in, "type"));
		json_t *action = json_object_get(in, "action");
		size_t k;
		json_t *x;
		if (!strcmp(it, "button")) {
			json_t *buttons = json_object_get(action, "buttons");
			FUZZ_CHECK(json_array_size(buttons) >= 1 && json_array_size(buttons) <= FMT_WA_BUTTONS_MAX);
			json_array_foreach(buttons, k, x)
			{
				json_t *r = json_object_get(x, "reply");
				check_str_max(json_object_get(r, "title"), FMT_WA_BUTTON_TITLE_MAX);
				check_str_max(json_object_get(r, "id"), FMT_WA_BUTTON_ID_MAX);
				FUZZ_CHECK(*json_string_value(json_object_get(r, "id")) != '\0');
			}
		} else {
			FUZZ_CHECK(!strcmp(it, "list"));
			check_str_max(json_object_get(action, "button"), FMT_WA_LIST_BUTTON_MAX);
			json_t *sec = json_array_get(json_object_get(action, "sections"), 0);
			check_str_max(json_object_get(sec, "title"), FMT_WA_SECTION_TITLE_MAX);
			json_t *rows = json_object_get(sec, "rows");
			FUZZ_CHECK(json_array_size(rows) >= 1 && json_array_size(rows) <= FMT_WA_ROWS_MAX);
			json_array_foreach(rows, k, x)
			{
				check_str_max(json_object_get(x, "title"), FMT_WA_ROW_TITLE_MAX);
				check_str_max(json_object_get(x, "id"), FMT_WA_ROW_ID_MAX);
				FUZZ_CHECK(*json_string_value(json_object_get(x, "id")) != '\0');
				if (json_object_get(x, "description"))
					check_str_max(json_object_get(x, "description"), FMT_WA_ROW_DESC_MAX);
			}
		}
	}
	FUZZ_CHECK(texts <= FMT_WA_MAX_TEXT_MESSAGES);
}

static void render(char *text, int valid)
{
	Chat__Turn turn = CHAT__TURN__INIT;
	Chat__Draft draft = CHAT__DRAFT__INIT;
	Chat__QuickReply qr[12];
	Chat__QuickReply *qrp[12];
	Chat__ProductCard card[12];
	Chat__ProductCard *cardp[12];
	turn.draft = &draft;
	turn.language = "en";
	draft.text = text;
	char *more = strstr(text, "\n\n--\n");
	if (more) {
		*more = '\0';
		char *line = more + 5;
		for (size_t i = 0; line && i < 24; i++) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (i % 2 == 0 && draft.n_quick_replies < 12) {
				Chat__QuickReply *q = &qr[draft.n_quick_replies];
				chat__quick_reply__init(q);
				q->title = line;
				q->payload = line;
				qrp[draft.n_quick_replies++] = q;
			} else if (i % 2 == 1 && draft.n_cards < 12) {
				Chat__ProductCard *c = &card[draft.n_cards];
				chat__product_card__init(c);
				c->name = line;
				c->sku = "SKU-1";
				c->price_sen = (int64_t)strlen(line) * 1990;
				c->currency = "MYR";
				c->stock = (int32_t)(strlen(line) % 5);
				cardp[draft.n_cards++] = c;
			}
			line = nl ? nl + 1 : NULL;
		}
		draft.quick_replies = qrp;
		draft.cards = cardp;
	}
	char *out = fmt_render_whatsapp(&turn);
	FUZZ_CHECK(out != NULL);
	if (valid) {
		json_error_t jerr;
		json_t *arr = json_loads(out, 0, &jerr);
		check_render(arr);
		json_decref(arr);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t max = 16 + (size_t)data[0] * 8; /* 16 .. 2056 */
	char *text = fuzz_cstr(data + 1, size - 1);
	size_t n = strlen(text);
	int valid = fuzz_utf8_valid(text, n);

	char **parts = NULL;
	size_t np = fmt_wa_split(text, max, &parts);
	size_t at = 0;
	for (size_t i = 0; i < np; i++) {
		size_t pl = strlen(parts[i]);
		FUZZ_CHECK(pl > 0);
		FUZZ_CHECK(fmt_wa_len(parts[i]) <= max);
		char last = parts[i][pl - 1];
		FUZZ_CHECK(last != ' ' && last != '\n' && last != '\t' && last != '\r');
		/* The part is the text's next bytes after a blank gap. */
		const char *found = NULL;
		for (size_t g = at; g + pl <= n; g++) {
			if (!memcmp(text + g, parts[i], pl) && gap_byte_run(text + at, g - at) &&
			    !cuts_gap_token(text, n, g, pl)) {
				found = text + g;
				break;
			}
			if (!strchr(" \t\n\r\xE2\x80\x8D\xEF\xB8\x8F", text[g]))
				break; /* past any blank gap */
		}
		FUZZ_CHECK(found != NULL);
		FUZZ_CHECK(gap_byte_run(text + at, (size_t)(found - text) - at));
		at = (size_t)(found - text) + pl;
		if (valid) {
			FUZZ_CHECK(fuzz_utf8_valid(parts[i], pl));
			FUZZ_CHECK(units(parts[i]) <= max);
		}
		free(parts[i]);
	}
	free(parts);
	FUZZ_CHECK(gap_byte_run(text + at, n - at));

	size_t tmax = 1 + data[0] % 64;
	char *t = fmt_wa_truncate(text, tmax);
	FUZZ_CHECK(fmt_wa_len(t) <= tmax);
	if (fmt_wa_len(text) <= tmax)
		FUZZ_CHECK(!strcmp(t, text));
	else
		FUZZ_CHECK(strlen(t) >= 3 && !memcmp(t + strlen(t) - 3, "\xE2\x80\xA6", 3) &&
			   !strncmp(t, text, strlen(t) - 3));
	if (valid)
		FUZZ_CHECK(fuzz_utf8_valid(t, strlen(t)) && units(t) <= tmax);
	free(t);

	render(text, valid);
	free(text);
	return 0;
}
