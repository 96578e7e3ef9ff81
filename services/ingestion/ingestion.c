/* ingestion: applies stock, price and document events. */
#include "ingestion.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define DOC_MAX_BYTES (8 * 1024 * 1024)

void ingest_hash(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/* Map an io result to a kstage result. */
static int io_rc(int rc, const char *what, char *errstr, size_t errlen)
{
	if (rc == -1) {
		snprintf(errstr, errlen, "%s: database unreachable", what);
		return KSTAGE_EBLOCKED;
	}
	return rc < 0 ? KSTAGE_ERETRY : KSTAGE_OK;
}

/* --- JSON forms of the events ------------------------------------------- */

int ingest_is_json(const void *payload, size_t len, const char *content_type)
{
	if (content_type && !strncasecmp(content_type, "application/json", 16))
		return 1;
	const unsigned char *p = payload;
	size_t i = 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i < len && p[i] == '{';
}

/* "2026-11-22T07:00:00Z", with optional fraction and a Z or +hh:mm / -hh:mm
 * offset; microseconds since the epoch, or -1. */
static int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	int64_t frac_us = 0, scale = 100000;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			frac_us += (*p - '0') * scale;
			scale /= 10;
		}
	}
	long off = 0;
	if (*p == 'Z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
		   p[3] == ':' && isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 + ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		if (*p == '-')
			off = -off;
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1 && tm.tm_year != 69)
		return -1;
	return ((int64_t)t - off) * 1000000 + frac_us;
}

/* A string member (NULL when absent); -1 when present but not a string. */
static int get_str(const json_t *o, const char *k, char **out, char *errstr, size_t errlen)
{
	const json_t *v = json_object_get(o, k);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(errstr, errlen, "\"%s\" must be a string", k);
		return -1;
	}
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* event_time_us (integer) or event_time (ISO 8601). */
static int get_time(const json_t *o, int64_t *us, char *errstr, size_t errlen)
{
	const json_t *v = json_object_get(o, "event_time_us");
	if (json_is_integer(v)) {
		*us = json_integer_value(v);
		return 0;
	}
	v = json_object_get(o, "event_time");
	if (json_is_string(v) && (*us = parse_time(json_string_value(v))) > 0)
		return 0;
	snprintf(errstr, errlen, "needs event_time (ISO 8601, e.g. \"2026-11-22T07:00:00Z\") or event_time_us");
	return -1;
}

static json_t *load_obj(const char *s, size_t len, char *errstr, size_t errlen)
{
	if (len > INGEST_JSON_MAX) {
		snprintf(errstr, errlen, "JSON event of %zu bytes; at most %d", len, INGEST_JSON_MAX);
		return NULL;
	}
	json_error_t jerr;
	json_t *o = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		snprintf(errstr, errlen, "JSON event does not parse: %s (line %d)", jerr.text, jerr.line);
		return NULL;
	}
	if (!json_is_object(o)) {
		snprintf(errstr, errlen, "JSON event is not an object");
		json_decref(o);
		return NULL;
	}
	return o;
}

void ingest_inventory_event_release(Chat__InventoryEvent *ev)
{
	char **f[] = { &ev->tenant_id, &ev->sku, &ev->store_id, &ev->source, &ev->event_id };
	for (size_t i = 0; i < ARRAY_LEN(f); i++)
		if (*f[i] != protobuf_c_empty_string)
			free(*f[i]);
	chat__inventory_event__init(ev);
}

void ingest_price_event_release(Chat__PriceEvent *ev)
{
	char **f[] = { &ev->tenant_id, &ev->sku, &ev->currency, &ev->source, &ev->event_id };
	for (size_t i = 0; i < ARRAY_LEN(f); i++)
		if (*f[i] != protobuf_c_empty_string)
			free(*f[i]);
	chat__price_event__init(ev);
}

static void set_or_empty(char **field, char *v)
{
	*field = v ? v : (char *)protobuf_c_empty_string;
}

