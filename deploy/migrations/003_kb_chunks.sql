-- 003_kb_chunks: knowledge-base chunks with a full-text index, and the
-- document metadata the ingestion service now keeps.
-- Applied by deploy/migrate.sh inside one transaction (do not add BEGIN/COMMIT).

ALTER TABLE kb_documents ADD COLUMN IF NOT EXISTS type           text NOT NULL DEFAULT '';
ALTER TABLE kb_documents ADD COLUMN IF NOT EXISTS category       text NOT NULL DEFAULT '';
ALTER TABLE kb_documents ADD COLUMN IF NOT EXISTS language       text NOT NULL DEFAULT '';
ALTER TABLE kb_documents ADD COLUMN IF NOT EXISTS effective_date text NOT NULL DEFAULT '';
ALTER TABLE kb_documents ADD COLUMN IF NOT EXISTS doc_version    text NOT NULL DEFAULT '';  -- the author's version (front matter)
ALTER TABLE kb_documents ADD COLUMN IF NOT EXISTS content_type   text NOT NULL DEFAULT '';
ALTER TABLE kb_documents ADD COLUMN IF NOT EXISTS chunks         integer NOT NULL DEFAULT 0;

-- One row per chunk of about 512 tokens. A document's chunks are replaced in
-- one transaction by the ingestion service, so readers never see a mix of
-- two versions.
--
-- Text search configuration: 'english' (stemmed, stop words dropped) for
-- language 'en', 'simple' (lower-cased words, no stemming) for every other
-- language: PostgreSQL ships no Malay or Chinese configuration, and a wrong
-- stemmer does more harm than none. Chinese has no spaces between words, so
-- `search_text` holds the text with a space between Han characters (done in
-- C before storing) and 'simple' indexes single characters; a query is
-- spaced the same way and its characters are matched as a phrase-ish AND.
-- `text` keeps the original for display and citation.
CREATE TABLE IF NOT EXISTS kb_chunks (
    tenant_id      text    NOT NULL DEFAULT 'demo',
    chunk_id       text    NOT NULL,              -- <doc_id>#<seq>
    doc_id         text    NOT NULL,
    seq            integer NOT NULL,
    title          text    NOT NULL DEFAULT '',   -- document title, plus the nearest heading
    type           text    NOT NULL DEFAULT '',
    category       text    NOT NULL DEFAULT '',
    language       text    NOT NULL DEFAULT '',
    effective_date text    NOT NULL DEFAULT '',
    version        text    NOT NULL DEFAULT '',
    text           text    NOT NULL,
    search_text    text    NOT NULL,              -- text as indexed (Han characters spaced for zh)
    tsv            tsvector NOT NULL,
    PRIMARY KEY (tenant_id, chunk_id)
);
CREATE INDEX IF NOT EXISTS kb_chunks_tsv_idx ON kb_chunks USING gin (tsv);
CREATE INDEX IF NOT EXISTS kb_chunks_doc_idx ON kb_chunks (tenant_id, doc_id);
CREATE INDEX IF NOT EXISTS kb_chunks_lang_idx ON kb_chunks (tenant_id, language);
