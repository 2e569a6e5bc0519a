-- Partner tiers, commission and the credit ledger. Every row belongs to one partner and every lookup names it.

-- One row per partner: the balance and the version of the partner aggregate's last event. Every change of
-- either takes this row's lock (SELECT ... FOR UPDATE), which is what keeps concurrent applications from
-- overdrawing; the CHECK is the last line of defence.
CREATE TABLE partners (
    partner_id    text        PRIMARY KEY,
    balance_cents bigint      NOT NULL DEFAULT 0 CHECK (balance_cents >= 0),
    version       integer     NOT NULL DEFAULT 0 CHECK (version >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Append-only: a trigger refuses every UPDATE, DELETE and TRUNCATE.
CREATE TABLE credit_entries (
    seq                 bigserial   PRIMARY KEY,
    entry_id            text        NOT NULL UNIQUE,
    partner_id          text        NOT NULL REFERENCES partners (partner_id),
    kind                text        NOT NULL CHECK (kind IN ('earned', 'applied')),
    amount_cents        bigint      NOT NULL CHECK (amount_cents > 0),
    balance_after_cents bigint      NOT NULL CHECK (balance_after_cents >= 0),
    shopify_order_ref   text,
    cart_total_cents    bigint      CHECK (cart_total_cents >= 0),
    sale_id             text,
    occurred_at         timestamptz NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (kind = 'earned' OR (shopify_order_ref IS NOT NULL AND cart_total_cents >= amount_cents))
);
CREATE INDEX credit_entries_by_partner ON credit_entries (partner_id, seq DESC);

CREATE FUNCTION credit_entries_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'credit_entries is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER credit_entries_no_update_or_delete BEFORE UPDATE OR DELETE ON credit_entries
    FOR EACH ROW EXECUTE FUNCTION credit_entries_are_immutable();
CREATE TRIGGER credit_entries_no_truncate BEFORE TRUNCATE ON credit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION credit_entries_are_immutable();

-- Every sale recorded, once: the sale id is the installation id or "<order_id>:<line_no>".
CREATE TABLE sales (
    partner_id   text        NOT NULL REFERENCES partners (partner_id),
    sale_id      text        NOT NULL,
    source       text        NOT NULL,
    amount_cents bigint      NOT NULL CHECK (amount_cents >= 0),
    occurred_at  timestamptz NOT NULL,
    month        text        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, sale_id)
);

-- A partner's revenue per business month (YYYY-MM), and the tier it reached.
CREATE TABLE monthly_revenue (
    partner_id  text   NOT NULL REFERENCES partners (partner_id),
    month       text   NOT NULL CHECK (month ~ '^\d{4}-(0[1-9]|1[0-2])$'),
    total_cents bigint NOT NULL CHECK (total_cents >= 0),
    tier        text   NOT NULL,
    PRIMARY KEY (partner_id, month)
);

-- What the credits service learned of installations: the price (from InstallationCreated, last writer by
-- version wins) and when the customer approved; a sale is recorded once both are known.
CREATE TABLE installations (
    partner_id      text        NOT NULL,
    installation_id text        NOT NULL,
    price_cents     bigint      CHECK (price_cents >= 0),
    price_version   integer,
    approved_at     timestamptz,
    PRIMARY KEY (partner_id, installation_id)
);

-- POST /v1/credits/apply idempotency: written in the transaction of the ledger entry it answers for.
CREATE TABLE idempotency_keys (
    partner_id   text        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    status       integer,
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, key)
);
