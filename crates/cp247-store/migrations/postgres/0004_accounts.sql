-- Accounts of people (and of API-only service users), their recovery codes and web sessions.
-- API tokens now belong to an account and carry its role.

CREATE TABLE accounts (
    id              BIGINT NOT NULL PRIMARY KEY,
    username        TEXT   NOT NULL UNIQUE,
    display_name    TEXT   NOT NULL,
    role            TEXT   NOT NULL,
    -- Argon2id PHC string; NULL for an API-only account (it cannot sign in to the web).
    password_phc    TEXT   NULL,
    -- Base32 TOTP secret; NULL until set (an account without one cannot sign in to the web).
    totp_secret     TEXT   NULL,
    -- The last TOTP time step accepted, so that a code is never accepted twice.
    totp_last_step  BIGINT NULL,
    lang            TEXT   NULL,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    locked_until_us BIGINT NULL,
    created_at_us   BIGINT NOT NULL,
    disabled_at_us  BIGINT NULL
);

CREATE TABLE recovery_codes (
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    code_sha256 TEXT   NOT NULL,
    used_at_us  BIGINT NULL,
    PRIMARY KEY (account_id, code_sha256)
);

-- Only the SHA-256 of a session id is stored: a copy of the database opens no session.
CREATE TABLE web_sessions (
    id_sha256       TEXT   NOT NULL PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    stage           TEXT   NOT NULL,
    created_at_us   BIGINT NOT NULL,
    last_seen_at_us BIGINT NOT NULL,
    ended_at_us     BIGINT NULL
);

CREATE INDEX web_sessions_account ON web_sessions (account_id);

ALTER TABLE api_tokens ADD COLUMN account_id BIGINT NULL REFERENCES accounts (id);

-- Every token issued before accounts existed gets an API-only account of its own, with the
-- token's role ('admin' is now 'administrator'), so that no token changes what it may do.
INSERT INTO accounts (id, username, display_name, role, created_at_us)
    SELECT id, 'token-' || name, name,
           CASE role WHEN 'admin' THEN 'administrator' ELSE role END, created_at_us
    FROM api_tokens;

UPDATE api_tokens SET account_id = id;
