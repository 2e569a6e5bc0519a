-- Credit applications now keep their Idempotency-Keys in the shared table (002_idempotent_requests.sql,
-- applied before this one); the keys already answered move there, so their retries still replay.
INSERT INTO idempotent_requests (partner_id, key, command, request_hash, status, response, created_at)
SELECT partner_id, key, 'apply_credit', request_hash, status, response, created_at FROM idempotency_keys;
DROP TABLE idempotency_keys;
