/* sigv4: AWS Signature Version 4 (canonical request, string to sign, signing
 * key chain, Authorization header) with OpenSSL's SHA-256 and HMAC. */
#include "sigv4.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

/* A bounded output buffer: appends stop at the limit and set overflow. */
struct sbuf {
	char *p;
	size_t len, cap;
	int overflow;
};

static void sb_init(struct sbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->len = 0;
	b->cap = cap;
	b->overflow = cap == 0;
	if (cap)
		p[0] = '\0';
}

static void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	if (b->overflow)
		return;
	if (b->len + n + 1 > b->cap) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void sb_putc(struct sbuf *b, char c)
{
	sb_putn(b, &c, 1);
}

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Percent-encode n bytes the AWS way (upper-case hex); '/' kept when
 * keep_slash. */
static void sb_encode(struct sbuf *b, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (is_unreserved(c) || (keep_slash && c == '/')) {
			sb_putc(b, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			sb_putn(b, e, 3);
		}
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode n bytes into out (at most n bytes; '+' stays '+', as AWS
 * reads it); a '%' not followed by two hex digits stays literal. Returns
 * the decoded length. */
static size_t pct_decode(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			out[o++] = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

int sigv4_encode_path(const char *raw, char *out, size_t outlen)
{
	struct sbuf b;
	sb_init(&b, out, outlen);
	sb_encode(&b, raw, strlen(raw), 1);
	return b.overflow ? -1 : (int)b.len;
}

void sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
}

static int valid_amz_date(const char *d)
{
	if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
		return 0;
	for (int i = 0; i < 15; i++)
		if (i != 8 && !isdigit((unsigned char)d[i]))
			return 0;
	return 1;
}

static int is_s3(const struct sigv4_request *req)
{
	return strcmp(req->service, "s3") == 0;
}

/* Remove "." and ".." segments and empty segments (RFC 3986 section 5.2.4
 * plus the collapse of repeated slashes that the test suite's normalize-path
 * cases expect); a trailing slash is kept. */
static void normalize_path(const char *in, char *out, size_t outlen, int *overflow)
{
	/* One start per segment: a segment and its '/' take two bytes, and the
	 * path (encoded, at most SIGV4_MAX_FIELD) is held to that length. */
	size_t starts[SIGV4_MAX_FIELD / 2 + 1];
	size_t nseg = 0, len = 0;
	size_t n = strlen(in);
	int trailing = n > 1 && in[n - 1] == '/';

	*overflow = 0;
	if (outlen < 2) {
		*overflow = 1;
		return;
	}
	out[len++] = '/';
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchr(p, '/');
		size_t sl = e ? (size_t)(e - p) : strlen(p);
		if (sl == 0)
			break;
		if (sl == 1 && p[0] == '.') {
			if (!e)
				trailing = 1; /* "/a/." is "/a/" */
		} else if (sl == 2 && p[0] == '.' && p[1] == '.') {
			if (nseg > 0)
				len = starts[--nseg];
			if (!e)
				trailing = 1; /* "/a/b/.." is "/a/" */
		} else {
			if (nseg >= ARRAY_LEN(starts) || len + sl + 2 > outlen) {
				*overflow = 1;
				return;
			}
			starts[nseg++] = len;
			if (len > 1)
				out[len++] = '/';
			memcpy(out + len, p, sl);
			len += sl;
		}
		p += sl;
	}
	/* starts[] holds the length before each segment's separator: a popped
	 * segment leaves "/" for the root or the parent path. */
	if (trailing && len > 1) {
		if (len + 2 > outlen) {
			*overflow = 1;
			return;
		}
		out[len++] = '/';
	}
	out[len] = '\0';
}

static void canonical_uri(const struct sigv4_request *req, struct sbuf *b, int *err)
{
	char wire[SIGV4_MAX_FIELD];
	const char *src = req->path && req->path[0] ? req->path : "/";

	*err = 0;
	if (!req->path_is_wire) {
		if (sigv4_encode_path(src, wire, sizeof(wire)) < 0) {
			*err = 1;
			return;
		}
		src = wire;
	}
	if (is_s3(req)) {
		sb_puts(b, src);
		return;
	}
	char norm[SIGV4_MAX_FIELD];
	int overflow;
	normalize_path(src, norm, sizeof(norm), &overflow);
	if (overflow) {
		*err = 1;
		return;
	}
	sb_encode(b, norm, strlen(norm), 1);
}

struct qparam {
	char *name; /* encoded */
	char *value;
};

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

static char *encode_dup(const char *s, size_t n)
{
	char *dec = xmalloc(n + 1);
	size_t dl = pct_decode(s, n, dec);
	char *enc = xmalloc(dl * 3 + 1);
	struct sbuf b;
	sb_init(&b, enc, dl * 3 + 1);
	sb_encode(&b, dec, dl, 0);
	free(dec);
	return enc;
}

static int canonical_query(const char *q, struct sbuf *b)
{
	if (!q || !*q)
		return 0;
	size_t qlen = strlen(q);
	if (qlen > SIGV4_MAX_FIELD)
		return -1;
	size_t cap = 1;
	for (const char *p = q; *p; p++)
		cap += *p == '&';
	struct qparam *v = xcalloc(cap, sizeof(*v));
	size_t n = 0;
	const char *p = q;
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t pl = amp ? (size_t)(amp - p) : strlen(p);
		if (pl > 0) {
			const char *eq = memchr(p, '=', pl);
			size_t nl = eq ? (size_t)(eq - p) : pl;
			v[n].name = encode_dup(p, nl);
			v[n].value = eq ? encode_dup(eq + 1, pl - nl - 1) : xstrdup("");
			n++;
		}
		p += pl;
		if (*p == '&')
			p++;
	}
	qsort(v, n, sizeof(*v), qparam_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_putc(b, '&');
		sb_puts(b, v[i].name);
		sb_putc(b, '=');
		sb_puts(b, v[i].value);
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
	return 0;
}

struct hdr {
	char name[128];
	char *value; /* trimmed, runs of white space collapsed */
	size_t order;
};

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static char *trimall(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	int space = 0;
	size_t i = 0;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	for (; i < n; i++) {
		if (isspace((unsigned char)s[i])) {
			space = 1;
			continue;
		}
		if (space && o > 0)
			out[o++] = ' ';
		space = 0;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

static int hdr_add(struct hdr *h, size_t *n, const char *name, size_t nl, const char *val,
		   size_t vl, char errstr[256])
{
	if (*n >= SIGV4_MAX_HEADERS) {
		snprintf(errstr, 256, "sigv4: more than %d signed headers", SIGV4_MAX_HEADERS);
		return -1;
	}
	while (nl > 0 && isspace((unsigned char)name[nl - 1]))
		nl--;
	if (nl == 0 || nl >= sizeof(h->name)) {
		snprintf(errstr, 256, "sigv4: header name of %zu bytes", nl);
		return -1;
	}
	for (size_t i = 0; i < nl; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c >= 127 || c == ':') {
			snprintf(errstr, 256, "sigv4: invalid character in header name \"%.*s\"", (int)nl,
				 name);
			return -1;
		}
		h[*n].name[i] = (char)tolower(c);
	}
	h[*n].name[nl] = '\0';
	h[*n].value = trimall(val, vl);
	h[*n].order = *n;
	(*n)++;
	return 0;
}

static void hdrs_free(struct hdr *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(h[i].value);
}

/* Collect the headers to sign, sorted by name. */
static int collect_headers(const struct sigv4_request *req, struct hdr *h, size_t *n,
			   char errstr[256])
{
	char payload[65];

	*n = 0;
	if (hdr_add(h, n, "host", 4, req->host, strlen(req->host), errstr) < 0 ||
	    hdr_add(h, n, "x-amz-date", 10, req->amz_date, strlen(req->amz_date), errstr) < 0)
		return -1;
	if (req->session_token && *req->session_token &&
	    hdr_add(h, n, "x-amz-security-token", 20, req->session_token, strlen(req->session_token),
		    errstr) < 0)
		return -1;
	if (is_s3(req)) {
		sigv4_sha256_hex(req->body ? req->body : "", req->body ? req->body_len : 0, payload);
		if (hdr_add(h, n, "x-amz-content-sha256", 20, payload, 64, errstr) < 0)
			return -1;
	}
	for (size_t i = 0; req->extra_headers && req->extra_headers[i]; i++) {
		const char *line = req->extra_headers[i];
		const char *colon = strchr(line, ':');
		if (!colon) {
			snprintf(errstr, 256, "sigv4: extra header \"%.40s\" has no ':'", line);
			return -1;
		}
		if (hdr_add(h, n, line, (size_t)(colon - line), colon + 1, strlen(colon + 1), errstr) < 0)
			return -1;
	}
	qsort(h, *n, sizeof(*h), hdr_cmp);
	return 0;
}

static int check_request(const struct sigv4_request *req, char errstr[256])
{
	if (!req->region || !*req->region || !req->service || !*req->service || !req->method ||
	    !*req->method || !req->host || !*req->host) {
		snprintf(errstr, 256, "sigv4: region, service, method and host are required");
		return -1;
	}
	if (!valid_amz_date(req->amz_date)) {
		snprintf(errstr, 256, "sigv4: amz_date \"%.20s\" is not YYYYMMDDTHHMMSSZ",
			 req->amz_date ? req->amz_date : "(null)");
		return -1;
	}
	if (req->path && strlen(req->path) >= SIGV4_MAX_FIELD / 3) {
		snprintf(errstr, 256, "sigv4: path longer than %d bytes", SIGV4_MAX_FIELD / 3);
		return -1;
	}
	return 0;
}

int sigv4_canonical_request(const struct sigv4_request *req, char *out, size_t outlen,
			    char *signed_headers, size_t shlen, char errstr[256])
{
	struct hdr h[SIGV4_MAX_HEADERS];
	size_t nh = 0;
	struct sbuf b, sh;
	char payload[65];
	int err, rc = -1;

	if (check_request(req, errstr) < 0)
		return -1;
	if (collect_headers(req, h, &nh, errstr) < 0)
		goto out;

	sb_init(&b, out, outlen);
	sb_puts(&b, req->method);
	sb_putc(&b, '\n');
	canonical_uri(req, &b, &err);
	if (err) {
		snprintf(errstr, 256, "sigv4: path too long");
		goto out;
	}
	sb_putc(&b, '\n');
	if (canonical_query(req->query, &b) < 0) {
		snprintf(errstr, 256, "sigv4: query longer than %d bytes", SIGV4_MAX_FIELD);
		goto out;
	}
	sb_putc(&b, '\n');

	/* Canonical headers: a repeated name gets its values joined by ','. */
	char shbuf[SIGV4_MAX_HEADERS * 130];
	sb_init(&sh, shbuf, sizeof(shbuf));
	for (size_t i = 0; i < nh; i++) {
		if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0) {
			sb_putc(&b, ',');
			sb_puts(&b, h[i].value);
			continue;
		}
		if (i > 0) {
			sb_putc(&b, '\n');
			sb_putc(&sh, ';');
		}
		sb_puts(&b, h[i].name);
		sb_putc(&b, ':');
		sb_puts(&b, h[i].value);
		sb_puts(&sh, h[i].name);
	}
	sb_puts(&b, "\n\n");
	sb_puts(&b, shbuf);
	sb_putc(&b, '\n');
	sigv4_sha256_hex(req->body ? req->body : "", req->body ? req->body_len : 0, payload);
	sb_puts(&b, payload);
	if (b.overflow) {
		snprintf(errstr, 256, "sigv4: canonical request longer than %zu bytes", outlen);
		goto out;
	}
	if (signed_headers && util_strlcpy(signed_headers, shbuf, shlen) >= shlen) {
		snprintf(errstr, 256, "sigv4: signed headers longer than %zu bytes", shlen);
		goto out;
	}
	rc = (int)b.len;
out:
	hdrs_free(h, nh);
	return rc;
}

int sigv4_string_to_sign(const struct sigv4_request *req, const char *canonical_request,
			 char *out, size_t outlen, char errstr[256])
{
	char hash[65];
	if (check_request(req, errstr) < 0)
		return -1;
	sigv4_sha256_hex(canonical_request, strlen(canonical_request), hash);
	int n = snprintf(out, outlen, ALGORITHM "\n%s\n%.8s/%s/%s/aws4_request\n%s", req->amz_date,
			 req->amz_date, req->region, req->service, hash);
	if (n < 0 || (size_t)n >= outlen) {
		snprintf(errstr, 256, "sigv4: string to sign longer than %zu bytes", outlen);
		return -1;
	}
	return n;
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int olen = 32;
	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &olen);
}

