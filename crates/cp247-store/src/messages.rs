//! Messages in both directions: the exact sealed bytes (evidence, never modified), their
//! SHA-256, the verified payload JSON (header and body) for our own use, and the files the
//! message carries (`message_attachments`, decoded once, listed and downloaded without opening
//! the message again).

use std::collections::HashMap;
use std::fmt;

use cp247_domain::{Address, Instant, MessageId, PartyCode, TicketId, Urgency};
use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::codec::{
    self, get, get_address, get_ts, instant_from, parse_col, point_str, sha256_hex, token_type, us,
};
use crate::error::{StoreError, check_size, is_unique_violation};
use crate::options::{Page, Paged, StoreOptions};
use crate::store::{Store, Tx};
use crate::tickets::Viewer;

token_type!(
    /// The type of a message (`request`, `acknowledgement`, `reply`, …), named by the
    /// federation protocol.
    MessageType,
    "message type",
    64
);

/// Which way a message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Received from a peer.
    In,
    /// Sent by this node.
    Out,
}

impl Direction {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "in" => Ok(Direction::In),
            "out" => Ok(Direction::Out),
            other => Err(format!("'{other}' is not in or out")),
        }
    }
}

/// A file carried in a message, stored with it (its size and SHA-256 are computed by the
/// store). `Debug` shows only its size.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// The file name (already checked by the seal crate's `FileName`).
    pub file_name: String,
    /// The media type.
    pub media_type: String,
    /// The bytes.
    pub content: Vec<u8>,
}

impl fmt::Debug for NewAttachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NewAttachment(<{} bytes>)", self.content.len())
    }
}

/// What a stored file is, without its bytes. `Debug` does not show the file name (it may say
/// what the case is about).
#[derive(Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    /// Its position in the message (from 0).
    pub index: u32,
    /// The file name.
    pub file_name: String,
    /// The media type, as the sender gave it.
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
}

impl fmt::Debug for AttachmentInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttachmentInfo")
            .field("index", &self.index)
            .field("size", &self.size)
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

/// A stored file with its bytes (checked against the stored SHA-256 when read).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    /// What it is.
    pub info: AttachmentInfo,
    /// The message it came with.
    pub message_id: MessageId,
    /// Which way that message travelled.
    pub direction: Direction,
    /// The bytes.
    pub content: Vec<u8>,
}

impl fmt::Debug for StoredAttachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredAttachment")
            .field("info", &self.info)
            .field("message_id", &self.message_id)
            .field("direction", &self.direction)
            .finish_non_exhaustive()
    }
}

/// A message this node sends: stored and queued for delivery in one step
/// ([`Tx::insert_outgoing`]).
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// Its id.
    pub id: MessageId,
    /// The ticket it belongs to (which must exist).
    pub ticket: TicketId,
    /// This node's address.
    pub sender: Address,
    /// The peer's address.
    pub recipient: Address,
    /// Its type.
    pub message_type: MessageType,
    /// The instant written in its header, with the offset it was written in.
    pub written_at: Instant,
    /// The exact sealed bytes, as they will go on the wire.
    pub sealed: Vec<u8>,
    /// The payload as JSON, without the attachments' contents (header and body).
    pub payload_json: String,
    /// The files the message carries, in order.
    pub attachments: Vec<NewAttachment>,
    /// Urgent and emergency messages are sent before routine ones.
    pub urgency: Urgency,
    /// When it was queued; the first attempt is due then.
    pub queued_at: Timestamp,
}

/// A message received from a peer, after its signature was verified (see
/// [`Tx::accept_incoming`](crate::Tx::accept_incoming)).
#[derive(Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    /// Its id (chosen by the sender).
    pub id: MessageId,
    /// The ticket it belongs to.
    pub ticket: TicketId,
    /// The verified sender.
    pub sender: Address,
    /// This node's address it was sent to.
    pub recipient: Address,
    /// Its type.
    pub message_type: MessageType,
    /// The instant written in its header, with the sender's offset.
    pub written_at: Instant,
    /// The exact bytes as received.
    pub sealed: Vec<u8>,
    /// The verified payload as JSON, without the attachments' contents (header and body).
    pub payload_json: String,
    /// The files the message carries, in order (their hashes verified by the seal crate).
    pub attachments: Vec<NewAttachment>,
    /// The signed receipt this node returns for it.
    pub receipt: Vec<u8>,
    /// When it was received.
    pub received_at: Timestamp,
}

