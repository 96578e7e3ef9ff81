-- 002_catalog: retailer schema (stores, catalogue, customers, orders, returns,
-- promotions, loyalty). Applied by deploy/migrate.sh inside one transaction
-- (do not add BEGIN/COMMIT). Money is in sen (1/100 MYR) as bigint.
-- Prices and per-store stock stay in the 001 tables `prices` and `inventory`
-- (keyed by tenant_id, sku[, store_id]); they carry no foreign key to
-- `products` so the POS/ERP feeds can arrive before the catalogue does.
-- Demo data: deploy/demo/seed.sql (loaded by deploy/stack.sh when DEMO_DATA=1).

-- Physical stores. opening_hours: {"mon": {"open": "10:00", "close": "22:00"}, ...,
-- "sun": null when closed}; times are local to `timezone`.
CREATE TABLE stores (
    tenant_id      text        NOT NULL DEFAULT 'demo',
    store_id       text        NOT NULL,
    name           text        NOT NULL,
    city           text        NOT NULL,
    state          text        NOT NULL DEFAULT '',
    address        text        NOT NULL,
    postcode       text        NOT NULL DEFAULT '',
    phone          text        NOT NULL DEFAULT '',
    email          text        NULL,
    timezone       text        NOT NULL DEFAULT 'Asia/Kuala_Lumpur',
    opening_hours  jsonb       NOT NULL,
    services       text[]      NOT NULL DEFAULT '{}',  -- e.g. click_collect, assembly, returns_counter
    active         boolean     NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, store_id),
    CHECK (jsonb_typeof(opening_hours) = 'object')
);
CREATE INDEX stores_city_idx ON stores (tenant_id, lower(city));

-- Catalogue. Names in English plus optional Malay (ms) and Chinese (zh).
-- attributes: colour, material, dimensions_cm {w,d,h}, warranty_years, bulky, ...
CREATE TABLE products (
    tenant_id      text        NOT NULL DEFAULT 'demo',
    sku            text        NOT NULL,
    name           text        NOT NULL,
    name_ms        text        NULL,
    name_zh        text        NULL,
    category       text        NOT NULL,
    description    text        NOT NULL DEFAULT '',
    attributes     jsonb       NOT NULL DEFAULT '{}',
    active         boolean     NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, sku),
    CHECK (jsonb_typeof(attributes) = 'object')
);
CREATE INDEX products_category_idx ON products (tenant_id, category);
CREATE INDEX products_name_fts_idx ON products USING gin (to_tsvector('simple', name));
CREATE INDEX products_name_all_fts_idx ON products
    USING gin (to_tsvector('simple', name || ' ' || coalesce(name_ms, '') || ' ' || coalesce(name_zh, '')));

-- Loyalty programme tiers. A customer's tier follows the points earned in the
-- last 12 months (min_points); perks are display strings for the assistant.
CREATE TABLE loyalty_tiers (
    tenant_id      text        NOT NULL DEFAULT 'demo',
    tier           text        NOT NULL CHECK (tier IN ('bronze', 'silver', 'gold', 'platinum')),
    rank           smallint    NOT NULL,
    min_points     integer     NOT NULL CHECK (min_points >= 0),
    earn_rate      numeric(4,2) NOT NULL DEFAULT 1.00 CHECK (earn_rate > 0), -- points per RM 1 spent
    perks          jsonb       NOT NULL DEFAULT '[]',
    PRIMARY KEY (tenant_id, tier),
    CHECK (jsonb_typeof(perks) = 'array')
);

CREATE TABLE customers (
    tenant_id      text        NOT NULL DEFAULT 'demo',
    customer_id    text        NOT NULL,
    name           text        NOT NULL,
    email          text        NOT NULL,
    phone          text        NULL,
    locale         text        NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'ms', 'zh')),
    loyalty_tier   text        NOT NULL DEFAULT 'bronze'
                               CHECK (loyalty_tier IN ('bronze', 'silver', 'gold', 'platinum')),
    loyalty_points integer     NOT NULL DEFAULT 0 CHECK (loyalty_points >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, customer_id),
    FOREIGN KEY (tenant_id, loyalty_tier) REFERENCES loyalty_tiers (tenant_id, tier)
);
-- E-mail is unique per tenant, case-insensitively; look up with lower(email).
CREATE UNIQUE INDEX customers_email_uidx ON customers (tenant_id, lower(email));
CREATE INDEX customers_phone_idx ON customers (tenant_id, phone);