int sigv4_signature(const char *secret_key, const struct sigv4_request *req,
		    const char *string_to_sign, char sig_hex[65], char errstr[256])
{
	unsigned char k[32], sig[32];
	char date[9];

	if (check_request(req, errstr) < 0)
		return -1;
	if (!secret_key || !*secret_key) {
		snprintf(errstr, 256, "sigv4: no secret key");
		return -1;
	}
	size_t sl = strlen(secret_key);
	char *k0 = xmalloc(sl + 5);
	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, secret_key, sl + 1);
	memcpy(date, req->amz_date, 8);
	date[8] = '\0';
	hmac(k0, sl + 4, date, k);
	OPENSSL_cleanse(k0, sl + 4);
	free(k0);
	hmac(k, 32, req->region, k);
	hmac(k, 32, req->service, k);
	hmac(k, 32, "aws4_request", k);
	hmac(k, 32, string_to_sign, sig);
	OPENSSL_cleanse(k, sizeof(k));
	for (int i = 0; i < 32; i++)
		snprintf(sig_hex + 2 * i, 3, "%02x", sig[i]);
	sig_hex[64] = '\0';
	return 0;
}

int sigv4_authorization(const struct sigv4_creds *creds, const struct sigv4_request *req,
			char *out, size_t outlen, char errstr[256])
{
	char *creq = xmalloc(4 * SIGV4_MAX_FIELD);
	char sh[SIGV4_MAX_HEADERS * 130];
	char sts[512], sig[65];
	int rc = -1;

	if (!creds || !creds->access_key || !*creds->access_key) {
		snprintf(errstr, 256, "sigv4: no access key");
		goto out;
	}
	if (sigv4_canonical_request(req, creq, 4 * SIGV4_MAX_FIELD, sh, sizeof(sh), errstr) < 0 ||
	    sigv4_string_to_sign(req, creq, sts, sizeof(sts), errstr) < 0 ||
	    sigv4_signature(creds->secret_key, req, sts, sig, errstr) < 0)
		goto out;
	if (util_snprintf(out, outlen,
			  ALGORITHM " Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
			  creds->access_key, req->amz_date, req->region, req->service, sh, sig) < 0) {
		snprintf(errstr, 256, "sigv4: Authorization longer than %zu bytes", outlen);
		goto out;
	}
	rc = 0;
out:
	free(creq);
	return rc;
}

