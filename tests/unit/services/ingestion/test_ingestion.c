/* ingestion: stock, price and document events with a fake ingest_io. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../testutil.h"
#include "services/ingestion/ingestion.h"
#include "topics.h"

TestSuite(ingest, .fini = tu_leak_check);

struct fake_io {
	int rc;      /* what every call returns */
	int applied; /* what it reports */
	int stock_calls, price_calls, doc_calls;
	int quantity;
	int64_t price;
	char sku[64], hash[65], doc_id[64], title[64];
	size_t body_len;
	size_t nchunks;
	int had_chunks;
	int had_vecs, vec_dim;
};

static int fake_stock(void *arg, const Chat__InventoryEvent *ev, int *applied, char *errstr, size_t errlen)
{
	struct fake_io *f = arg;
	if (f->rc == -2)
		snprintf(errstr, errlen, "refused by the database");
	f->stock_calls++;
	f->quantity = ev->quantity;
	snprintf(f->sku, sizeof(f->sku), "%s", ev->sku);
	*applied = f->applied;
	return f->rc;
}

static int fake_price(void *arg, const Chat__PriceEvent *ev, int *applied, char *errstr, size_t errlen)
{
	struct fake_io *f = arg;
	if (f->rc == -2)
		snprintf(errstr, errlen, "refused by the database");
	f->price_calls++;
	f->price = ev->price_sen;
	snprintf(f->sku, sizeof(f->sku), "%s", ev->sku);
	*applied = f->applied;
	return f->rc;
}

static int fake_doc(void *arg, const Chat__Document *doc, const char *title, const char *hash,
		    const struct chunk_list *chunks, const struct ingest_vecs *vecs, int *applied, char *errstr,
		    size_t errlen)
{
	struct fake_io *f = arg;
	f->had_vecs = vecs != NULL;
	f->vec_dim = vecs ? vecs->dim : 0;
	snprintf(f->title, sizeof(f->title), "%s", title);
	f->had_chunks = chunks != NULL;
	f->nchunks = chunks ? chunks->n : 0;
	if (f->rc == -2)
		snprintf(errstr, errlen, "refused by the database");
	f->doc_calls++;
	snprintf(f->hash, sizeof(f->hash), "%s", hash);
	snprintf(f->doc_id, sizeof(f->doc_id), "%s", doc->doc_id);
	f->body_len = doc->body.len;
	*applied = f->applied;
	return f->rc;
}

static struct ingest make_ingest(struct fake_io *f)
{
	struct ingest in = { { fake_stock, fake_price, fake_doc, f }, TOPIC_KB_UPDATED, NULL, 0, 0 };
	return in;
}

typedef int (*handler)(void *, const struct kstage_msg *, struct kstage_emit *, char *, size_t);

/* Run handler h on payload; the emit is reset unless em_out is given. */
static int run(handler h, struct fake_io *f, const void *payload, size_t len, struct kstage_emit *em_out)
{
	struct ingest in = make_ingest(f);
	struct kstage_msg m = tu_msg("in", payload, len);
	struct kstage_emit em = { .n = 0 };
	char err[256] = "";
	int rc = h(&in, &m, &em, err, sizeof(err));
	if (rc != KSTAGE_OK)
		cr_assert_neq(err[0], '\0', "a failure says why (rc %d)", rc);
	if (em_out)
		*em_out = em;
	else
		kstage_emit_reset(&em);
	return rc;
}

static int run_inventory(struct fake_io *f, const char *sku, int qty, int64_t at)
{
	Chat__InventoryEvent ev = CHAT__INVENTORY_EVENT__INIT;
	ev.tenant_id = (char *)"t1";
	ev.sku = (char *)sku;
	ev.store_id = (char *)"store-1";
	ev.quantity = qty;
	ev.event_time_us = at;
	size_t len = chat__inventory_event__get_packed_size(&ev);
	void *buf = xmalloc(len);
	chat__inventory_event__pack(&ev, buf);
	int rc = run(ingest_inventory, f, buf, len, NULL);
	free(buf);
	return rc;
}