-- Orders. customer_id is NULL for guest checkouts: guests look orders up by
-- order_id + email. carrier/tracking_no are set once an order ships.
CREATE TABLE orders (
    tenant_id       text        NOT NULL DEFAULT 'demo',
    order_id        text        NOT NULL CHECK (order_id ~ '^ORD-[0-9]{6}$'),
    customer_id     text        NULL,
    email           text        NOT NULL,
    status          text        NOT NULL
                                CHECK (status IN ('paid', 'packed', 'shipped', 'delivered', 'cancelled', 'returned')),
    fulfilment      text        NOT NULL DEFAULT 'delivery' CHECK (fulfilment IN ('delivery', 'click_collect')),
    pickup_store_id text        NULL,
    payment_method  text        NOT NULL DEFAULT 'card'
                                CHECK (payment_method IN ('fpx', 'card', 'ewallet', 'bnpl', 'cod', 'in_store')),
    subtotal_sen    bigint      NOT NULL CHECK (subtotal_sen >= 0),
    discount_sen    bigint      NOT NULL DEFAULT 0 CHECK (discount_sen >= 0),
    delivery_fee_sen bigint     NOT NULL DEFAULT 0 CHECK (delivery_fee_sen >= 0),
    total_sen       bigint      NOT NULL CHECK (total_sen >= 0),
    currency        text        NOT NULL DEFAULT 'MYR',
    promo_code      text        NULL,
    placed_at       timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    shipped_at      timestamptz NULL,
    delivered_at    timestamptz NULL,
    carrier         text        NULL,
    tracking_no     text        NULL,
    delivery_address_city  text NULL,
    delivery_address_state text NULL,
    PRIMARY KEY (tenant_id, order_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id),
    FOREIGN KEY (tenant_id, pickup_store_id) REFERENCES stores (tenant_id, store_id),
    CHECK (updated_at >= placed_at),
    CHECK (fulfilment = 'delivery' OR pickup_store_id IS NOT NULL),
    -- A delivered parcel or a shipped one has a carrier and tracking number.
    CHECK (fulfilment <> 'delivery' OR status NOT IN ('shipped', 'delivered')
           OR (carrier IS NOT NULL AND tracking_no IS NOT NULL))
);
CREATE INDEX orders_customer_idx ON orders (tenant_id, customer_id, placed_at DESC);
CREATE INDEX orders_email_idx ON orders (tenant_id, lower(email), placed_at DESC);
CREATE INDEX orders_status_idx ON orders (tenant_id, status, placed_at DESC);
CREATE INDEX orders_tracking_idx ON orders (tenant_id, tracking_no) WHERE tracking_no IS NOT NULL;

CREATE TABLE order_items (
    tenant_id      text        NOT NULL DEFAULT 'demo',
    order_id       text        NOT NULL,
    line_no        smallint    NOT NULL CHECK (line_no > 0),
    sku            text        NOT NULL,
    qty            integer     NOT NULL CHECK (qty > 0),
    unit_price_sen bigint      NOT NULL CHECK (unit_price_sen >= 0),
    PRIMARY KEY (tenant_id, order_id, line_no),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, sku) REFERENCES products (tenant_id, sku)
);
CREATE INDEX order_items_sku_idx ON order_items (tenant_id, sku);

-- Return requests. created_turn_id is the chat turn that opened the request:
-- a redelivered Kafka event inserts nothing (INSERT ... ON CONFLICT DO NOTHING).
-- It is NULL for returns opened in store or by staff.
CREATE TABLE returns (
    tenant_id       text        NOT NULL DEFAULT 'demo',
    return_id       text        NOT NULL,
    order_id        text        NOT NULL,
    sku             text        NOT NULL,
    qty             integer     NOT NULL DEFAULT 1 CHECK (qty > 0),
    reason          text        NOT NULL,
    status          text        NOT NULL DEFAULT 'requested'
                                CHECK (status IN ('requested', 'approved', 'received', 'refunded', 'rejected', 'cancelled')),
    refund_sen      bigint      NOT NULL DEFAULT 0 CHECK (refund_sen >= 0),
    created_turn_id text        NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, return_id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id)
);
CREATE INDEX returns_order_idx ON returns (tenant_id, order_id);

-- Promotions. discount_kind/discount_value:
--   percent        value = percent off (1..100)
--   amount         value = sen off the order (or each qualifying item)
--   free_delivery  value = 0
--   free_assembly  value = 0
--   bonus_points   value = points multiplier x100 (200 = double points)
-- applies_to_kind: all (sitewide), category (applies_to = category slugs), sku (applies_to = SKUs).
CREATE TABLE promotions (
    tenant_id       text        NOT NULL DEFAULT 'demo',
    promo_id        text        NOT NULL,
    title           text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    discount_kind   text        NOT NULL
                                CHECK (discount_kind IN ('percent', 'amount', 'free_delivery', 'free_assembly', 'bonus_points')),
    discount_value  integer     NOT NULL DEFAULT 0 CHECK (discount_value >= 0),
    min_spend_sen   bigint      NOT NULL DEFAULT 0 CHECK (min_spend_sen >= 0),
    applies_to_kind text        NOT NULL DEFAULT 'all' CHECK (applies_to_kind IN ('all', 'category', 'sku')),
    applies_to      text[]      NOT NULL DEFAULT '{}',
    min_tier        text        NULL CHECK (min_tier IN ('bronze', 'silver', 'gold', 'platinum')),
    code            text        NULL,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, promo_id),
    CHECK (ends_at > starts_at),
    CHECK (discount_kind <> 'percent' OR discount_value BETWEEN 1 AND 100),
    CHECK (applies_to_kind = 'all' OR cardinality(applies_to) > 0)
);
CREATE UNIQUE INDEX promotions_code_uidx ON promotions (tenant_id, upper(code)) WHERE code IS NOT NULL;
CREATE INDEX promotions_window_idx ON promotions (tenant_id, starts_at, ends_at);
