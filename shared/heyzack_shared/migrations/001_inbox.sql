-- The inbox of a service that consumes events: what it processed and where each partition resumes,
-- committed in the same transaction as the effects (a redelivered event is a no-op).
CREATE TABLE inbox_processed (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE inbox_positions (
    consumer    text    NOT NULL,
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    PRIMARY KEY (consumer, topic, partition)
);
