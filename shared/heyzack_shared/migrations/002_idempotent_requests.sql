-- Idempotency-Keys of creating commands (heyzack_shared.idempotency), one row per partner and key: the
-- command and body fingerprint it was first used with, and the answer, written in the transaction of the
-- effect it answers for (status and response are set before that transaction commits).
CREATE TABLE idempotent_requests (
    partner_id   text        NOT NULL,
    key          text        NOT NULL,
    command      text        NOT NULL,
    request_hash text        NOT NULL,
    status       integer,
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, key)
);
