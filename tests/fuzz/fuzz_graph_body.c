/* The Graph API request body built from a rendered message
 * (graph_message_body). Accepted exactly when the input is a JSON object
 * with a string "type"; the body is then JSON that keeps every member of
 * the message, with "to", "messaging_product" and "recipient_type" ours. */
#include <jansson.h>

#include "fuzz.h"
#include "services/gateway/graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A wa_id is digits; the first bytes choose it. */
	char to[16];
	size_t nto = size < 12 ? size : 12;
	for (size_t i = 0; i < nto; i++)
		to[i] = (char)('0' + data[i] % 10);
	to[nto] = '\0';
	const char *msg = (const char *)data + nto;
	size_t len = size - nto;

	char err[256] = "";
	char *out = graph_message_body(msg, len, to, err, sizeof(err));
	json_error_t jerr;
	json_t *in = json_loadb(msg, len, 0, &jerr);
	int ok = json_is_object(in) && json_is_string(json_object_get(in, "type"));
	FUZZ_CHECK(ok == (out != NULL));
	if (!out) {
		FUZZ_CHECK(err[0] != '\0');
		json_decref(in);
		return 0;
	}
	json_t *o = json_loads(out, 0, &jerr);
	FUZZ_CHECK(json_is_object(o));
	FUZZ_CHECK(!strcmp(json_string_value(json_object_get(o, "to")), to));
	FUZZ_CHECK(!strcmp(json_string_value(json_object_get(o, "messaging_product")), "whatsapp"));
	FUZZ_CHECK(!strcmp(json_string_value(json_object_get(o, "recipient_type")), "individual"));
	FUZZ_CHECK(json_equal(json_object_get(o, "type"), json_object_get(in, "type")));
	const char *key;
	json_t *v;
	size_t added = 3;
	json_object_foreach(in, key, v)
	{
		if (!strcmp(key, "to") || !strcmp(key, "messaging_product") || !strcmp(key, "recipient_type")) {
			added--;
			continue;
		}
		FUZZ_CHECK(json_equal(json_object_get(o, key), v));
	}
	FUZZ_CHECK(json_object_size(o) == json_object_size(in) + added);
	json_decref(o);
	json_decref(in);
	free(out);
	return 0;
}