int ingest_inventory_json(const char *s, size_t len, Chat__InventoryEvent *ev, char *errstr, size_t errlen)
{
	chat__inventory_event__init(ev);
	json_t *o = load_obj(s, len, errstr, errlen);
	if (!o)
		return -1;
	char *v[5] = { 0 };
	static const char *const keys[] = { "tenant_id", "sku", "store_id", "source", "event_id" };
	int rc = -1;
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (get_str(o, keys[i], &v[i], errstr, errlen))
			goto out;
	const json_t *q = json_object_get(o, "quantity");
	if (!json_is_integer(q) || json_integer_value(q) < INT32_MIN || json_integer_value(q) > INT32_MAX) {
		snprintf(errstr, errlen, "\"quantity\" must be a whole number");
		goto out;
	}
	if (get_time(o, &ev->event_time_us, errstr, errlen))
		goto out;
	ev->quantity = (int32_t)json_integer_value(q);
	rc = 0;
out:
	set_or_empty(&ev->tenant_id, v[0]);
	set_or_empty(&ev->sku, v[1]);
	set_or_empty(&ev->store_id, v[2]);
	set_or_empty(&ev->source, v[3]);
	set_or_empty(&ev->event_id, v[4]);
	if (rc)
		ingest_inventory_event_release(ev);
	json_decref(o);
	return rc;
}

