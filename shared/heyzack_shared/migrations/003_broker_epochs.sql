-- The broker epoch (heyzack_shared.broker_watch) that what a service keeps about the broker refers to:
-- `outbox` for the outbox rows marked sent, `inbox:<consumer>` for a consumer's positions. Another epoch
-- than the broker's means the broker no longer holds those logs: the rows are published again, the
-- positions forgotten.
CREATE TABLE broker_epochs (
    owner       text        PRIMARY KEY,
    epoch       text        NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
