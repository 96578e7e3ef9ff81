-- 010_orch_handoff: what the orchestrator and the handoff service keep beyond
-- transcripts: return requests opened in chat, knowledge gaps, the returns
-- policy's windows, and tickets an agent can work (messages, claim, context).

-- Days after delivery within which an order may be returned, per loyalty
-- tier ('' = guest orders). The demo retailer's rows are in deploy/demo/seed.sql.
CREATE TABLE return_policy (
    tenant_id    text        NOT NULL DEFAULT 'demo',
    tier         text        NOT NULL,
    window_days  integer     NOT NULL CHECK (window_days >= 0),
    PRIMARY KEY (tenant_id, tier)
);

-- A return started in chat; staff turn it into a `returns` row once the item
-- is received. turn_id makes "start a return" idempotent per turn.
CREATE SEQUENCE return_request_seq START 7001;
CREATE TABLE return_requests (
    tenant_id    text        NOT NULL DEFAULT 'demo',
    return_id    text        NOT NULL DEFAULT ('RET-' || nextval('return_request_seq')),
    order_id     text        NOT NULL,
    customer_id  text        NULL,                  -- NULL for guests (and after erasure)
    turn_id      text        NOT NULL UNIQUE,
    session_id   text        NOT NULL,
    reason       text        NOT NULL DEFAULT '',
    status       text        NOT NULL DEFAULT 'requested'
                             CHECK (status IN ('requested', 'approved', 'rejected', 'cancelled', 'completed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, return_id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id)
);
CREATE INDEX return_requests_order_idx ON return_requests (tenant_id, order_id);

-- Turns the assistant could not answer (clarify, decline) with how close the
-- knowledge base came: what to write next.
CREATE TABLE knowledge_gaps (
    turn_id      text        PRIMARY KEY,
    tenant_id    text        NOT NULL DEFAULT 'demo',
    session_id   text        NOT NULL,
    customer_id  text        NULL,
    text         text        NOT NULL,
    intent       text        NOT NULL DEFAULT '',
    confidence   real        NOT NULL DEFAULT 0,
    language     text        NOT NULL DEFAULT '',
    action       text        NOT NULL,              -- clarify, decline
    top_score    double precision NULL,             -- best passage score, NULL when none
    passages     jsonb       NOT NULL DEFAULT '[]', -- [{"id", "score"}], best first
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX knowledge_gaps_created_idx ON knowledge_gaps (tenant_id, created_at);

-- What an agent needs to pick a ticket up, and who has it.
ALTER TABLE handoff_tickets
    ADD COLUMN intents          text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN order_ids        text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN context          jsonb   NOT NULL DEFAULT '{}',
    ADD COLUMN language         text    NOT NULL DEFAULT 'en',
    ADD COLUMN channel          integer NOT NULL DEFAULT 0,
    ADD COLUMN reply_partition  integer NOT NULL DEFAULT 0,
    ADD COLUMN agent            text    NULL,
    ADD COLUMN closed_at        timestamptz NULL;
CREATE INDEX handoff_tickets_session_idx ON handoff_tickets (tenant_id, session_id, status);

-- The conversation on a ticket after the hand-off: customer messages that
-- reached it instead of the bot, and the agent's replies. msg_key (turn id)
-- makes appends idempotent.
CREATE TABLE ticket_messages (
    id           bigserial   PRIMARY KEY,
    ticket_id    bigint      NOT NULL REFERENCES handoff_tickets (id) ON DELETE CASCADE,
    msg_key      text        NOT NULL UNIQUE,
    role         text        NOT NULL CHECK (role IN ('customer', 'agent')),
    text         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_messages_ticket_idx ON ticket_messages (ticket_id, id);
