-- Stored answers are kept for heyzack_shared.idempotency.KEY_RETENTION; this index finds a partner's expired
-- ones, which each new claim of that partner removes (a few at a time).
CREATE INDEX idempotent_requests_by_age ON idempotent_requests (partner_id, created_at);
