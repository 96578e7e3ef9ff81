/* SigV4 canonicalisation (common/sigv4.c) with a fuzzed path, query, extra
 * header and body (the input is flags, then path \0 query \0 header \0
 * body). Within the length limits and without an extra header the
 * canonical request is always built; whatever is built has a canonical URI
 * (but an S3 path given as sent) and query of unreserved characters and
 * upper-case %XX escapes only, ends
 * in the body's SHA-256, signs host and x-amz-date, is the same when built
 * again and yields an Authorization header. sigv4_encode_path output
 * decodes back to its input. */
#include <ctype.h>

#include "fuzz.h"
#include "common/sigv4.h"

static int unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* The characters of s[0..n) are unreserved, extra or %XX upper-case. */
static int encoded(const char *s, size_t n, const char *extra)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return 0;
			for (int k = 1; k <= 2; k++)
				if (!(isdigit((unsigned char)s[i + k]) || (s[i + k] >= 'A' && s[i + k] <= 'F')))
					return 0;
			i += 2;
		} else if (!unreserved(c) && !strchr(extra, c)) {
			return 0;
		}
	}
	return 1;
}

static const char *field(const char **p, const char *end)
{
	const char *f = *p;
	*p = *p + strlen(*p);
	if (*p < end)
		(*p)++;
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned flags = data[0];
	char *in = fuzz_cstr(data + 1, size - 1);
	const char *p = in, *end = in + size - 1;
	const char *path = field(&p, end), *query = field(&p, end), *hdr = field(&p, end);
	const char *body = p;
	size_t blen = (size_t)(end - p);
	const char *extra[] = { hdr, NULL };

	struct sigv4_request req = {
		.region = "ap-southeast-1",
		.service = flags & 1 ? "s3" : "bedrock",
		.method = flags & 2 ? "GET" : "POST",
		.host = "bedrock-runtime.ap-southeast-1.amazonaws.com",
		.path = path,
		.query = query,
		.extra_headers = *hdr ? extra : NULL,
		.body = body,
		.body_len = blen,
		.amz_date = "20261122T081500Z",
		.session_token = flags & 4 ? "FQoGZXIvYXdzEBYaDtoken" : NULL,
		.path_is_wire = (flags & 8) != 0,
	};
	static char out[1 << 17], again[1 << 17];
	char sh[4096], err[256] = "";
	int rc = sigv4_canonical_request(&req, out, sizeof(out), sh, sizeof(sh), err);
	if (!*hdr && strlen(path) < SIGV4_MAX_FIELD / 3 && strlen(query) <= SIGV4_MAX_FIELD)
		FUZZ_CHECK(rc > 0);
	if (rc < 0) {
		FUZZ_CHECK(err[0] != '\0');
	} else {
		FUZZ_CHECK((size_t)rc == strlen(out));
		size_t ml = strlen(req.method);
		FUZZ_CHECK(!strncmp(out, req.method, ml) && out[ml] == '\n');
		/* (An S3 wire path is signed as it is sent, newlines and all.) */
		if (!(req.path_is_wire && (flags & 1))) {
			const char *uri = out + ml + 1, *nl1 = strchr(uri, '\n');
			FUZZ_CHECK(nl1 && (uri[0] == '/' || (path[0] && path[0] != '/')));
			FUZZ_CHECK(encoded(uri, (size_t)(nl1 - uri), "/"));
			const char *q = nl1 + 1, *nl2 = strchr(q, '\n');
			FUZZ_CHECK(nl2 && encoded(q, (size_t)(nl2 - q), "=&"));
		}
		char hash[65];
		sigv4_sha256_hex(body, blen, hash);
		FUZZ_CHECK(rc > 64 && !strcmp(out + rc - 64, hash) && out[rc - 65] == '\n');
		FUZZ_CHECK(strstr(sh, "host") && strstr(sh, "x-amz-date"));
		FUZZ_CHECK(sigv4_canonical_request(&req, again, sizeof(again), NULL, 0, err) == rc);
		FUZZ_CHECK(!strcmp(out, again));
		struct sigv4_creds creds = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", req.session_token };
		char auth[8192];
		FUZZ_CHECK(sigv4_authorization(&creds, &req, auth, sizeof(auth), err) == 0);
		const char *sig = strstr(auth, "Signature=");
		FUZZ_CHECK(sig && strlen(sig + 10) == 64);
	}

	/* sigv4_encode_path: reversible. */
	static char enc[3 * 65536 + 1];
	int el = sigv4_encode_path(path, enc, sizeof(enc));
	FUZZ_CHECK(el >= 0 && (size_t)el == strlen(enc));
	FUZZ_CHECK(encoded(enc, (size_t)el, "/"));
	size_t o = 0;
	for (int i = 0; i < el; i++, o++) {
		char c = enc[i];
		if (c == '%') {
			unsigned v;
			FUZZ_CHECK(sscanf(enc + i + 1, "%2X", &v) == 1);
			c = (char)v;
			i += 2;
		}
		FUZZ_CHECK(path[o] == c);
	}
	FUZZ_CHECK(path[o] == '\0');
	free(in);
	return 0;
}
