-- Customers, handymen and installation jobs. Every row belongs to one partner and every lookup names it:
-- the primary keys lead with partner_id. `version` is the aggregate_version of the entity's last event.
CREATE TABLE customers (
    partner_id text        NOT NULL,
    id         text        NOT NULL,
    name       text        NOT NULL,
    email      text        NOT NULL,
    active     boolean     NOT NULL,
    version    integer     NOT NULL CHECK (version >= 1),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, id)
);

CREATE TABLE handymen (
    partner_id     text        NOT NULL,
    id             text        NOT NULL,
    name           text        NOT NULL,
    availability   text        NOT NULL CHECK (availability IN ('AVAILABLE', 'BUSY', 'OFF_DUTY')),
    certifications text[]      NOT NULL,
    skills         jsonb       NOT NULL,
    version        integer     NOT NULL CHECK (version >= 1),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, id)
);

CREATE TABLE installations (
    partner_id    text        NOT NULL,
    id            text        NOT NULL,
    customer_id   text        NOT NULL,
    handyman_id   text,
    device_type   text        NOT NULL,
    products      jsonb       NOT NULL,
    price_cents   bigint      NOT NULL CHECK (price_cents >= 0),
    scheduled_for timestamptz NOT NULL,
    status        text        NOT NULL,
    version       integer     NOT NULL CHECK (version >= 1),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, id),
    FOREIGN KEY (partner_id, customer_id) REFERENCES customers (partner_id, id),
    FOREIGN KEY (partner_id, handyman_id) REFERENCES handymen (partner_id, id)
);
CREATE INDEX installations_by_customer ON installations (partner_id, customer_id);
CREATE INDEX installations_by_handyman ON installations (partner_id, handyman_id);