/// A stored message.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Its id.
    pub id: MessageId,
    /// The ticket.
    pub ticket: TicketId,
    /// Which way.
    pub direction: Direction,
    /// Sender.
    pub sender: Address,
    /// Recipient.
    pub recipient: Address,
    /// Its type.
    pub message_type: MessageType,
    /// The header's instant, with its offset.
    pub written_at: Instant,
    /// When this node stored it.
    pub stored_at: Timestamp,
    /// The exact sealed bytes.
    pub sealed: Vec<u8>,
    /// Hex SHA-256 of `sealed`.
    pub sealed_sha256: String,
    /// The verified payload JSON (header and body).
    pub payload_json: String,
    /// The files the message carries, in order (without their bytes).
    pub attachments: Vec<AttachmentInfo>,
}

macro_rules! redacted_debug {
    ($name:ident { $($field:ident),* } redact { $($secret:ident),* }) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    $(.field(stringify!($field), &self.$field))*
                    $(.field(stringify!($secret), &format_args!("<{} bytes>", self.$secret.len())))*
                    .finish()
            }
        }
    };
}

redacted_debug!(OutgoingMessage { id, ticket, sender, recipient, message_type, written_at,
    attachments, urgency, queued_at } redact { sealed, payload_json });
redacted_debug!(IncomingMessage { id, ticket, sender, recipient, message_type, written_at,
    attachments, received_at } redact { sealed, payload_json, receipt });
redacted_debug!(StoredMessage { id, ticket, direction, sender, recipient, message_type,
    written_at, stored_at, sealed_sha256, attachments } redact { sealed, payload_json });

/// The parts of a message row, whichever direction.
pub(crate) struct MessageRow<'a> {
    pub id: &'a MessageId,
    pub ticket: &'a TicketId,
    pub direction: Direction,
    pub sender: Address,
    pub recipient: Address,
    pub message_type: &'a MessageType,
    pub written_at: Instant,
    pub stored_at: Timestamp,
    pub sealed: &'a [u8],
    pub payload_json: &'a str,
    pub attachments: &'a [NewAttachment],
}

/// Checks sizes, that the payload is JSON, and the attachments' count, sizes, names and media
/// types.
pub(crate) fn check_message(
    opts: &StoreOptions,
    sealed: &[u8],
    payload_json: &str,
    attachments: &[NewAttachment],
) -> Result<(), StoreError> {
    if attachments.len() > opts.max_attachments {
        return Err(StoreError::invalid(
            "the attachments",
            format!(
                "there are {}; at most {} are accepted",
                attachments.len(),
                opts.max_attachments
            ),
        ));
    }
    let mut total = 0usize;
    for a in attachments {
        check_size("an attachment", a.content.len(), opts.max_attachment_bytes)?;
        total = total.saturating_add(a.content.len());
        codec::check_line("an attachment's file name", &a.file_name, 255)?;
        codec::check_line("an attachment's media type", &a.media_type, 255)?;
    }
    check_size(
        "the attachments together",
        total,
        opts.max_attachments_total_bytes,
    )?;
    check_size("the sealed message", sealed.len(), opts.max_message_bytes)?;
    if sealed.is_empty() {
        return Err(StoreError::invalid("the sealed message", "it is empty"));
    }
    check_size(
        "the payload JSON",
        payload_json.len(),
        opts.max_payload_bytes,
    )?;
    serde_json::from_str::<serde::de::IgnoredAny>(payload_json)
        .map_err(|e| StoreError::invalid("the payload JSON", format!("it is not JSON: {e}")))?;
    Ok(())
}

