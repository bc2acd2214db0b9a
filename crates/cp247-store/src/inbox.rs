//! The inbox: verified incoming messages, de-duplicated on (sender Party, message id), so a
//! message delivered several times (at least once on the wire) takes effect exactly once.

use cp247_domain::{MessageId, PartyCode};
use jiff::Timestamp;
use sqlx::AnyConnection;

use crate::audit::AuditRecord;
use crate::codec::{self, get, get_ts, us};
use crate::error::{StoreError, check_size};
use crate::messages::{self, Direction, IncomingMessage, MessageRow};
use crate::store::{Store, Tx};
use crate::tickets::TicketChange;

/// What [`Tx::accept_incoming`] did.
#[derive(Clone, PartialEq, Eq)]
pub enum Accepted {
    /// First delivery: the message, its receipt, the ticket change and the audit entry are
    /// written.
    New,
    /// The message was accepted before: nothing was written; send back the original receipt.
    Duplicate {
        /// The receipt issued the first time.
        receipt: Vec<u8>,
        /// When the message was first received.
        received_at: Timestamp,
    },
}

impl std::fmt::Debug for Accepted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Accepted::New => f.write_str("New"),
            Accepted::Duplicate {
                receipt,
                received_at,
            } => f
                .debug_struct("Duplicate")
                .field("receipt", &format_args!("<{} bytes>", receipt.len()))
                .field("received_at", received_at)
                .finish(),
        }
    }
}

async fn receipt_of(
    conn: &mut AnyConnection,
    sender: PartyCode,
    id: &MessageId,
) -> Result<Option<(Vec<u8>, Timestamp)>, StoreError> {
    let row = sqlx::query(
        "SELECT receipt, received_at_us FROM inbox WHERE sender_party = $1 AND message_id = $2",
    )
    .bind(sender.as_str())
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::db("reading an inbox receipt"))?;
    row.map(|row| {
        let key = id as &(dyn std::fmt::Display + Sync);
        Ok((
            get(&row, "inbox", "receipt", key)?,
            get_ts(&row, "inbox", "received_at_us", key)?,
        ))
    })
    .transpose()
}

impl Tx {
    /// Accepts a verified incoming message in this unit of work: claims the key
    /// (sender Party, message id), stores the exact sealed bytes, the verified payload and the
    /// receipt this node issues, applies `ticket` and appends `audit` (its ticket is set to the
    /// message's ticket).
    ///
    /// The ticket must be shared between the sender's Party (its counterpart) and the
    /// recipient's (its own Party): a message from another Party for it is
    /// [`StoreError::NotFound`], as for a missing ticket, and a `Create` must name the same two
    /// Parties.
    ///
    /// If the key was accepted before, nothing is written and the answer is
    /// [`Accepted::Duplicate`] with the original receipt. Concurrent deliveries of the same
    /// message (several processes on PostgreSQL) wait for each other: one is `New`, the others
    /// `Duplicate`.
    pub async fn accept_incoming(
        &mut self,
        m: &IncomingMessage,
        ticket: &TicketChange,
        audit: &AuditRecord,
    ) -> Result<Accepted, StoreError> {
        let r = self.accept_incoming_inner(m, ticket, audit).await;
        self.track(r)
    }

    async fn accept_incoming_inner(
        &mut self,
        m: &IncomingMessage,
        ticket: &TicketChange,
        audit: &AuditRecord,
    ) -> Result<Accepted, StoreError> {
        let opts = self.store.options().clone();
        messages::check_message(&opts, &m.sealed, &m.payload_json, &m.attachments)?;
        check_size("the receipt", m.receipt.len(), opts.max_receipt_bytes)?;
        if m.receipt.is_empty() {
            return Err(StoreError::invalid("the receipt", "it is empty"));
        }
        if let TicketChange::Create(t) = ticket
            && t.id != m.ticket
        {
            return Err(StoreError::invalid(
                "the ticket change",
                format!(
                    "it creates ticket {} but the message belongs to ticket {}",
                    t.id, m.ticket
                ),
            ));
        }
        if let TicketChange::Create(t) = ticket
            && (t.counterpart != m.sender.party || t.our_party != m.recipient.party)
        {
            return Err(StoreError::invalid(
                "the ticket change",
                format!(
                    "it creates a ticket between {} and {}, but the message goes from {} to {}",
                    t.our_party, t.counterpart, m.sender.party, m.recipient.party
                ),
            ));
        }
        if let TicketChange::SetState { id, .. } = ticket
            && *id != m.ticket
        {
            return Err(StoreError::invalid(
                "the ticket change",
                format!(
                    "it changes ticket {id} but the message belongs to ticket {}",
                    m.ticket
                ),
            ));
        }
        let received = codec::truncate_to_micros(m.received_at);
        // Claim the key first: a replay stops here, before touching anything else.
        let inserted = sqlx::query(
            "INSERT INTO inbox (sender_party, message_id, received_at_us, receipt) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (sender_party, message_id) DO NOTHING",
        )
        .bind(m.sender.party.as_str())
        .bind(m.id.to_string())
        .bind(us(received))
        .bind(m.receipt.as_slice())
        .execute(self.conn())
        .await
        .map_err(StoreError::db("recording an incoming message"))?
        .rows_affected();
        if inserted == 0 {
            return match receipt_of(self.conn(), m.sender.party, &m.id).await? {
                Some((receipt, received_at)) => Ok(Accepted::Duplicate {
                    receipt,
                    received_at,
                }),
                None => Err(StoreError::Conflict {
                    what: "incoming message",
                    key: m.id.to_string(),
                    reason: "the inbox refused it without a stored receipt".to_owned(),
                }),
            };
        }
        self.apply_ticket_change(ticket).await?;
        messages::insert(
            self.conn(),
            &MessageRow {
                id: &m.id,
                ticket: &m.ticket,
                direction: Direction::In,
                sender: m.sender,
                recipient: m.recipient,
                message_type: &m.message_type,
                written_at: m.written_at,
                stored_at: received,
                sealed: &m.sealed,
                payload_json: &m.payload_json,
                attachments: &m.attachments,
            },
        )
        .await?;
        let mut record = audit.clone();
        record.ticket = Some(m.ticket.clone());
        self.append_audit(&record).await?;
        tracing::debug!(message_id = %m.id, sender = %m.sender, "incoming message accepted");
        Ok(Accepted::New)
    }
}

impl Store {
    /// [`Tx::accept_incoming`] in a unit of work of its own, committed.
    pub async fn accept_incoming(
        &self,
        m: &IncomingMessage,
        ticket: &TicketChange,
        audit: &AuditRecord,
    ) -> Result<Accepted, StoreError> {
        self.timed("accepting an incoming message", async {
            let mut tx = self.begin().await?;
            let accepted = tx.accept_incoming(m, ticket, audit).await?;
            match accepted {
                Accepted::New => tx.commit().await?,
                Accepted::Duplicate { .. } => tx.rollback().await?,
            }
            Ok(accepted)
        })
        .await
    }

    /// The receipt issued for message `id` from `sender`, and when it was received, if it was
    /// accepted: lets the receiving side answer a replay without signing a new receipt.
    pub async fn incoming_receipt(
        &self,
        sender: PartyCode,
        id: &MessageId,
    ) -> Result<Option<(Vec<u8>, Timestamp)>, StoreError> {
        let op = "reading an inbox receipt";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            receipt_of(&mut conn, sender, id).await
        })
        .await
    }
}
