/* sigv4: AWS's published Signature Version 4 test suite (aws-sig-v4-test-suite:
 * key AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service"), and the
 * double encoding of a Bedrock model id. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <string.h>

#include "sigv4.h"
#include "../testutil.h"

TestSuite(sigv4, .fini = tu_leak_check);

#define KEY "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define DATE "20150830T123600Z"
#define SCOPE "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const struct sigv4_creds CREDS = { KEY, SECRET, NULL };

/* A request of the suite: its request line's path is taken as written (the
 * suite's .req files hold the path as it goes on the wire). */
static struct sigv4_request suite_req(const char *method, const char *path, const char *query)
{
	struct sigv4_request r = {
		.region = "us-east-1",
		.service = "service",
		.method = method,
		.host = "example.amazonaws.com",
		.path = path,
		.query = query,
		.amz_date = DATE,
		.path_is_wire = 1,
	};
	return r;
}

static void expect_auth(const struct sigv4_request *r, const char *want)
{
	char auth[1024], err[256] = "";
	int rc = sigv4_authorization(&CREDS, r, auth, sizeof(auth), err);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_str_eq(auth, want);
}

Test(sigv4, get_vanilla_every_step)
{
	struct sigv4_request r = suite_req("GET", "/", NULL);
	char creq[1024], sts[512], sig[65], sh[128], err[256] = "";

	cr_assert_gt(sigv4_canonical_request(&r, creq, sizeof(creq), sh, sizeof(sh), err), 0, "%s", err);
	cr_assert_str_eq(creq, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
			       "host;x-amz-date\n" EMPTY_SHA);
	cr_assert_str_eq(sh, "host;x-amz-date");
	cr_assert_gt(sigv4_string_to_sign(&r, creq, sts, sizeof(sts), err), 0, "%s", err);
	cr_assert_str_eq(sts, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
			      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
	cr_assert_eq(sigv4_signature(SECRET, &r, sts, sig, err), 0, "%s", err);
	cr_assert_str_eq(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	expect_auth(&r, SCOPE "SignedHeaders=host;x-amz-date, "
			      "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

Test(sigv4, get_vanilla_query_order_key_case)
{
	struct sigv4_request r = suite_req("GET", "/", "Param2=value2&Param1=value1");
	char creq[1024], sts[512], err[256] = "";

	cr_assert_gt(sigv4_canonical_request(&r, creq, sizeof(creq), NULL, 0, err), 0, "%s", err);
	cr_assert_str_eq(creq, "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
			       "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY_SHA);
	cr_assert_gt(sigv4_string_to_sign(&r, creq, sts, sizeof(sts), err), 0, "%s", err);
	cr_assert(strstr(sts, "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"));
	expect_auth(&r, SCOPE "SignedHeaders=host;x-amz-date, "
			      "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

Test(sigv4, query_cases_of_the_suite)
{
	struct sigv4_request r = suite_req("GET", "/", "Param1=value1");
	expect_auth(&r, SCOPE "SignedHeaders=host;x-amz-date, "
			      "Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb");

	r = suite_req("GET", "/", "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
				  "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
	expect_auth(&r, SCOPE "SignedHeaders=host;x-amz-date, "
			      "Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197");

	r = suite_req("GET", "/", "\xe1\x88\xb4=bar");
	expect_auth(&r, SCOPE "SignedHeaders=host;x-amz-date, "
			      "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");

	/* The same query already percent-encoded signs the same. */
	r = suite_req("GET", "/", "%E1%88%B4=bar");
	expect_auth(&r, SCOPE "SignedHeaders=host;x-amz-date, "
			      "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");

	r = suite_req("POST", "/", "@#$%^&+=/,?><`\";:\\|][{}");
	expect_auth(&r, SCOPE "SignedHeaders=host;x-amz-date, "
			      "Signature=66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e");
}

Test(sigv4, post_vanilla_and_form_bodies)
{
	struct sigv4_request r = suite_req("POST", "/", NULL);
	expect_auth(&r, SCOPE "SignedHeaders=host;x-amz-date, "
			      "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");

	static const char *const form[] = { "Content-Type:application/x-www-form-urlencoded", NULL };
	r.extra_headers = form;
	r.body = "Param1=value1";
	r.body_len = 13;
	char creq[1024], err[256] = "";
	cr_assert_gt(sigv4_canonical_request(&r, creq, sizeof(creq), NULL, 0, err), 0, "%s", err);
	cr_assert_str_eq(creq, "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
			       "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
			       "content-type;host;x-amz-date\n"
			       "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
	expect_auth(&r, SCOPE "SignedHeaders=content-type;host;x-amz-date, "
			      "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");

	static const char *const form_params[] = {
		"Content-Type: application/x-www-form-urlencoded; charset=utf8", NULL
	};
	r.extra_headers = form_params;
	expect_auth(&r, SCOPE "SignedHeaders=content-type;host;x-amz-date, "
			      "Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe");
}

Test(sigv4, header_cases_of_the_suite)
{
	struct sigv4_request r = suite_req("GET", "/", NULL);
	static const char *const trim[] = { "My-Header1: value1", "My-Header2: \"a   b   c\"", NULL };
	r.extra_headers = trim;
	expect_auth(&r, SCOPE "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
			      "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");

	static const char *const dup[] = { "My-Header1:value2", "My-Header1:value2", "My-Header1:value1",
					   NULL };
	r.extra_headers = dup;
	expect_auth(&r, SCOPE "SignedHeaders=host;my-header1;x-amz-date, "
			      "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");

	r = suite_req("POST", "/", NULL);
	static const char *const upper[] = { "My-Header1:VALUE1", NULL };
	r.extra_headers = upper;
	expect_auth(&r, SCOPE "SignedHeaders=host;my-header1;x-amz-date, "
			      "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d");
}

Test(sigv4, session_token_is_signed)
{
	struct sigv4_request r = suite_req("POST", "/", NULL);
	r.session_token =
		"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf"
		"IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7W"
		"Z0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8"
		"FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
	expect_auth(&r, SCOPE "SignedHeaders=host;x-amz-date;x-amz-security-token, "
			      "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
}

Test(sigv4, paths_of_the_suite)
{
	struct sigv4_request r = suite_req("GET", "/\xe1\x88\xb4", NULL);
	expect_auth(&r, SCOPE "SignedHeaders=host;x-amz-date, "
			      "Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");

	r = suite_req("GET", "/example space/", NULL);
	expect_auth(&r, SCOPE "SignedHeaders=host;x-amz-date, "
			      "Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");

	r = suite_req("GET", "/example/$delete", NULL);
	expect_auth(&r, SCOPE "SignedHeaders=host;x-amz-date, "
			      "Signature=a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27");

	r = suite_req("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", NULL);
	expect_auth(&r, SCOPE "SignedHeaders=host;x-amz-date, "
			      "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
}

/* The suite's normalize-path cases: each canonical URI is "/" or "/example"
 * forms of the same resource. */
Test(sigv4, normalize_path_cases)
{
	static const struct {
		const char *path, *uri;
	} cases[] = {
		{ "/example/..", "/" },
		{ "/example1/example2/../..", "/" },
		{ "//", "/" },
		{ "/./", "/" },
		{ "/./example", "/example" },
		{ "//example//", "/example/" },
		{ "/a/b/../c", "/a/c" },
		{ "", "/" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct sigv4_request r = suite_req("GET", cases[i].path, NULL);
		char creq[1024], err[256] = "", want[64];
		cr_assert_gt(sigv4_canonical_request(&r, creq, sizeof(creq), NULL, 0, err), 0, "%s", err);
		snprintf(want, sizeof(want), "GET\n%s\n\n", cases[i].uri);
		cr_assert(strncmp(creq, want, strlen(want)) == 0, "%s -> %s", cases[i].path, creq);
	}
}

/* A path of many short segments (each "a/" two bytes) is as good as a
 * long one: under the length limit it is always signed. */
Test(sigv4, many_segments_are_signed)
{
	static char path[2 * 1300 + 2];
	size_t n = 0;
	for (int i = 0; i < 1300; i++) {
		path[n++] = '/';
		path[n++] = i % 3 ? 'a' : '.';
	}
	path[n] = '\0';
	for (int wire = 0; wire <= 1; wire++) {
		struct sigv4_request r = suite_req("GET", path, NULL);
		r.path_is_wire = wire;
		static char creq[16384];
		char err[256] = "";
		cr_assert_gt(sigv4_canonical_request(&r, creq, sizeof(creq), NULL, 0, err), 0, "%s", err);
		cr_assert(!strncmp(creq, "GET\n/a/a/a/", 11), "%.40s", creq);
	}
}

/* Bedrock: the model id's ':' is %3A on the wire and %253A in the canonical
 * URI. The expected values were computed independently with botocore 1.43
 * (SigV4Auth, service "bedrock", the same credentials and time). */
Test(sigv4, bedrock_model_id_is_encoded_twice)
{
	const char *raw = "/model/anthropic.claude-3-haiku-20240307-v1:0/converse-stream";
	char wire[256], creq[1024], sts[512], err[256] = "";

	cr_assert_gt(sigv4_encode_path(raw, wire, sizeof(wire)), 0);
	cr_assert_str_eq(wire, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream");

	struct sigv4_request r = {
		.region = "us-east-1",
		.service = "bedrock",
		.method = "POST",
		.host = "bedrock-runtime.us-east-1.amazonaws.com",
		.path = raw,
		.body = "{\"messages\":[]}",
		.body_len = 15,
		.amz_date = DATE,
	};
	cr_assert_gt(sigv4_canonical_request(&r, creq, sizeof(creq), NULL, 0, err), 0, "%s", err);
	cr_assert_str_eq(creq, "POST\n/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse-stream\n\n"
			       "host:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
			       "host;x-amz-date\n"
			       "5e4ce7b36ba37b78a5d5f9fd08e6b7b54ba6879d651aa46ec9e1d6fa24ebe30a");
	cr_assert_gt(sigv4_string_to_sign(&r, creq, sts, sizeof(sts), err), 0, "%s", err);
	cr_assert(strstr(sts, "a05de6534e3ecfca7adc890d3c918be429e6b59fb2bfecf685a99f0e2be7e763"));

	struct curl_slist *h = NULL;
	cr_assert_eq(sigv4_sign(&CREDS, "us-east-1", "bedrock", "POST",
				"bedrock-runtime.us-east-1.amazonaws.com", raw, NULL, "{\"messages\":[]}", 15,
				DATE, &h, err),
		     0, "%s", err);
	cr_assert_str_eq(h->data, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
				  "bedrock/aws4_request, SignedHeaders=host;x-amz-date, "
				  "Signature=36b77160bb0e0d5fa391cdf5a44abd7e00d074e63e5ae6024029dcc3ea6ba87c");
	cr_assert_str_eq(h->next->data, "X-Amz-Date: 20150830T123600Z");
	cr_assert_null(h->next->next, "no token, no content hash header for bedrock");
	curl_slist_free_all(h);

	/* With a session token: signed and sent. */
	struct sigv4_creds tok = { KEY, SECRET, "session-token-example" };
	h = NULL;
	cr_assert_eq(sigv4_sign(&tok, "us-east-1", "bedrock", "POST",
				"bedrock-runtime.us-east-1.amazonaws.com", raw, "", "{\"messages\":[]}", 15,
				DATE, &h, err),
		     0, "%s", err);
	cr_assert(strstr(h->data, "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature="
				  "4aaa0f84fc2109524b33bde1dfe535612ab183106ed5761c09168df5d6f0ff20"),
		  "%s", h->data);
	cr_assert_str_eq(h->next->next->data, "X-Amz-Security-Token: session-token-example");
	curl_slist_free_all(h);
}

Test(sigv4, s3_sends_the_payload_hash_and_keeps_the_path)
{
	struct curl_slist *h = NULL;
	char err[256] = "";
	cr_assert_eq(sigv4_sign(&CREDS, "us-east-1", "s3", "GET", "bucket.s3.amazonaws.com", "/a b//c",
				NULL, NULL, 0, DATE, &h, err),
		     0, "%s", err);
	cr_assert(strstr(h->data, "SignedHeaders=host;x-amz-content-sha256;x-amz-date"), "%s", h->data);
	cr_assert_str_eq(h->next->next->data, "X-Amz-Content-Sha256: " EMPTY_SHA);
	curl_slist_free_all(h);

	struct sigv4_request r = {
		.region = "us-east-1", .service = "s3", .method = "GET", .host = "b",
		.path = "/a b//c", .amz_date = DATE,
	};
	char creq[1024];
	cr_assert_gt(sigv4_canonical_request(&r, creq, sizeof(creq), NULL, 0, err), 0, "%s", err);
	cr_assert(strncmp(creq, "GET\n/a%20b//c\n", 14) == 0, "s3 encodes once, no normalising: %s", creq);
}

Test(sigv4, bad_input_is_an_error)
{
	struct curl_slist *h = NULL;
	char err[256] = "";
	cr_assert_lt(sigv4_sign(&CREDS, "us-east-1", "bedrock", "POST", "h", "/", NULL, NULL, 0,
				"2015-08-30T12:36:00Z", &h, err),
		     0);
	cr_assert(strstr(err, "amz_date"), "%s", err);
	cr_assert_null(h);

	struct sigv4_creds nokey = { "", SECRET, NULL };
	cr_assert_lt(sigv4_sign(&nokey, "us-east-1", "bedrock", "POST", "h", "/", NULL, NULL, 0, DATE, &h,
				err),
		     0);
	cr_assert_null(h);

	struct sigv4_request r = suite_req("GET", "/", NULL);
	static const char *const bad[] = { "No colon here", NULL };
	r.extra_headers = bad;
	char auth[512];
	cr_assert_lt(sigv4_authorization(&CREDS, &r, auth, sizeof(auth), err), 0);
	cr_assert(strstr(err, "no ':'"), "%s", err);

	/* A canonical request that does not fit is an error, not a truncation. */
	r = suite_req("GET", "/", NULL);
	char tiny[32];
	cr_assert_lt(sigv4_canonical_request(&r, tiny, sizeof(tiny), NULL, 0, err), 0);
}
