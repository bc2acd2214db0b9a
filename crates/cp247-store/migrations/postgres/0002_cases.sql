-- cp247 store, migration 0002 (PostgreSQL variant): case work. Append-only: never edit once released.
-- Identical in both variants (no byte columns, no triggers); tests/schema.rs compares them.

-- One row per case (ticket) on this node: the facts it was opened with (cp247_case::Opening as
-- JSON) and how many events it has recorded. The events themselves are in case_events; the
-- case is rebuilt with Case::replay. version guards against two writers: each recorded event
-- moves it from n to n + 1, so a second process that read the same case loses with a conflict.
CREATE TABLE cases (
    ticket_id     TEXT   NOT NULL PRIMARY KEY REFERENCES tickets (id),
    opening       TEXT   NOT NULL,
    state         TEXT   NOT NULL,
    events        BIGINT NOT NULL,
    opened_at_us  BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL
);
CREATE INDEX cases_by_state ON cases (state, ticket_id);

-- Every recorded event of a case, in order (cp247_case::Recorded as JSON), with who caused it
-- and the message it stands for, if any. Only events the transition function accepted.
CREATE TABLE case_events (
    ticket_id  TEXT   NOT NULL REFERENCES cases (ticket_id),
    seq        BIGINT NOT NULL,
    at_us      BIGINT NOT NULL,
    event      TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    state      TEXT   NOT NULL,
    message_id TEXT   NULL,
    actor      TEXT   NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);

-- Reminders that fired: the key (cp247_case::ReminderKey) is unique, so a reminder fires
-- exactly once, across restarts and between processes sharing one PostgreSQL database.
CREATE TABLE reminders (
    reminder_key TEXT   NOT NULL PRIMARY KEY,
    ticket_id    TEXT   NOT NULL REFERENCES tickets (id),
    kind         TEXT   NOT NULL,
    owed_by      TEXT   NOT NULL CHECK (owed_by IN ('requester', 'requested')),
    target_at_us BIGINT NOT NULL,
    fire_at_us   BIGINT NOT NULL,
    fired_at_us  BIGINT NOT NULL
);
CREATE INDEX reminders_by_ticket ON reminders (ticket_id, fired_at_us);

-- Escalations, on both sides: 'out' when this node escalated its request to the other contact
-- point of the requested Party, 'in' when an escalation notice reached this node.
CREATE TABLE escalations (
    ticket_id       TEXT   NOT NULL REFERENCES tickets (id),
    direction       TEXT   NOT NULL CHECK (direction IN ('in', 'out')),
    escalated_at_us BIGINT NOT NULL,
    due_at_us       BIGINT NOT NULL,
    target          TEXT   NOT NULL,
    message_id      TEXT   NULL,
    details         TEXT   NOT NULL,
    PRIMARY KEY (ticket_id, direction)
);

-- The chain of tickets: an extension request or an Art. 31 follow-up names the earlier ticket
-- ('previous'); other tickets a case names are 'related' (an MLA ticket, extensions).
CREATE TABLE ticket_links (
    ticket_id     TEXT NOT NULL REFERENCES tickets (id),
    linked_ticket TEXT NOT NULL,
    relation      TEXT NOT NULL CHECK (relation IN ('previous', 'related')),
    PRIMARY KEY (ticket_id, linked_ticket)
);
CREATE INDEX ticket_links_by_linked ON ticket_links (linked_ticket);
