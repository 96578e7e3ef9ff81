-- Product search (the orchestrator's product_search and stock_check tools)
-- matches a product's names in every language and its category
-- ("outdoor chairs", "kitchen-dining" -> "kitchen dining").
CREATE INDEX IF NOT EXISTS products_search_fts_idx ON products
    USING gin (to_tsvector('simple', name || ' ' || coalesce(name_ms, '') || ' ' || coalesce(name_zh, '') || ' '
                           || replace(category, '-', ' ')));