pub(crate) async fn insert(conn: &mut AnyConnection, m: &MessageRow<'_>) -> Result<(), StoreError> {
    // The ticket must be shared between exactly these two Parties: our side of the message is
    // the ticket's own Party, the other side its counterpart. Checked inside the statement, so
    // a message can never be attached to another Party's ticket.
    let (ours, theirs) = match m.direction {
        Direction::Out => (m.sender.party, m.recipient.party),
        Direction::In => (m.recipient.party, m.sender.party),
    };
    let inserted = sqlx::query(
        "INSERT INTO messages (sender_party, message_id, sender_point, direction, ticket_id, \
         recipient_party, recipient_point, message_type, written_at_us, written_offset_s, \
         stored_at_us, sealed, sealed_sha256, payload_json) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 \
         WHERE EXISTS (SELECT 1 FROM tickets WHERE id = $5 AND our_party = $15 \
                       AND counterpart_party = $16)",
    )
    .bind(m.sender.party.as_str())
    .bind(m.id.to_string())
    .bind(point_str(m.sender.point))
    .bind(m.direction.as_str())
    .bind(m.ticket.as_str())
    .bind(m.recipient.party.as_str())
    .bind(point_str(m.recipient.point))
    .bind(m.message_type.as_str())
    .bind(us(m.written_at.timestamp()))
    .bind(i64::from(m.written_at.offset().seconds()))
    .bind(us(m.stored_at))
    .bind(m.sealed)
    .bind(sha256_hex(m.sealed))
    .bind(m.payload_json)
    .bind(ours.as_str())
    .bind(theirs.as_str())
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict {
                what: "message",
                key: m.id.to_string(),
                reason: format!(
                    "a message from {} with this id is already stored",
                    m.sender.party
                ),
            }
        } else {
            StoreError::Database {
                op: "storing a message",
                source: e,
            }
        }
    })?
    .rows_affected();
    if inserted != 1 {
        // Missing, or not shared between these Parties: the same answer.
        return Err(StoreError::NotFound {
            what: "ticket",
            key: m.ticket.to_string(),
        });
    }
    for (index, a) in m.attachments.iter().enumerate() {
        sqlx::query(
            "INSERT INTO message_attachments (sender_party, message_id, idx, file_name, \
             media_type, size_bytes, sha256, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(m.sender.party.as_str())
        .bind(m.id.to_string())
        .bind(i64::try_from(index).unwrap_or(i64::MAX))
        .bind(a.file_name.as_str())
        .bind(a.media_type.as_str())
        .bind(i64::try_from(a.content.len()).unwrap_or(i64::MAX))
        .bind(sha256_hex(&a.content))
        .bind(a.content.as_slice())
        .execute(&mut *conn)
        .await
        .map_err(StoreError::db("storing a message's attachment"))?;
    }
    Ok(())
}

const ATTACHMENT_COLUMNS: &str =
    "a.sender_party, a.message_id, a.idx, a.file_name, a.media_type, a.size_bytes, a.sha256";

/// One attachment row's description and the key of its message (sender Party, message id).
fn attachment_from_row(row: &AnyRow) -> Result<((String, String), AttachmentInfo), StoreError> {
    const T: &str = "message_attachments";
    let party: String = get(row, T, "sender_party", &"?")?;
    let message: String = get(row, T, "message_id", &"?")?;
    let key = format!("{party}/{message}");
    let k = &key as &(dyn fmt::Display + Sync);
    let index: i64 = get(row, T, "idx", k)?;
    let size: i64 = get(row, T, "size_bytes", k)?;
    let info = AttachmentInfo {
        index: u32::try_from(index)
            .map_err(|_| StoreError::corrupt(T, "idx", key.clone(), "out of range"))?,
        file_name: get(row, T, "file_name", k)?,
        media_type: get(row, T, "media_type", k)?,
        size: u64::try_from(size)
            .map_err(|_| StoreError::corrupt(T, "size_bytes", key.clone(), "negative"))?,
        sha256: get(row, T, "sha256", k)?,
    };
    Ok(((party, message), info))
}

/// The attachments (without bytes) of the messages of `ticket`, by (sender Party, message id),
/// in index order.
async fn attachments_of_ticket(
    conn: &mut AnyConnection,
    ticket: &TicketId,
) -> Result<HashMap<(String, String), Vec<AttachmentInfo>>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM message_attachments a \
         JOIN messages m ON m.sender_party = a.sender_party AND m.message_id = a.message_id \
         WHERE m.ticket_id = $1 ORDER BY a.sender_party, a.message_id, a.idx"
    )))
    .bind(ticket.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::db("listing a ticket's attachments"))?;
    let mut out: HashMap<(String, String), Vec<AttachmentInfo>> = HashMap::new();
    for row in &rows {
        let (key, info) = attachment_from_row(row)?;
        out.entry(key).or_default().push(info);
    }
    Ok(out)
}

