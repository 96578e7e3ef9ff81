-- 004_kb_embeddings: a dense vector per knowledge-base chunk, computed by the
-- ingestion service with the configured embeddings provider
-- (common/embed.h). No pgvector in Debian bookworm: the vector is stored as
-- little-endian float32 bytes and searched in the retriever's memory.
-- `embed_model` labels it ("local-h768-v1", "openai:<model>", ...): a
-- retriever configured with another model ignores it (full-text search
-- still finds the chunk). NULL embedding: the provider was unavailable.
-- Applied by deploy/migrate.sh inside one transaction (do not add BEGIN/COMMIT).

ALTER TABLE kb_chunks ADD COLUMN IF NOT EXISTS embedding   bytea NULL;
ALTER TABLE kb_chunks ADD COLUMN IF NOT EXISTS embed_model text  NOT NULL DEFAULT '';
