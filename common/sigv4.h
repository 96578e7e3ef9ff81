/* sigv4: AWS Signature Version 4 for request headers (HMAC-SHA256), written
 * to AWS's published specification ("Create a signed AWS API request") and
 * checked against its test suite. Used by the Bedrock providers (LLM caller
 * ConverseStream, retriever Titan embeddings). Pure apart from OpenSSL: no
 * clock, no network; the caller passes the request time. */
#ifndef COMMON_SIGV4_H
#define COMMON_SIGV4_H

#include <stddef.h>

struct curl_slist;

struct sigv4_creds {
	const char *access_key;
	const char *secret_key;
	const char *session_token; /* may be NULL */
};

#define SIGV4_MAX_HEADERS 16     /* signed headers, the three of our own included */
#define SIGV4_MAX_FIELD 8192     /* longest path, query or header line handled */

/* One request as it is signed. path is the raw (unencoded) path, e.g.
 * "/model/anthropic.claude-3-haiku-20240307-v1:0/converse-stream"; the wire
 * path is sigv4_encode_path(path), and non-S3 services encode that wire path
 * once more in the canonical URI (so ':' becomes %253A there). query is the
 * query string as sent, without '?' (NULL or "" for none); each name and
 * value is decoded and re-encoded the AWS way before sorting. extra_headers
 * are further "Name: value" lines to sign (e.g. "Content-Type: ..."); NULL
 * or NULL-terminated. host is the Host header value as sent ("host:port"
 * when the port is not the scheme's default). */
struct sigv4_request {
	const char *region;
	const char *service;
	const char *method;
	const char *host;
	const char *path;
	const char *query;
	const char *const *extra_headers;
	const void *body;
	size_t body_len;
	const char *amz_date; /* "YYYYMMDDTHHMMSSZ" */
	const char *session_token; /* signed as x-amz-security-token when set */
	/* 0: the wire path is the canonical URI's source (normalised and encoded
	 * once more unless the service is s3); 1: path is taken as the wire path
	 * itself (what the published test suite's request lines are). */
	int path_is_wire;
};

/* Sign one request. path is the raw (unencoded) path, e.g.
 * "/model/anthropic.claude-3-haiku-20240307-v1:0/converse-stream"; non-S3
 * services encode each segment twice in the canonical URI. Appends the header
 * lines to send to *headers (a curl_slist, created when NULL):
 * "Authorization: ...", "X-Amz-Date: ...", "X-Amz-Security-Token: ..." when
 * creds->session_token is set, and "X-Amz-Content-Sha256: ..." for s3 only
 * (no other service needs it). The request itself must be sent to
 * sigv4_encode_path(path) with the same host, query and body. Returns 0, or
 * negative with errstr. */
int sigv4_sign(const struct sigv4_creds *creds, const char *region, const char *service,
	       const char *method, const char *host, const char *path, const char *query,
	       const void *body, size_t body_len, const char *amz_date, struct curl_slist **headers,
	       char errstr[256]);

/* sigv4_sign with extra signed headers (req->extra_headers; they are signed,
 * not appended: the caller sends them itself). */
int sigv4_sign_request(const struct sigv4_creds *creds, const struct sigv4_request *req,
		       struct curl_slist **headers, char errstr[256]);

/* The canonical request (task 1 of the specification) into out of size
 * outlen, and the signed-header list ("host;x-amz-date") into signed_headers
 * when not NULL. Returns its length, or negative with errstr (too long,
 * malformed header, too many headers). */
int sigv4_canonical_request(const struct sigv4_request *req, char *out, size_t outlen,
			    char *signed_headers, size_t shlen, char errstr[256]);

/* The string to sign (task 2) for a canonical request. Returns its length or
 * negative with errstr. */
int sigv4_string_to_sign(const struct sigv4_request *req, const char *canonical_request,
			 char *out, size_t outlen, char errstr[256]);

/* The hex signature (task 3 and 4) of a string to sign: 64 characters and a
 * NUL into sig_hex. Returns 0 or negative with errstr. */
int sigv4_signature(const char *secret_key, const struct sigv4_request *req,
		    const char *string_to_sign, char sig_hex[65], char errstr[256]);

/* The full Authorization header value ("AWS4-HMAC-SHA256 Credential=...,
 * SignedHeaders=..., Signature=...") into out. Returns 0 or negative with
 * errstr. */
int sigv4_authorization(const struct sigv4_creds *creds, const struct sigv4_request *req,
			char *out, size_t outlen, char errstr[256]);

/* URI-encode a raw path segment by segment (unreserved A-Za-z0-9-._~ and '/'
 * kept, every other byte as %XX upper-case). Returns the length or -1 when
 * it does not fit. */
int sigv4_encode_path(const char *raw, char *out, size_t outlen);

/* Lower-case hex SHA-256 of len bytes into hex (65 bytes). */
void sigv4_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
