-- Sign-in throttling that does not lock the owner out (issue #10, ADR 0021).
--
-- The account lock (five failures lock the account for everyone, for 15 minutes, extended by
-- every attempt during the lock) is replaced by throttles per (user name, source) and per
-- source, kept here so that every instance of a node shares them. A lock in force at the
-- upgrade ends with it.

CREATE TABLE sign_in_throttles (
    -- 'pair' (a typed user name from one source) or 'source' (every attempt from one source).
    scope            TEXT   NOT NULL,
    -- pair: hash of the typed user name, a space, the source; source: the source.
    bucket           TEXT   NOT NULL,
    -- The user name, when the typed name is an account's (shown to supervisors); else NULL.
    username         TEXT   NULL,
    -- The source: an IPv4 address or an IPv6 /64 prefix.
    source           TEXT   NOT NULL,
    -- Password-step attempts admitted since the last success or lift (source: both steps),
    -- the current delay and the instant before which no attempt is admitted.
    attempts         BIGINT NOT NULL,
    delay_us         BIGINT NOT NULL,
    next_at_us       BIGINT NOT NULL,
    -- The same for the second-factor step (pair rows only).
    code_attempts    BIGINT NOT NULL,
    code_delay_us    BIGINT NOT NULL,
    code_next_at_us  BIGINT NOT NULL,
    -- The last admitted attempt: a row idle for the forget period starts over, and is removed.
    last_at_us       BIGINT NOT NULL,
    created_at_us    BIGINT NOT NULL,
    -- Set when a person completed sign-in from this pair: kept (and admitted when the table
    -- is full) until then.
    trusted_until_us BIGINT NULL,
    PRIMARY KEY (scope, bucket)
);

CREATE INDEX sign_in_throttles_last_at ON sign_in_throttles (last_at_us);
CREATE INDEX sign_in_throttles_username ON sign_in_throttles (username);

ALTER TABLE accounts DROP COLUMN failed_attempts;
ALTER TABLE accounts DROP COLUMN locked_until_us;
