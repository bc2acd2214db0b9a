-- cp247 store, migration 0001 (SQLite variant). Append-only: never edit once released; add 0002.
-- Differs from postgres/0001_init.sql only in the byte type (BLOB vs BYTEA) and in the trigger
-- syntax; tests/schema.rs checks that both produce the same logical schema.

CREATE TABLE tickets (
    id                TEXT   NOT NULL PRIMARY KEY,
    our_role          TEXT   NOT NULL CHECK (our_role IN ('requester', 'requested')),
    our_party         TEXT   NOT NULL,
    counterpart_party TEXT   NOT NULL,
    kind              TEXT   NOT NULL,
    state             TEXT   NOT NULL,
    urgency           TEXT   NOT NULL CHECK (urgency IN ('routine', 'urgent', 'emergency')),
    title             TEXT   NOT NULL,
    reference         TEXT   NULL,
    created_at_us     BIGINT NOT NULL,
    updated_at_us     BIGINT NOT NULL,
    version           BIGINT NOT NULL
);
CREATE INDEX tickets_by_created ON tickets (created_at_us, id);
CREATE INDEX tickets_by_counterpart ON tickets (counterpart_party, created_at_us);

CREATE TABLE messages (
    sender_party     TEXT   NOT NULL,
    message_id       TEXT   NOT NULL,
    sender_point     TEXT   NOT NULL CHECK (sender_point IN ('primary', 'alternate')),
    direction        TEXT   NOT NULL CHECK (direction IN ('in', 'out')),
    ticket_id        TEXT   NOT NULL REFERENCES tickets (id),
    recipient_party  TEXT   NOT NULL,
    recipient_point  TEXT   NOT NULL CHECK (recipient_point IN ('primary', 'alternate')),
    message_type     TEXT   NOT NULL,
    written_at_us    BIGINT NOT NULL,
    written_offset_s BIGINT NOT NULL,
    stored_at_us     BIGINT NOT NULL,
    sealed           BLOB   NOT NULL,
    sealed_sha256    TEXT   NOT NULL,
    payload_json     TEXT   NOT NULL,
    PRIMARY KEY (sender_party, message_id)
);
CREATE INDEX messages_by_ticket ON messages (ticket_id, stored_at_us);

CREATE TABLE outbox (
    message_id           TEXT   NOT NULL PRIMARY KEY,
    sender_party         TEXT   NOT NULL,
    ticket_id            TEXT   NOT NULL REFERENCES tickets (id),
    peer_party           TEXT   NOT NULL,
    peer_point           TEXT   NOT NULL CHECK (peer_point IN ('primary', 'alternate')),
    priority             BIGINT NOT NULL,
    state                TEXT   NOT NULL
        CHECK (state IN ('queued', 'in_flight', 'delivered', 'retrying', 'undeliverable')),
    attempts             BIGINT NOT NULL,
    next_attempt_at_us   BIGINT NOT NULL,
    lease_until_us       BIGINT NULL,
    leased_by            TEXT   NULL,
    last_attempt_at_us   BIGINT NULL,
    last_error           TEXT   NULL,
    first_queued_at_us   BIGINT NOT NULL,
    delivered_at_us      BIGINT NULL,
    receipt              BLOB   NULL,
    undeliverable_reason TEXT   NULL,
    FOREIGN KEY (sender_party, message_id) REFERENCES messages (sender_party, message_id)
);
CREATE INDEX outbox_by_due ON outbox (state, next_attempt_at_us);
CREATE INDEX outbox_by_peer ON outbox (peer_party, state);
CREATE INDEX outbox_by_ticket ON outbox (ticket_id, first_queued_at_us);

CREATE TABLE inbox (
    sender_party   TEXT   NOT NULL,
    message_id     TEXT   NOT NULL,
    received_at_us BIGINT NOT NULL,
    receipt        BLOB   NOT NULL,
    PRIMARY KEY (sender_party, message_id),
    FOREIGN KEY (sender_party, message_id) REFERENCES messages (sender_party, message_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE audit_log (
    seq       BIGINT NOT NULL PRIMARY KEY,
    at_us     BIGINT NOT NULL,
    actor     TEXT   NOT NULL,
    action    TEXT   NOT NULL,
    ticket_id TEXT   NULL,
    result    TEXT   NOT NULL,
    details   TEXT   NOT NULL,
    prev_hash TEXT   NOT NULL,
    hash      TEXT   NOT NULL UNIQUE
);
CREATE INDEX audit_log_by_ticket ON audit_log (ticket_id, seq);

CREATE TABLE audit_head (
    id   BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT   NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_checkpoints (
    seq          BIGINT NOT NULL PRIMARY KEY,
    head_hash    TEXT   NOT NULL,
    signature    TEXT   NOT NULL,
    signed_at_us BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id              BIGINT NOT NULL PRIMARY KEY,
    name            TEXT   NOT NULL UNIQUE,
    role            TEXT   NOT NULL,
    token_sha256    TEXT   NOT NULL UNIQUE,
    created_at_us   BIGINT NOT NULL,
    revoked_at_us   BIGINT NULL,
    last_used_at_us BIGINT NULL
);

CREATE TABLE directory_state (
    id              BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    serial          BIGINT NOT NULL,
    document        BLOB   NOT NULL,
    document_sha256 TEXT   NOT NULL,
    signature       TEXT   NULL,
    fetched_at_us   BIGINT NOT NULL
);

CREATE TABLE peer_state (
    party              TEXT   NOT NULL PRIMARY KEY,
    last_contact_at_us BIGINT NULL,
    last_error         TEXT   NULL,
    last_error_at_us   BIGINT NULL,
    clock_skew_ms      BIGINT NULL,
    updated_at_us      BIGINT NOT NULL
);

-- The audit log and its checkpoints are append-only, enforced by the database itself.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;
-- A new entry must follow the head: next sequence number, previous hash = head hash.
CREATE TRIGGER audit_log_links_to_head BEFORE INSERT ON audit_log
WHEN NOT EXISTS (
    SELECT 1 FROM audit_head WHERE id = 1 AND seq + 1 = NEW.seq AND hash = NEW.prev_hash
)
BEGIN
    SELECT RAISE(ABORT, 'audit_log entry does not follow the chain head');
END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only: DELETE refused');
END;
-- The head only moves forward, one entry at a time, onto an entry that exists.
CREATE TRIGGER audit_head_moves_forward BEFORE UPDATE ON audit_head
WHEN NOT (
    (NEW.id = OLD.id AND NEW.seq = OLD.seq AND NEW.hash = OLD.hash)
    OR (NEW.id = OLD.id AND NEW.seq = OLD.seq + 1
        AND EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash))
)
BEGIN
    SELECT RAISE(ABORT, 'audit_head may only advance to the newest audit_log entry');
END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit_head cannot be deleted');
END;