/// The attachments (without bytes) of one message, in index order.
async fn attachments_of_message(
    conn: &mut AnyConnection,
    sender: PartyCode,
    id: &MessageId,
) -> Result<Vec<AttachmentInfo>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM message_attachments a \
         WHERE a.sender_party = $1 AND a.message_id = $2 ORDER BY a.idx"
    )))
    .bind(sender.as_str())
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::db("listing a message's attachments"))?;
    rows.iter()
        .map(|r| attachment_from_row(r).map(|(_, info)| info))
        .collect()
}

const COLUMNS: &str = "m.sender_party, m.message_id, m.sender_point, m.direction, m.ticket_id, \
    m.recipient_party, m.recipient_point, m.message_type, m.written_at_us, m.written_offset_s, \
    m.stored_at_us, m.sealed, m.sealed_sha256, m.payload_json";

fn from_row(row: &AnyRow) -> Result<StoredMessage, StoreError> {
    const T: &str = "messages";
    let id_text: String = get(row, T, "message_id", &"?")?;
    let key = &id_text as &(dyn fmt::Display + Sync);
    let ticket: String = get(row, T, "ticket_id", key)?;
    let direction: String = get(row, T, "direction", key)?;
    let message_type: String = get(row, T, "message_type", key)?;
    Ok(StoredMessage {
        id: parse_col(&id_text, MessageId::parse, T, "message_id", key)?,
        ticket: parse_col(&ticket, TicketId::parse, T, "ticket_id", key)?,
        direction: parse_col(&direction, Direction::parse, T, "direction", key)?,
        sender: get_address(row, T, "sender_party", "sender_point", key)?,
        recipient: get_address(row, T, "recipient_party", "recipient_point", key)?,
        message_type: parse_col(&message_type, MessageType::parse, T, "message_type", key)?,
        written_at: instant_from(
            get(row, T, "written_at_us", key)?,
            get(row, T, "written_offset_s", key)?,
            T,
            "written_at_us",
            key,
        )?,
        stored_at: get_ts(row, T, "stored_at_us", key)?,
        sealed: get(row, T, "sealed", key)?,
        sealed_sha256: get(row, T, "sealed_sha256", key)?,
        payload_json: get(row, T, "payload_json", key)?,
        attachments: Vec::new(),
    })
}

impl Tx {
    /// Stores an outgoing message and queues it for delivery, in this unit of work (together
    /// with the ticket change that caused it). A duplicate message id is a
    /// [`StoreError::Conflict`]. The ticket must exist and be shared between the sender's Party
    /// (its own Party) and the recipient's (its counterpart); otherwise the answer is
    /// [`StoreError::NotFound`], as for a missing ticket.
    pub async fn insert_outgoing(&mut self, m: &OutgoingMessage) -> Result<(), StoreError> {
        let r = self.insert_outgoing_inner(m).await;
        self.track(r)
    }

    async fn insert_outgoing_inner(&mut self, m: &OutgoingMessage) -> Result<(), StoreError> {
        check_message(
            self.store.options(),
            &m.sealed,
            &m.payload_json,
            &m.attachments,
        )?;
        let queued = codec::truncate_to_micros(m.queued_at);
        insert(
            self.conn(),
            &MessageRow {
                id: &m.id,
                ticket: &m.ticket,
                direction: Direction::Out,
                sender: m.sender,
                recipient: m.recipient,
                message_type: &m.message_type,
                written_at: m.written_at,
                stored_at: queued,
                sealed: &m.sealed,
                payload_json: &m.payload_json,
                attachments: &m.attachments,
            },
        )
        .await?;
        crate::outbox::enqueue(self.conn(), m, queued).await
    }
}