/* "1299", "1299.9", "1299.90" ringgit -> sen; -1 when malformed. */
static int64_t parse_amount(const char *s)
{
	int64_t whole = 0;
	int digits = 0;
	for (; isdigit((unsigned char)*s); s++, digits++) {
		if (whole > INT64_MAX / 1000)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	int64_t cents = 0;
	if (*s == '.') {
		s++;
		for (int k = 0; k < 2; k++) {
			cents *= 10;
			if (isdigit((unsigned char)*s))
				cents += *s++ - '0';
		}
		if (*s)
			return -1;
	}
	if (*s || !digits)
		return -1;
	return whole * 100 + cents;
}

int ingest_price_json(const char *s, size_t len, Chat__PriceEvent *ev, char *errstr, size_t errlen)
{
	chat__price_event__init(ev);
	json_t *o = load_obj(s, len, errstr, errlen);
	if (!o)
		return -1;
	char *v[5] = { 0 };
	static const char *const keys[] = { "tenant_id", "sku", "currency", "source", "event_id" };
	int rc = -1;
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (get_str(o, keys[i], &v[i], errstr, errlen))
			goto out;
	const json_t *sen = json_object_get(o, "price_sen"), *amt = json_object_get(o, "price");
	if (json_is_integer(sen)) {
		ev->price_sen = json_integer_value(sen);
	} else if (json_is_string(amt)) {
		ev->price_sen = parse_amount(json_string_value(amt));
	} else if (json_is_number(amt) && json_number_value(amt) >= 0 && json_number_value(amt) < 1e15) {
		ev->price_sen = (int64_t)llround(json_number_value(amt) * 100.0);
	} else {
		snprintf(errstr, errlen, "needs \"price\" (ringgit, e.g. \"1299.00\") or \"price_sen\" (integer)");
		goto out;
	}
	if (ev->price_sen < 0) {
		snprintf(errstr, errlen, "\"price\" must be an amount like \"1299.00\"");
		goto out;
	}
	if (get_time(o, &ev->event_time_us, errstr, errlen))
		goto out;
	rc = 0;
out:
	set_or_empty(&ev->tenant_id, v[0]);
	set_or_empty(&ev->sku, v[1]);
	set_or_empty(&ev->currency, v[2]);
	set_or_empty(&ev->source, v[3]);
	set_or_empty(&ev->event_id, v[4]);
	if (rc)
		ingest_price_event_release(ev);
	json_decref(o);
	return rc;
}

static const char *content_type_header(const struct kstage_msg *msg)
{
	rd_kafka_headers_t *hdrs = NULL;
	const void *val = NULL;
	size_t size = 0;
	static __thread char ct[64];
	if (!msg->rkm || rd_kafka_message_headers(msg->rkm, &hdrs) || !hdrs ||
	    rd_kafka_header_get_last(hdrs, "content-type", &val, &size) || !val)
		return NULL;
	snprintf(ct, sizeof(ct), "%.*s", (int)(size < 63 ? size : 63), (const char *)val);
	return ct;
}

/* --- stock and price ------------------------------------------------------ */

static int unknown_sku(struct ingest *in, const char *what, const char *sku, char *errstr, size_t errlen)
{
	in->unknown_skus++;
	snprintf(errstr, errlen, "%s for unknown SKU \"%s\" (not in the catalog; %ld so far)", what, sku,
		 in->unknown_skus);
	return KSTAGE_EPOISON;
}

int ingest_inventory(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen)
{
	struct ingest *in = ctx;
	(void)em;
	Chat__InventoryEvent jev, *ev;
	int json = ingest_is_json(msg->payload, msg->len, content_type_header(msg));
	int rc = KSTAGE_EPOISON, applied = 0;
	if (json) {
		if (ingest_inventory_json(msg->payload, msg->len, &jev, errstr, errlen))
			return rc;
		ev = &jev;
	} else if (!(ev = chat__inventory_event__unpack(NULL, msg->len, msg->payload))) {
		snprintf(errstr, errlen, "cannot decode chat.InventoryEvent from %zu bytes", msg->len);
		return rc;
	}
	if (!util_valid_id(ev->sku, 64) || !util_valid_id(ev->store_id, 64)) {
		snprintf(errstr, errlen, "inventory event needs a valid sku and store_id");
		goto out;
	}
	if (ev->quantity < 0 || ev->event_time_us <= 0) {
		snprintf(errstr, errlen, "inventory event for \"%s\" has quantity %d and event_time_us %lld", ev->sku,
			 ev->quantity, (long long)ev->event_time_us);
		goto out;
	}
	int io = in->io.set_stock(in->io.arg, ev, &applied, errstr, errlen);
	rc = io == INGEST_UNKNOWN_SKU ? unknown_sku(in, "stock event", ev->sku, errstr, errlen)
				      : io_rc(io, "stock update", errstr, errlen);
out:
	if (json)
		ingest_inventory_event_release(ev);
	else
		chat__inventory_event__free_unpacked(ev, NULL);
	return rc;
}

int ingest_price(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen)
{
	struct ingest *in = ctx;
	(void)em;
	Chat__PriceEvent jev, *ev;
	int json = ingest_is_json(msg->payload, msg->len, content_type_header(msg));
	int rc = KSTAGE_EPOISON, applied = 0;
	if (json) {
		if (ingest_price_json(msg->payload, msg->len, &jev, errstr, errlen))
			return rc;
		ev = &jev;
	} else if (!(ev = chat__price_event__unpack(NULL, msg->len, msg->payload))) {
		snprintf(errstr, errlen, "cannot decode chat.PriceEvent from %zu bytes", msg->len);
		return rc;
	}
	if (!util_valid_id(ev->sku, 64)) {
		snprintf(errstr, errlen, "price event needs a valid sku");
		goto out;
	}
	if (ev->price_sen < 0 || ev->event_time_us <= 0) {
		snprintf(errstr, errlen, "price event for \"%s\" has price_sen %lld and event_time_us %lld", ev->sku,
			 (long long)ev->price_sen, (long long)ev->event_time_us);
		goto out;
	}
	int io = in->io.set_price(in->io.arg, ev, &applied, errstr, errlen);
	rc = io == INGEST_UNKNOWN_SKU ? unknown_sku(in, "price event", ev->sku, errstr, errlen)
				      : io_rc(io, "price update", errstr, errlen);
out:
	if (json)
		ingest_price_event_release(ev);
	else
		chat__price_event__free_unpacked(ev, NULL);
	return rc;
}

char *ingest_embed_text(const char *title, const char *text)
{
	return xasprintf("%s\n%s", title, text);
}

/* Vectors for the chunks (title line + text); 0, or the provider's error
 * (the document is then stored without vectors). */
static int embed_chunks(struct ingest *in, const char *title, const struct chunk_list *chunks, float **v, int *dim,
			char *errstr, size_t errlen)
{
	char **texts = xcalloc(chunks->n, sizeof(*texts));
	for (size_t i = 0; i < chunks->n; i++) {
		char *ct = chunk_title(title, chunks->v[i].heading);
		texts[i] = ingest_embed_text(ct, chunks->v[i].text);
		free(ct);
	}
	int rc = 0;
	/* Remote providers take batches; 64 inputs per request is safe for all. */
	*v = NULL;
	for (size_t i = 0; i < chunks->n && rc == 0; i += 64) {
		size_t n = chunks->n - i < 64 ? chunks->n - i : 64;
		float *part = NULL;
		int d = 0;
		rc = embed_texts(in->embed, (const char *const *)texts + i, n, &part, &d, errstr, errlen);
		if (rc == 0) {
			if (!*v)
				*v = xmalloc(chunks->n * (size_t)d * sizeof(**v));
			memcpy(*v + i * (size_t)d, part, n * (size_t)d * sizeof(*part));
			*dim = d;
		}
		free(part);
	}
	if (rc) {
		free(*v);
		*v = NULL;
	}
	for (size_t i = 0; i < chunks->n; i++)
		free(texts[i]);
	free(texts);
	return rc;
}

int ingest_document(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen)
{
	struct ingest *in = ctx;
	Chat__Document *doc = chat__document__unpack(NULL, msg->len, msg->payload);
	int rc = KSTAGE_EPOISON, applied = 0;
	char hash[65];
	struct chunk_list chunks = { 0 };
	const char *title = "";
	float *vecs = NULL;
	struct ingest_vecs vec = { 0 };
	if (!doc) {
		snprintf(errstr, errlen, "cannot decode chat.Document from %zu bytes", msg->len);
		return rc;
	}
	if (!*doc->doc_id || strlen(doc->doc_id) > 255) {
		snprintf(errstr, errlen, "document needs a doc_id of 1..255 bytes");
		goto out;
	}
	if (!doc->deleted && (doc->body.len == 0 || doc->body.len > DOC_MAX_BYTES)) {
		snprintf(errstr, errlen, "document \"%s\" is %zu bytes; accepted: 1..%d", doc->doc_id, doc->body.len,
			 DOC_MAX_BYTES);
		goto out;
	}
	ingest_hash(doc->body.data, doc->body.len, hash);
	if (!doc->deleted) {
		int fmt = chunk_format_of(doc->content_type);
		if (fmt < 0 && !*doc->content_type)
			fmt = chunk_format_of_path(doc->doc_id);
		if (fmt < 0) {
			snprintf(errstr, errlen, "document \"%s\" has content type \"%s\"; accepted: text/markdown, "
				 "text/html, text/plain", doc->doc_id, doc->content_type);
			goto out;
		}
		if (chunk_document((const char *)doc->body.data, doc->body.len, fmt, 0, -1, &chunks, errstr,
				   errlen)) {
			rc = KSTAGE_EPOISON;
			goto out;
		}
		if (chunks.n == 0) {
			snprintf(errstr, errlen, "document \"%s\" has no text", doc->doc_id);
			goto out;
		}
		title = *doc->title ? doc->title : *chunks.first_heading ? chunks.first_heading : doc->doc_id;
		if (in->embed) {
			char why[256] = "";
			if (embed_chunks(in, title, &chunks, &vecs, &vec.dim, why, sizeof(why))) {
				in->embed_failures++;
				log_warn("document \"%s\": no vectors (%s); stored for full-text search only",
					 doc->doc_id, why);
			} else {
				vec.v = vecs;
				vec.model = embed_model_id(in->embed);
			}
		}
	}
	rc = io_rc(in->io.put_document(in->io.arg, doc, title, hash, doc->deleted ? NULL : &chunks,
				       vec.v ? &vec : NULL, &applied, errstr, errlen),
		   "document", errstr, errlen);
	if (rc == KSTAGE_OK && !applied && !doc->deleted)
		log_debug("document \"%s\" unchanged: skipped", doc->doc_id);
	if (rc == KSTAGE_OK && applied) {
		if (doc->deleted)
			log_info("document \"%s\" removed", doc->doc_id);
		else
			log_info("document \"%s\" indexed: %zu chunk(s)", doc->doc_id, chunks.n);
		/* Tell the retriever which document changed; the body stays out. */
		Chat__Document note = CHAT__DOCUMENT__INIT;
		note.tenant_id = doc->tenant_id;
		note.doc_id = doc->doc_id;
		note.title = (char *)title;
		note.version = doc->version;
		note.language = doc->language;
		note.deleted = doc->deleted;
		size_t len = chat__document__get_packed_size(&note);
		void *buf = xmalloc(len);
		chat__document__pack(&note, buf);
		kstage_emit(em, in->updated_topic, RD_KAFKA_PARTITION_UA, doc->doc_id, strlen(doc->doc_id), buf, len);
	}
out:
	free(vecs);
	chunk_list_release(&chunks);
	chat__document__free_unpacked(doc, NULL);
	return rc;
}
