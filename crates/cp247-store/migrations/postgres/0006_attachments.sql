-- cp247 store, migration 0006 (PostgreSQL variant): the files carried in sealed messages.
-- Differs from sqlite/0006_attachments.sql only in the byte type (BLOB vs BYTEA).
--
-- The sealed bytes in messages stay the evidence (they carry the files, signed); these rows
-- are the files decoded once, so that officers can list and download them without opening the
-- message again. messages.payload_json holds the header and body without the files; the rows
-- below, in index order, complete it to the signed payload.

CREATE TABLE message_attachments (
    sender_party TEXT   NOT NULL,
    message_id   TEXT   NOT NULL,
    idx          BIGINT NOT NULL CHECK (idx >= 0),
    file_name    TEXT   NOT NULL,
    media_type   TEXT   NOT NULL,
    size_bytes   BIGINT NOT NULL CHECK (size_bytes >= 0),
    sha256       TEXT   NOT NULL,
    content      BYTEA  NOT NULL,
    PRIMARY KEY (sender_party, message_id, idx),
    FOREIGN KEY (sender_party, message_id) REFERENCES messages (sender_party, message_id)
);
