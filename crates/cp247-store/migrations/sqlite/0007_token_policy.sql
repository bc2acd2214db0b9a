-- cp247 store, migration 0007 (SQLite variant): API tokens expire, and each says how it came
-- into being and who issued it (ADR 0020).
-- Differs from postgres/0007_token_policy.sql only in MAX(…) for GREATEST(…) and in keeping the
-- column defaults (SQLite cannot drop a default; the store always writes the three columns).
--
-- origin: 'session' (a person, for their own account, from their signed-in web session),
--         'admin' (an administrator's monitor token), 'operator' (the host operator, through the
--         node's socket or with the node stopped), 'legacy' (issued before this migration).
-- issued_by: the audit actor who issued it ('unrecorded' for legacy tokens: the audit log's
--         token_issue entries name them).

ALTER TABLE api_tokens ADD COLUMN expires_at_us BIGINT NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN origin TEXT NOT NULL DEFAULT 'legacy';
ALTER TABLE api_tokens ADD COLUMN issued_by TEXT NOT NULL DEFAULT 'unrecorded';

-- Tokens issued before expiry existed live 90 days (the default lifetime) from the last moment
-- this database recorded anything before the upgrade (its newest audit entry, token use or
-- token issue), which is when the node last ran: an upgrade never cuts off a working
-- integration at once, and no old token lives for ever. The migration reads no clock.
UPDATE api_tokens SET expires_at_us = 7776000000000 + MAX(
    created_at_us,
    COALESCE(last_used_at_us, 0),
    COALESCE((SELECT MAX(at_us) FROM audit_log), 0),
    COALESCE((SELECT MAX(created_at_us) FROM api_tokens), 0)
);

CREATE INDEX api_tokens_by_account ON api_tokens (account_id);
