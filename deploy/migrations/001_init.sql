-- 001_init: first schema of the chat assistant.
-- Applied by deploy/migrate.sh inside one transaction (do not add BEGIN/COMMIT).
-- Money is stored in sen (1/100 MYR) as bigint, never as float.

-- Every customer and assistant turn, for audit and conversation history.
CREATE TABLE transcripts (
    turn_id      text        NOT NULL,
    role         text        NOT NULL,              -- who spoke: customer, assistant, agent
    tenant_id    text        NOT NULL DEFAULT 'demo',
    session_id   text        NOT NULL,
    customer_id  text        NULL,
    text         text        NOT NULL DEFAULT '',
    intent       text        NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (turn_id, role)                     -- one row per speaker per turn: replays are no-ops
);
CREATE INDEX transcripts_session_idx ON transcripts (tenant_id, session_id, created_at);

-- Tickets for handing a conversation to a human. ticket_key (the turn_id that
-- opened it) makes ticket creation idempotent under Kafka redelivery.
CREATE TABLE handoff_tickets (
    id           bigserial   PRIMARY KEY,
    ticket_key   text        NOT NULL UNIQUE,
    tenant_id    text        NOT NULL DEFAULT 'demo',
    session_id   text        NOT NULL,
    customer_id  text        NULL,
    reason       text        NOT NULL DEFAULT '',
    summary      text        NOT NULL DEFAULT '',
    status       text        NOT NULL DEFAULT 'open', -- open, assigned, closed
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX handoff_tickets_status_idx ON handoff_tickets (tenant_id, status, created_at);

-- Stock per store from the POS feed. event_ts lets consumers ignore stale
-- (out-of-order) events: update only when the incoming event_ts is newer.
CREATE TABLE inventory (
    tenant_id    text        NOT NULL DEFAULT 'demo',
    sku          text        NOT NULL,
    store_id     text        NOT NULL,
    qty          integer     NOT NULL DEFAULT 0,
    event_ts     timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, sku, store_id)
);

-- Current price per SKU from the ERP feed (same event_ts rule as inventory).
CREATE TABLE prices (
    tenant_id    text        NOT NULL DEFAULT 'demo',
    sku          text        NOT NULL,
    price_sen    bigint      NOT NULL CHECK (price_sen >= 0),
    currency     text        NOT NULL DEFAULT 'MYR',
    event_ts     timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, sku)
);

-- Knowledge-base documents known to the index; content_hash skips re-indexing unchanged docs.
CREATE TABLE kb_documents (
    tenant_id    text        NOT NULL DEFAULT 'demo',
    doc_id       text        NOT NULL,
    title        text        NOT NULL DEFAULT '',
    content_hash text        NOT NULL,
    version      integer     NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, doc_id)
);

-- One rating per assistant turn; a later rating for the same turn replaces it.
CREATE TABLE feedback (
    turn_id      text        PRIMARY KEY,
    tenant_id    text        NOT NULL DEFAULT 'demo',
    session_id   text        NOT NULL,
    rating       smallint    NOT NULL,               -- e.g. +1 / -1 thumbs
    comment      text        NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