impl Store {
    /// The message `id` sent by `sender` (a Party: ids are unique per sender).
    pub async fn message(
        &self,
        sender: PartyCode,
        id: &MessageId,
    ) -> Result<StoredMessage, StoreError> {
        let op = "reading a message";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM messages m WHERE m.sender_party = $1 AND m.message_id = $2"
            )))
            .bind(sender.as_str())
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let mut message = match row {
                Some(row) => from_row(&row)?,
                None => {
                    return Err(StoreError::NotFound {
                        what: "message",
                        key: id.to_string(),
                    });
                }
            };
            message.attachments = attachments_of_message(&mut conn, sender, id).await?;
            Ok(message)
        })
        .await
    }

    /// The messages of ticket `ticket` that `viewer` may see, oldest first. A ticket the viewer
    /// may not see yields [`StoreError::NotFound`], like a missing one.
    pub async fn messages_for(
        &self,
        viewer: Viewer,
        ticket: &TicketId,
        page: Page,
    ) -> Result<Paged<StoredMessage>, StoreError> {
        let op = "listing a ticket's messages";
        let (limit, offset) = self.page_bounds(page);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            crate::tickets::find(&mut conn, viewer, ticket).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM messages m WHERE m.ticket_id = $1 \
                 ORDER BY m.stored_at_us, m.message_id LIMIT $2 OFFSET $3"
            )))
            .bind(ticket.as_str())
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
            let mut files = attachments_of_ticket(&mut conn, ticket).await?;
            for m in &mut items {
                if let Some(list) = files.remove(&(m.sender.party.to_string(), m.id.to_string())) {
                    m.attachments = list;
                }
            }
            Ok(crate::store::paged(items, page, limit))
        })
        .await
    }

    /// Attachment `index` of message `message` on ticket `ticket`, with its bytes, if `viewer`
    /// may see the ticket. A ticket the viewer may not see, a message that is not on the
    /// ticket and an index past the end are all [`StoreError::NotFound`] (the same answer, so
    /// that ids cannot be probed). Two messages with the same id on one ticket (possible only
    /// if a peer reused one of our ids) make the request ambiguous: [`StoreError::Conflict`].
    /// The bytes are checked against the stored SHA-256 ([`StoreError::Corrupt`] otherwise).
    pub async fn attachment_for(
        &self,
        viewer: Viewer,
        ticket: &TicketId,
        message: &MessageId,
        index: u32,
    ) -> Result<StoredAttachment, StoreError> {
        let op = "reading an attachment";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            crate::tickets::find(&mut conn, viewer, ticket).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ATTACHMENT_COLUMNS}, a.content, m.direction FROM message_attachments a \
                 JOIN messages m ON m.sender_party = a.sender_party AND m.message_id = a.message_id \
                 WHERE m.ticket_id = $1 AND a.message_id = $2 AND a.idx = $3"
            )))
            .bind(ticket.as_str())
            .bind(message.to_string())
            .bind(i64::from(index))
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let row = match rows.as_slice() {
                [row] => row,
                [] => {
                    return Err(StoreError::NotFound {
                        what: "attachment",
                        key: format!("{message}/{index}"),
                    });
                }
                [..] => {
                    return Err(StoreError::Conflict {
                        what: "attachment",
                        key: format!("{message}/{index}"),
                        reason: "two messages on this ticket have this id".to_owned(),
                    });
                }
            };
            let (key, info) = attachment_from_row(row)?;
            let key_text = format!("{}/{}", key.0, key.1);
            let k = &key_text as &(dyn fmt::Display + Sync);
            const T: &str = "message_attachments";
            let content: Vec<u8> = get(row, T, "content", k)?;
            let direction: String = get(row, "messages", "direction", k)?;
            if sha256_hex(&content) != info.sha256
                || u64::try_from(content.len()).ok() != Some(info.size)
            {
                return Err(StoreError::corrupt(
                    T,
                    "content",
                    key_text,
                    "the bytes do not match the stored size and SHA-256",
                ));
            }
            Ok(StoredAttachment {
                message_id: parse_col(&key.1, MessageId::parse, T, "message_id", k)?,
                direction: parse_col(&direction, Direction::parse, "messages", "direction", k)?,
                info,
                content,
            })
        })
        .await
    }
}
