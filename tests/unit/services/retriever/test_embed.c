/* embed: the local model's vectors (deterministic, normalised, close for
 * paraphrases and typos, far for unrelated text, Han text handled), the
 * OpenAI-compatible wire format (request, answer parsing, garbage) and the
 * provider against a local HTTP server speaking that format. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <string.h>

#include "../../testutil.h"
#include "embed.h"

TestSuite(embed, .fini = tu_leak_check);

#define DIM 768

static float cosine(const char *a, const char *b)
{
	static float va[DIM], vb[DIM];
	embed_local_doc(a, va, DIM);
	embed_local_doc(b, vb, DIM);
	float s = 0;
	for (int i = 0; i < DIM; i++)
		s += va[i] * vb[i];
	return s;
}

Test(embed, local_vectors_are_deterministic_and_unit_length)
{
	static float a[DIM], b[DIM];
	embed_local_doc("Returns within 30 days of delivery", a, DIM);
	embed_local_doc("Returns within 30 days of delivery", b, DIM);
	cr_assert_eq(memcmp(a, b, sizeof(a)), 0);
	double ss = 0;
	for (int i = 0; i < DIM; i++)
		ss += (double)a[i] * a[i];
	cr_assert_float_eq(ss, 1.0, 1e-4);
	embed_local_doc("", a, DIM);
	for (int i = 0; i < DIM; i++)
		cr_assert_eq(a[i], 0.0f, "empty text gives the zero vector");
}

Test(embed, inflections_and_typos_stay_close)
{
	float base = cosine("refund policy for furniture", "refunds policies for furnitures");
	cr_assert_gt(base, 0.6f, "inflections: %f", base);
	float typo = cosine("warranty on the desk motor", "warrenty on the dsek motor");
	float unrelated = cosine("warranty on the desk motor", "opening hours of the Penang store");
	cr_assert_gt(typo, unrelated + 0.2f, "typo %f vs unrelated %f", typo, unrelated);
	/* Malay affixes share a root: penghantaran / dihantar. */
	float ms = cosine("penghantaran percuma", "barang dihantar percuma");
	cr_assert_gt(ms, cosine("penghantaran percuma", "bayaran balik tunai"));
}

Test(embed, chinese_bigrams_match)
{
	float same = cosine("退款多久到账", "退款一般在七天内到账");
	float other = cosine("退款多久到账", "运费怎么算");
	cr_assert_gt(same, other + 0.2f, "same %f other %f", same, other);
}

static void counter(void *arg, uint32_t h, float w)
{
	(void)h;
	cr_assert_gt(w, 0.0f);
	(*(int *)arg)++;
}

