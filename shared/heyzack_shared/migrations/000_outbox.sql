-- The transactional outbox: every event a service emits, written in the same transaction as the
-- state change. Rows are kept after sending: they are the service's durable record of its events.
CREATE TABLE outbox (
    id                bigserial PRIMARY KEY,
    event_id          uuid        NOT NULL UNIQUE,
    topic             text        NOT NULL,
    message_key       bytea       NOT NULL,
    payload           bytea       NOT NULL,
    aggregate_id      text        NOT NULL,
    aggregate_version integer     NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    sent_at           timestamptz
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
