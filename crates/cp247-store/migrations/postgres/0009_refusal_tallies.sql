-- Refused unauthenticated posts, counted instead of logged one by one (issue #10, ADR 0026).
--
-- Every message a stranger posts to the federation endpoint and the node refuses used to add
-- its own audit entry, so anyone could grow the evidence log without bound. Now each refusal
-- adds one to the tally of its (interval, source, code); when the interval is over, the node
-- writes one audit entry per tally with its count and removes the tally. At most a configured
-- number of (source, code) tallies exist per interval; refusals beyond go to the one overflow
-- tally of the interval (source and code '*').

CREATE TABLE refusal_tallies (
    -- The interval's start (unix microseconds, a multiple of the interval's length).
    interval_start_us BIGINT NOT NULL,
    -- The interval's length, so that the entry states its end even if the setting changes.
    interval_us       BIGINT NOT NULL,
    -- Where the posts came from: an IPv4 address or an IPv6 /64 prefix ('*': the overflow).
    source            TEXT   NOT NULL,
    -- The refusal code (docs/protocol/federation.md; '*': the overflow).
    code              TEXT   NOT NULL,
    -- Refusals counted, and the first and last of them.
    count             BIGINT NOT NULL,
    first_at_us       BIGINT NOT NULL,
    last_at_us        BIGINT NOT NULL,
    -- The first refusal's facts as JSON (claimed sender, hash and size of the bytes, reason).
    first_details     TEXT   NOT NULL,
    PRIMARY KEY (interval_start_us, source, code)
);