Test(embed, stop_words_and_garbage_bytes)
{
	int n = 0;
	embed_local_features("the of and is to", counter, &n);
	cr_assert_eq(n, 0, "stop words only: no features");
	n = 0;
	embed_local_features("\xff\xfe\xc3", counter, &n); /* invalid UTF-8 */
	embed_local_features("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			     counter, &n);
}

Test(embed, local_query_weights_rare_features)
{
	static float q1[DIM], q2[DIM];
	embed_local_query("sofa warranty", NULL, NULL, q1, DIM);
	embed_local_doc("sofa warranty", q2, DIM);
	cr_assert_eq(memcmp(q1, q2, sizeof(q1)), 0, "no idf: the document vector");
}

Test(embed, provider_config_is_checked)
{
	char err[256];
	struct embed_conf c = { .provider = "nope" };
	cr_assert_null(embed_new(&c, err, sizeof(err)));
	cr_assert(strstr(err, "nope"), "%s", err);
	c.provider = "openai";
	cr_assert_null(embed_new(&c, err, sizeof(err)), "openai needs a URL and model");
	c.provider = "local";
	c.dim = 8;
	cr_assert_null(embed_new(&c, err, sizeof(err)));
	c.dim = 0;
	struct embedder *e = embed_new(&c, err, sizeof(err));
	cr_assert_not_null(e);
	cr_assert_str_eq(embed_model_id(e), "local-h768-v1");
	cr_assert(embed_is_local(e));
	embed_free(e);
}

Test(embed, openai_request_and_answers)
{
	const char *in[] = { "hello", "world" };
	char *req = embed_openai_request("text-embedding-3-small", in, 2, 0);
	json_t *j = json_loads(req, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(j, "encoding_format")), "float");
	cr_assert_str_eq(json_string_value(json_object_get(j, "model")), "text-embedding-3-small");
	cr_assert_eq(json_array_size(json_object_get(j, "input")), 2);
	json_decref(j);
	free(req);
	/* Out of order by index, as the API allows. */
	const char *ok = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":1,\"embedding\":[0,2]},"
			 "{\"object\":\"embedding\",\"index\":0,\"embedding\":[3,4]}],\"model\":\"m\","
			 "\"usage\":{\"prompt_tokens\":2,\"total_tokens\":2}}";
	float *v = NULL;
	int dim = 0;
	char err[256];
	cr_assert_eq(embed_openai_parse(ok, strlen(ok), 2, &v, &dim, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dim, 2);
	cr_assert_float_eq(v[0], 0.6f, 1e-6);
	cr_assert_float_eq(v[1], 0.8f, 1e-6);
	cr_assert_float_eq(v[3], 1.0f, 1e-6);
	free(v);
	const char *bad[] = { "not json", "{\"data\":[{\"index\":0,\"embedding\":[1,\"x\"]}]}",
			      "{\"error\":{\"message\":\"invalid api key\"}}",
			      "{\"data\":[{\"index\":0,\"embedding\":[1,2]},{\"index\":1,\"embedding\":[1]}]}" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		cr_assert_eq(embed_openai_parse(bad[i], strlen(bad[i]), 2, &v, &dim, err, sizeof(err)), -2, "%s",
			     bad[i]);
		cr_assert_null(v);
	}
	cr_assert_eq(embed_openai_parse(bad[2], strlen(bad[2]), 2, &v, &dim, err, sizeof(err)), -2);
	cr_assert(strstr(err, "invalid api key"), "%s", err);
}

Test(embed, titan_wire_format)
{
	char *req = embed_titan_request("hello", 256);
	json_t *j = json_loads(req, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(j, "inputText")), "hello");
	cr_assert_eq(json_integer_value(json_object_get(j, "dimensions")), 256);
	cr_assert(json_is_true(json_object_get(j, "normalize")));
	json_decref(j);
	free(req);
	const char *ok = "{\"embedding\":[0.0,1.0],\"inputTextTokenCount\":1}";
	float *v = NULL;
	int dim = 0;
	char err[256];
	cr_assert_eq(embed_titan_parse(ok, strlen(ok), &v, &dim, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dim, 2);
	free(v);
	const char *bad = "{\"message\":\"The security token included in the request is invalid.\"}";
	cr_assert_eq(embed_titan_parse(bad, strlen(bad), &v, &dim, err, sizeof(err)), -2);
	cr_assert(strstr(err, "security token"), "%s", err);
}

/* --- a local server speaking the OpenAI embeddings wire format ------------ */

struct srv {
	char auth[512], body[4096], url[256], date[32];
	size_t body_len;
	int garbage;
};

static enum MHD_Result on_req(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct srv *s = cls;
	(void)version;
	if (!*state) {
		*state = s;
		s->body_len = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size < sizeof(s->body) - 1 - s->body_len ? *upload_size : 0;
		memcpy(s->body + s->body_len, upload, n);
		s->body_len += n;
		s->body[s->body_len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	snprintf(s->auth, sizeof(s->auth), "%s", a ? a : "");
	const char *dt = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Date");
	snprintf(s->date, sizeof(s->date), "%s", dt ? dt : "");
	snprintf(s->url, sizeof(s->url), "%s", url);
	static char out[16384];
	int status = 200;
	if (!strncmp(url, "/model/", 7)) {
		/* Bedrock InvokeModel, Titan V2's answer. */
		json_t *req = json_loads(s->body, 0, NULL);
		json_int_t d = json_integer_value(json_object_get(req, "dimensions"));
		json_t *emb = json_array();
		for (json_int_t i = 0; i < d; i++)
			json_array_append_new(emb, json_real(i == 0 ? 1.0 : 0.0));
		json_t *resp = json_pack("{s:o, s:i}", "embedding", emb, "inputTextTokenCount", 2);
		char *txt = json_dumps(resp, JSON_COMPACT);
		snprintf(out, sizeof(out), "%s", txt);
		free(txt);
		json_decref(resp);
		json_decref(req);
	} else if (strcmp(method, "POST") || strcmp(url, "/v1/embeddings")) {
		status = 404;
		snprintf(out, sizeof(out), "{\"error\":{\"message\":\"no route\"}}");
	} else if (s->garbage) {
		snprintf(out, sizeof(out), "<html>bad gateway</html>");
	} else {
		json_t *req = json_loads(s->body, 0, NULL);
		size_t n = json_array_size(json_object_get(req, "input"));
		json_t *data = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(data, json_pack("{s:s, s:I, s:[f, f, f]}", "object", "embedding", "index",
							      (json_int_t)i, "embedding", (double)i + 1, 0.5, -0.25));
		json_t *resp = json_pack("{s:s, s:o, s:s, s:{s:i, s:i}}", "object", "list", "data", data, "model",
					 "test-embed", "usage", "prompt_tokens", 3, "total_tokens", 3);
		char *txt = json_dumps(resp, JSON_COMPACT);
		snprintf(out, sizeof(out), "%s", txt);
		free(txt);
		json_decref(resp);
		json_decref(req);
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(out), out, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return rc;
}

Test(embed, openai_provider_against_a_local_server)
{
	struct srv s = { 0 };
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_req, &s,
						MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
	cr_assert_not_null(d);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	char url[64], err[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1", (unsigned)info->port);
	struct embed_conf c = { .provider = "openai", .url = url, .model = "test-embed", .api_key = "sk-test",
				.timeout_ms = 5000 };
	struct embedder *e = embed_new(&c, err, sizeof(err));
	cr_assert_not_null(e, "%s", err);
	const char *in[] = { "first", "second" };
	float *v = NULL;
	int dim = 0;
	cr_assert_eq(embed_texts(e, in, 2, &v, &dim, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dim, 3);
	cr_assert_str_eq(s.auth, "Bearer sk-test");
	json_t *req = json_loads(s.body, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(req, "encoding_format")), "float");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(req, "input"), 1)), "second");
	json_decref(req);
	/* Rows are normalised: the second was (2, 0.5, -0.25). */
	double n2 = sqrt(4 + 0.25 + 0.0625);
	cr_assert_float_eq(v[3], 2 / n2, 1e-5);
	free(v);
	s.garbage = 1;
	cr_assert_eq(embed_texts(e, in, 2, &v, &dim, err, sizeof(err)), -2);
	cr_assert(strstr(err, "not JSON"), "%s", err);
	embed_free(e);
	MHD_stop_daemon(d);
	/* Nobody listening: unreachable. */
	e = embed_new(&c, err, sizeof(err));
	cr_assert_eq(embed_texts(e, in, 1, &v, &dim, err, sizeof(err)), -1);
	embed_free(e);
}

Test(embed, titan_provider_signs_and_parses)
{
	struct srv s = { 0 };
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_req, &s,
						MHD_OPTION_END);
	cr_assert_not_null(d);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	char url[64], err[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)info->port);
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
	unsetenv("AWS_SESSION_TOKEN");
	struct embed_conf c = { .provider = "bedrock", .dim = 256, .url = url, .region = "us-east-1",
				.timeout_ms = 5000 };
	struct embedder *e = embed_new(&c, err, sizeof(err));
	cr_assert_not_null(e, "%s", err);
	cr_assert_str_eq(embed_model_id(e), "bedrock:amazon.titan-embed-text-v2:0:256");
	const char *in[] = { "sofa warranty" };
	float *v = NULL;
	int dim = 0;
	cr_assert_eq(embed_texts(e, in, 1, &v, &dim, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dim, 256);
	cr_assert_float_eq(v[0], 1.0f, 1e-6);
	free(v);
	cr_assert_str_eq(s.url, "/model/amazon.titan-embed-text-v2:0/invoke");
	cr_assert(!strncmp(s.auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 40), "%s", s.auth);
	cr_assert(strstr(s.auth, "/us-east-1/bedrock/aws4_request"), "%s", s.auth);
	cr_assert(strstr(s.auth, "Signature="), "%s", s.auth);
	cr_assert_eq(strlen(s.date), 16, "X-Amz-Date %s", s.date);
	json_t *req = json_loads(s.body, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(req, "inputText")), "sofa warranty");
	json_decref(req);
	c.dim = 300;
	cr_assert_null(embed_new(&c, err, sizeof(err)), "Titan V2 has 256, 512 or 1024 dimensions");
	embed_free(e);
	MHD_stop_daemon(d);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
}