static int append(struct curl_slist **headers, const char *line, char errstr[256])
{
	struct curl_slist *l = curl_slist_append(*headers, line);
	if (!l) {
		snprintf(errstr, 256, "sigv4: curl_slist_append failed");
		return -1;
	}
	*headers = l;
	return 0;
}

int sigv4_sign_request(const struct sigv4_creds *creds, const struct sigv4_request *req,
		       struct curl_slist **headers, char errstr[256])
{
	char auth[1024], line[SIGV4_MAX_FIELD];
	struct sigv4_request r = *req;

	if (creds && creds->session_token && *creds->session_token)
		r.session_token = creds->session_token;
	if (sigv4_authorization(creds, &r, auth, sizeof(auth), errstr) < 0)
		return -1;
	snprintf(line, sizeof(line), "Authorization: %s", auth);
	if (append(headers, line, errstr) < 0)
		return -1;
	snprintf(line, sizeof(line), "X-Amz-Date: %s", r.amz_date);
	if (append(headers, line, errstr) < 0)
		return -1;
	if (r.session_token && *r.session_token) {
		if (util_snprintf(line, sizeof(line), "X-Amz-Security-Token: %s", r.session_token) < 0) {
			snprintf(errstr, 256, "sigv4: session token too long");
			return -1;
		}
		if (append(headers, line, errstr) < 0)
			return -1;
	}
	if (is_s3(&r)) {
		char payload[65];
		sigv4_sha256_hex(r.body ? r.body : "", r.body ? r.body_len : 0, payload);
		snprintf(line, sizeof(line), "X-Amz-Content-Sha256: %s", payload);
		if (append(headers, line, errstr) < 0)
			return -1;
	}
	return 0;
}

int sigv4_sign(const struct sigv4_creds *creds, const char *region, const char *service,
	       const char *method, const char *host, const char *path, const char *query,
	       const void *body, size_t body_len, const char *amz_date, struct curl_slist **headers,
	       char errstr[256])
{
	struct sigv4_request req = {
		.region = region,
		.service = service,
		.method = method,
		.host = host,
		.path = path,
		.query = query,
		.body = body,
		.body_len = body_len,
		.amz_date = amz_date,
	};
	return sigv4_sign_request(creds, &req, headers, errstr);
}
