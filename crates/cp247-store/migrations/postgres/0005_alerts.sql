-- cp247 store, migration 0005 (PostgreSQL variant): the duty-officer alert outbox. Append-only: never edit once
-- released. Identical in both variants (no byte columns, no triggers); tests/schema.rs compares
-- them.

-- One row per alert (cp247_notify::Alert::key(): the same event always has the same key, so it
-- is stored once). Every node keeps its alerts here for the web interface's alerts page (seen
-- or not); with [notify] configured, a worker also sends each one by e-mail and webhook:
-- claimed under a lease, retried with backoff, marked sent and never sent again. `body` is the
-- alert as its webhook JSON (no case content: see cp247-notify's alert module).
CREATE TABLE alerts (
    alert_key          TEXT   NOT NULL PRIMARY KEY,
    node               TEXT   NOT NULL,
    ticket_id          TEXT   NOT NULL REFERENCES tickets (id),
    event              TEXT   NOT NULL,
    body               TEXT   NOT NULL,
    created_at_us      BIGINT NOT NULL,
    seen_at_us         BIGINT NULL,
    seen_by            TEXT   NULL,
    -- off: no channel was configured when it was raised (in-app only).
    delivery           TEXT   NOT NULL
        CHECK (delivery IN ('off', 'pending', 'sent', 'failed')),
    attempts           BIGINT NOT NULL,
    next_attempt_at_us BIGINT NULL,
    lease_until_us     BIGINT NULL,
    -- The channels that took the alert (JSON array: "email:ADDRESS", "webhook"), so that a
    -- retry sends only to the others.
    channels_done      TEXT   NOT NULL,
    sent_at_us         BIGINT NULL,
    last_error         TEXT   NULL
);
CREATE INDEX alerts_by_node ON alerts (node, created_at_us);
CREATE INDEX alerts_due ON alerts (delivery, next_attempt_at_us);
