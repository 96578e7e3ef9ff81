/* ingestion: applies stock, price and document events. */
#include "ingestion.h"

#include <openssl/evp.h>
#include <stdio.h>
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

int ingest_inventory(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen)
{
	struct ingest *in = ctx;
	(void)em;
	Chat__InventoryEvent *ev = chat__inventory_event__unpack(NULL, msg->len, msg->payload);
	int rc = KSTAGE_EPOISON, applied = 0;
	if (!ev) {
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
	rc = io_rc(in->io.set_stock(in->io.arg, ev, &applied, errstr, errlen), "stock update", errstr, errlen);
out:
	chat__inventory_event__free_unpacked(ev, NULL);
	return rc;
}

int ingest_price(void *ctx, const struct kstage_msg *msg, struct kstage_emit *em, char *errstr, size_t errlen)
{
	struct ingest *in = ctx;
	(void)em;
	Chat__PriceEvent *ev = chat__price_event__unpack(NULL, msg->len, msg->payload);
	int rc = KSTAGE_EPOISON, applied = 0;
	if (!ev) {
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
	rc = io_rc(in->io.set_price(in->io.arg, ev, &applied, errstr, errlen), "price update", errstr, errlen);
out:
	chat__price_event__free_unpacked(ev, NULL);
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
	}
	rc = io_rc(in->io.put_document(in->io.arg, doc, title, hash, doc->deleted ? NULL : &chunks, &applied,
				       errstr, errlen),
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
	chunk_list_release(&chunks);
	chat__document__free_unpacked(doc, NULL);
	return rc;
}