static int run_price(struct fake_io *f, const char *sku, int64_t price, int64_t at)
{
	Chat__PriceEvent ev = CHAT__PRICE_EVENT__INIT;
	ev.sku = (char *)sku;
	ev.price_sen = price;
	ev.currency = (char *)"MYR";
	ev.event_time_us = at;
	size_t len = chat__price_event__get_packed_size(&ev);
	void *buf = xmalloc(len);
	chat__price_event__pack(&ev, buf);
	int rc = run(ingest_price, f, buf, len, NULL);
	free(buf);
	return rc;
}

static int run_document(struct fake_io *f, const char *doc_id, const char *body, int deleted,
			struct kstage_emit *em)
{
	Chat__Document d = CHAT__DOCUMENT__INIT;
	d.tenant_id = (char *)"t1";
	d.doc_id = (char *)doc_id;
	d.title = (char *)"Return policy";
	d.version = (char *)"v2";
	d.body.data = (uint8_t *)body;
	d.body.len = strlen(body);
	d.deleted = deleted;
	size_t len = chat__document__get_packed_size(&d);
	void *buf = xmalloc(len);
	chat__document__pack(&d, buf);
	int rc = run(ingest_document, f, buf, len, em);
	free(buf);
	return rc;
}

Test(ingest, hash_is_sha256)
{
	char out[65];
	ingest_hash("abc", 3, out);
	cr_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ingest_hash("", 0, out);
	cr_assert_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(ingest, inventory_valid_event_applied)
{
	struct fake_io f = { .applied = 1 };
	cr_assert_eq(run_inventory(&f, "SKU-1", 12, 1700000000000000), KSTAGE_OK);
	cr_assert_eq(f.stock_calls, 1);
	cr_assert_str_eq(f.sku, "SKU-1");
	cr_assert_eq(f.quantity, 12);
	cr_assert_eq(run_inventory(&f, "SKU-1", 0, 1), KSTAGE_OK, "zero stock is a valid count");
}

Test(ingest, inventory_invalid_is_poison)
{
	struct fake_io f = { 0 };
	cr_assert_eq(run_inventory(&f, "SKU-1", -1, 1700000000000000), KSTAGE_EPOISON, "negative quantity");
	cr_assert_eq(run_inventory(&f, "a b", 1, 1700000000000000), KSTAGE_EPOISON, "bad sku");
	cr_assert_eq(run_inventory(&f, "", 1, 1700000000000000), KSTAGE_EPOISON, "no sku");
	cr_assert_eq(run_inventory(&f, "SKU-1", 1, 0), KSTAGE_EPOISON, "zero event time");
	cr_assert_eq(run_inventory(&f, "SKU-1", 1, -5), KSTAGE_EPOISON, "negative event time");
	cr_assert_eq(run(ingest_inventory, &f, TU_GARBAGE, sizeof(TU_GARBAGE), NULL), KSTAGE_EPOISON, "garbage");
	cr_assert_eq(f.stock_calls, 0, "nothing invalid reaches the store");
}

Test(ingest, inventory_io_results)
{
	struct fake_io f = { .rc = -1 };
	cr_assert_eq(run_inventory(&f, "SKU-1", 1, 1), KSTAGE_EBLOCKED, "database down");
	f.rc = -2;
	cr_assert_eq(run_inventory(&f, "SKU-1", 1, 1), KSTAGE_ERETRY, "database refused");
	f.rc = 0;
	f.applied = 0;
	cr_assert_eq(run_inventory(&f, "SKU-1", 1, 1), KSTAGE_OK, "older event: not applied, still fine");
}

Test(ingest, price_events)
{
	struct fake_io f = { .applied = 1 };
	cr_assert_eq(run_price(&f, "SKU-9", 2990, 1700000000000000), KSTAGE_OK);
	cr_assert_eq(f.price_calls, 1);
	cr_assert_eq(f.price, 2990);
	cr_assert_str_eq(f.sku, "SKU-9");
	cr_assert_eq(run_price(&f, "SKU-9", -1, 1), KSTAGE_EPOISON, "negative price");
	cr_assert_eq(run_price(&f, "a b", 1, 1), KSTAGE_EPOISON, "bad sku");
	cr_assert_eq(run_price(&f, "SKU-9", 1, 0), KSTAGE_EPOISON, "zero event time");
	cr_assert_eq(run(ingest_price, &f, TU_GARBAGE, sizeof(TU_GARBAGE), NULL), KSTAGE_EPOISON, "garbage");
	cr_assert_eq(f.price_calls, 1);
	f.rc = -1;
	cr_assert_eq(run_price(&f, "SKU-9", 1, 1), KSTAGE_EBLOCKED);
	f.rc = -2;
	cr_assert_eq(run_price(&f, "SKU-9", 1, 1), KSTAGE_ERETRY);
}

Test(ingest, changed_document_emits_note_without_body)
{
	struct fake_io f = { .applied = 1 };
	struct kstage_emit em;
	cr_assert_eq(run_document(&f, "returns.md", "abc", 0, &em), KSTAGE_OK);
	cr_assert_eq(f.doc_calls, 1);
	cr_assert_str_eq(f.doc_id, "returns.md");
	cr_assert_eq(f.body_len, 3, "the store gets the body");
	cr_assert_str_eq(f.hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
			 "content hash of the body");
	cr_assert_eq(em.n, 1);
	cr_assert_str_eq(em.outs[0].topic, TOPIC_KB_UPDATED);
	cr_assert_eq(em.outs[0].partition, RD_KAFKA_PARTITION_UA);
	cr_assert_eq(em.outs[0].key_len, strlen("returns.md"));
	cr_assert(memcmp(em.outs[0].key, "returns.md", em.outs[0].key_len) == 0, "keyed by doc_id");
	Chat__Document *note = chat__document__unpack(NULL, em.outs[0].len, em.outs[0].value);
	cr_assert_not_null(note);
	cr_assert_str_eq(note->doc_id, "returns.md");
	cr_assert_str_eq(note->title, "Return policy");
	cr_assert_str_eq(note->version, "v2");
	cr_assert_eq(note->body.len, 0, "the body stays out of kb.updated");
	cr_assert_eq(note->deleted, 0);
	chat__document__free_unpacked(note, NULL);
	kstage_emit_reset(&em);
}

Test(ingest, unchanged_document_emits_nothing)
{
	struct fake_io f = { .applied = 0 };
	struct kstage_emit em;
	cr_assert_eq(run_document(&f, "returns.md", "abc", 0, &em), KSTAGE_OK);
	cr_assert_eq(f.doc_calls, 1);
	cr_assert_eq(em.n, 0);
}

Test(ingest, deleted_document_tombstone)
{
	struct fake_io f = { .applied = 1 };
	struct kstage_emit em;
	cr_assert_eq(run_document(&f, "old.md", "", 1, &em), KSTAGE_OK, "a tombstone needs no body");
	cr_assert_eq(em.n, 1);
	Chat__Document *note = chat__document__unpack(NULL, em.outs[0].len, em.outs[0].value);
	cr_assert_not_null(note);
	cr_assert_eq(note->deleted, 1);
	chat__document__free_unpacked(note, NULL);
	kstage_emit_reset(&em);
}

Test(ingest, invalid_documents_are_poison)
{
	struct fake_io f = { .applied = 1 };
	struct kstage_emit em;
	cr_assert_eq(run_document(&f, "returns.md", "", 0, &em), KSTAGE_EPOISON, "empty body");
	cr_assert_eq(em.n, 0);
	cr_assert_eq(run_document(&f, "", "abc", 0, &em), KSTAGE_EPOISON, "no doc_id");
	cr_assert_eq(em.n, 0);
	char long_id[300];
	memset(long_id, 'd', 299);
	long_id[299] = '\0';
	cr_assert_eq(run_document(&f, long_id, "abc", 0, &em), KSTAGE_EPOISON, "doc_id over 255 bytes");
	cr_assert_eq(run(ingest_document, &f, TU_GARBAGE, sizeof(TU_GARBAGE), &em), KSTAGE_EPOISON, "garbage");
	cr_assert_eq(em.n, 0);
	cr_assert_eq(f.doc_calls, 0);
}

Test(ingest, document_io_failures_emit_nothing)
{
	struct fake_io f = { .rc = -1, .applied = 1 };
	struct kstage_emit em;
	cr_assert_eq(run_document(&f, "a.md", "abc", 0, &em), KSTAGE_EBLOCKED);
	cr_assert_eq(em.n, 0);
	f.rc = -2;
	cr_assert_eq(run_document(&f, "a.md", "abc", 0, &em), KSTAGE_ERETRY);
	cr_assert_eq(em.n, 0);
}

/* Run a document with a given content type and title. */
static int run_typed(struct fake_io *f, const char *doc_id, const char *ctype, const char *title, const char *body,
		     struct kstage_emit *em)
{
	Chat__Document d = CHAT__DOCUMENT__INIT;
	d.doc_id = (char *)doc_id;
	d.content_type = (char *)ctype;
	d.title = (char *)title;
	d.body.data = (uint8_t *)body;
	d.body.len = strlen(body);
	size_t len = chat__document__get_packed_size(&d);
	void *buf = xmalloc(len);
	chat__document__pack(&d, buf);
	int rc = run(ingest_document, f, buf, len, em);
	free(buf);
	return rc;
}

Test(ingest, document_is_chunked_before_the_store)
{
	struct fake_io f = { .applied = 1 };
	struct kstage_emit em;
	cr_assert_eq(run_typed(&f, "a.md", "text/markdown", "", "# Returns\n\nWithin 30 days.\n", &em), KSTAGE_OK);
	cr_assert_eq(f.had_chunks, 1);
	cr_assert_eq(f.nchunks, 1);
	cr_assert_str_eq(f.title, "Returns", "without a title, the first heading");
	kstage_emit_reset(&em);
	cr_assert_eq(run_typed(&f, "b.txt", "", "", "plain words\n", &em), KSTAGE_OK);
	cr_assert_str_eq(f.title, "b.txt", "without title or heading, the doc id");
	kstage_emit_reset(&em);
	cr_assert_eq(run_typed(&f, "c.html", "text/html; charset=utf-8", "Given", "<p>x</p>", &em), KSTAGE_OK);
	cr_assert_str_eq(f.title, "Given");
	kstage_emit_reset(&em);
}

Test(ingest, documents_without_text_or_of_unknown_type_are_poison)
{
	struct fake_io f = { .applied = 1 };
	struct kstage_emit em;
	cr_assert_eq(run_typed(&f, "a.md", "text/markdown", "", "---\ntitle: x\n---\n\n", &em), KSTAGE_EPOISON,
		     "front matter only");
	cr_assert_eq(em.n, 0);
	cr_assert_eq(run_typed(&f, "a.html", "text/html", "", "<script>x()</script>", &em), KSTAGE_EPOISON,
		     "no text outside the script");
	cr_assert_eq(run_typed(&f, "a.pdf", "application/pdf", "", "%PDF-1.7", &em), KSTAGE_EPOISON, "PDF: later");
	cr_assert_eq(run_typed(&f, "a.bin", "", "", "data", &em), KSTAGE_EPOISON, "unknown extension, no type");
	cr_assert_eq(f.doc_calls, 0);
}

Test(ingest, tombstone_has_no_chunks)
{
	struct fake_io f = { .applied = 1 };
	struct kstage_emit em;
	cr_assert_eq(run_document(&f, "old.md", "", 1, &em), KSTAGE_OK);
	cr_assert_eq(f.had_chunks, 0);
	kstage_emit_reset(&em);
}

/* --- JSON events ---------------------------------------------------------- */

Test(ingest, json_inventory_event_is_applied)
{
	struct fake_io f = { .applied = 1 };
	const char *j = "{\"sku\":\"HL-SOF-0001\",\"store_id\":\"KL-MVM\",\"quantity\":7,"
			"\"event_time\":\"2026-11-22T07:00:00.5+08:00\",\"event_id\":\"e1\"}";
	cr_assert_eq(run(ingest_inventory, &f, j, strlen(j), NULL), KSTAGE_OK);
	cr_assert_eq(f.stock_calls, 1);
	cr_assert_eq(f.quantity, 7);
	cr_assert_str_eq(f.sku, "HL-SOF-0001");
	Chat__InventoryEvent ev;
	char err[256];
	cr_assert_eq(ingest_inventory_json(j, strlen(j), &ev, err, sizeof(err)), 0, "%s", err);
	/* 2026-11-21T23:00:00.5Z */
	cr_assert_eq(ev.event_time_us, 1795302000LL * 1000000 + 500000);
	ingest_inventory_event_release(&ev);
}

Test(ingest, json_price_forms)
{
	Chat__PriceEvent ev;
	char err[256];
	const char *a = "{\"sku\":\"X-1\",\"price\":\"1299.9\",\"event_time_us\":5}";
	cr_assert_eq(ingest_price_json(a, strlen(a), &ev, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ev.price_sen, 129990);
	ingest_price_event_release(&ev);
	const char *b = "{\"sku\":\"X-1\",\"price\":12.35,\"currency\":\"MYR\",\"event_time_us\":5}";
	cr_assert_eq(ingest_price_json(b, strlen(b), &ev, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ev.price_sen, 1235);
	cr_assert_str_eq(ev.currency, "MYR");
	ingest_price_event_release(&ev);
	struct fake_io f = { .applied = 1 };
	const char *c = "  {\"sku\":\"X-2\",\"price_sen\":500,\"event_time_us\":9}";
	cr_assert_eq(run(ingest_price, &f, c, strlen(c), NULL), KSTAGE_OK);
	cr_assert_eq(f.price, 500);
}

Test(ingest, bad_json_events_are_poison)
{
	const char *bad[] = {
		"{", "[]", "{\"sku\":\"X\",\"store_id\":\"S\",\"quantity\":\"7\",\"event_time_us\":1}",
		"{\"sku\":\"X\",\"store_id\":\"S\",\"quantity\":7}",
		"{\"sku\":\"X\",\"store_id\":\"S\",\"quantity\":7,\"event_time\":\"yesterday\"}",
		"{\"sku\":5,\"store_id\":\"S\",\"quantity\":7,\"event_time_us\":1}",
		"{\"sku\":\"X\",\"sku\":\"Y\",\"store_id\":\"S\",\"quantity\":7,\"event_time_us\":1}",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct fake_io f = { .applied = 1 };
		cr_assert_eq(run(ingest_inventory, &f, bad[i], strlen(bad[i]), NULL), KSTAGE_EPOISON, "%s", bad[i]);
		cr_assert_eq(f.stock_calls, 0);
	}
	const char *p = "{\"sku\":\"X\",\"price\":\"12.3.4\",\"event_time_us\":1}";
	struct fake_io f = { .applied = 1 };
	cr_assert_eq(run(ingest_price, &f, p, strlen(p), NULL), KSTAGE_EPOISON);
	cr_assert_eq(f.price_calls, 0);
}

Test(ingest, json_is_detected_by_first_byte_or_header)
{
	cr_assert(ingest_is_json(" \n{", 3, NULL));
	cr_assert_not(ingest_is_json("\x0a\x03" "abc", 5, NULL));
	cr_assert(ingest_is_json("\x0a\x03" "abc", 5, "application/json; charset=utf-8"));
	cr_assert_not(ingest_is_json("", 0, NULL));
}

static int unknown_stock(void *arg, const Chat__InventoryEvent *ev, int *applied, char *errstr, size_t errlen)
{
	(void)arg;
	(void)ev;
	(void)errstr;
	(void)errlen;
	*applied = 0;
	return INGEST_UNKNOWN_SKU;
}

Test(ingest, unknown_sku_is_counted_and_dead_lettered)
{
	struct fake_io f = { 0 };
	struct ingest in = make_ingest(&f);
	in.io.set_stock = unknown_stock;
	const char *j = "{\"sku\":\"NOPE-1\",\"store_id\":\"KL-MVM\",\"quantity\":1,\"event_time_us\":10}";
	struct kstage_msg m = tu_msg("pos.inventory.v1", j, strlen(j));
	struct kstage_emit em = { .n = 0 };
	char err[256] = "";
	cr_assert_eq(ingest_inventory(&in, &m, &em, err, sizeof(err)), KSTAGE_EPOISON);
	cr_assert(strstr(err, "unknown SKU \"NOPE-1\""), "%s", err);
	cr_assert_eq(in.unknown_skus, 1);
	cr_assert_eq(em.n, 0);
}
