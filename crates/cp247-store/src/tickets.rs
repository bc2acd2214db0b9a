//! Tickets: a request and what follows it (minimal here; the case-work engine adds the full
//! lifecycle). Reads are scoped to a [`Viewer`] inside the SQL, so a ticket that exists but is
//! not the viewer's is reported exactly like a missing one.

use std::fmt;

use cp247_domain::{PartyCode, TicketId, Urgency};
use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::codec::{self, bounded_text, get, get_ts, parse_col, parse_urgency, token_type, us};
use crate::error::{StoreError, is_unique_violation};
use crate::options::{Page, Paged};
use crate::store::{Store, Tx};

token_type!(
    /// The kind of a ticket (`art29_preservation`, `art31_subscriber`, …), named by the forms
    /// crate.
    TicketKind,
    "ticket kind",
    64
);

token_type!(
    /// The state of a ticket (`draft`, `sent`, `acknowledged`, …), named by the case-work engine.
    TicketState,
    "ticket state",
    64
);

/// Which side of the ticket this node is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OurRole {
    /// We sent the request.
    Requester,
    /// We received the request.
    Requested,
}

impl OurRole {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            OurRole::Requester => "requester",
            OurRole::Requested => "requested",
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "requester" => Ok(OurRole::Requester),
            "requested" => Ok(OurRole::Requested),
            other => Err(format!("'{other}' is not requester or requested")),
        }
    }
}

/// Case text (a ticket's title or reference): one line, at most 1 000 bytes. It may be case
/// plaintext, so `Debug` shows only its length and it never reaches a log.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CaseText(String);

impl CaseText {
    /// The longest case text, in bytes.
    pub const MAX: usize = 1000;

    /// Checks and wraps `text`.
    pub fn new(text: impl Into<String>) -> Result<Self, StoreError> {
        let text = text.into();
        if text.trim().is_empty() {
            return Err(StoreError::invalid("case text", "it is empty"));
        }
        if text.len() > Self::MAX {
            return Err(StoreError::invalid(
                "case text",
                format!("it is {} bytes long, more than {}", text.len(), Self::MAX),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(StoreError::invalid(
                "case text",
                "it contains a control character (line break, tab, NUL, …)",
            ));
        }
        Ok(Self(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CaseText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaseText(<redacted, {} bytes>)", self.0.len())
    }
}

/// Who is looking: the SQL only returns tickets this viewer may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// People and services of this node, acting for `PartyCode`: tickets of that Party.
    Local(PartyCode),
    /// A peer Party: only tickets whose counterpart it is.
    Peer(PartyCode),
}

/// A ticket to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    /// Its id.
    pub id: TicketId,
    /// Our side.
    pub our_role: OurRole,
    /// This node's Party.
    pub our_party: PartyCode,
    /// The other Party.
    pub counterpart: PartyCode,
    /// The kind of request.
    pub kind: TicketKind,
    /// The first state.
    pub state: TicketState,
    /// The urgency.
    pub urgency: Urgency,
    /// A title for lists (case text).
    pub title: CaseText,
    /// A reference of the requesting authority (case text), if any.
    pub reference: Option<CaseText>,
    /// When it was created (kept to the microsecond).
    pub created_at: Timestamp,
}

/// A stored ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Its id.
    pub id: TicketId,
    /// Our side.
    pub our_role: OurRole,
    /// This node's Party.
    pub our_party: PartyCode,
    /// The other Party.
    pub counterpart: PartyCode,
    /// The kind of request.
    pub kind: TicketKind,
    /// The current state.
    pub state: TicketState,
    /// The urgency.
    pub urgency: Urgency,
    /// The title.
    pub title: CaseText,
    /// The reference, if any.
    pub reference: Option<CaseText>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Increases by one with each change.
    pub version: u64,
}

/// A change to a ticket made in the same unit of work as a message (see
/// [`Tx::accept_incoming`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketChange {
    /// The message opens a new ticket.
    Create(NewTicket),
    /// The message moves a ticket from one state to another.
    SetState {
        /// The ticket.
        id: TicketId,
        /// The state it must be in now.
        from: TicketState,
        /// The state it moves to.
        to: TicketState,
        /// When.
        at: Timestamp,
    },
    /// The message belongs to an existing ticket and changes nothing in it.
    Unchanged,
}

const COLUMNS: &str = "id, our_role, our_party, counterpart_party, kind, state, urgency, title, \
                       reference, created_at_us, updated_at_us, version";

fn from_row(row: &AnyRow) -> Result<Ticket, StoreError> {
    const T: &str = "tickets";
    let id_text: String = get(row, T, "id", &"?")?;
    let key = &id_text as &(dyn fmt::Display + Sync);
    let id = parse_col(&id_text, TicketId::parse, T, "id", key)?;
    let text = |col: &'static str| -> Result<String, StoreError> { get(row, T, col, key) };
    let reference: Option<String> = get(row, T, "reference", key)?;
    let version: i64 = get(row, T, "version", key)?;
    Ok(Ticket {
        our_role: parse_col(&text("our_role")?, OurRole::parse, T, "our_role", key)?,
        our_party: parse_col(&text("our_party")?, PartyCode::parse, T, "our_party", key)?,
        counterpart: parse_col(
            &text("counterpart_party")?,
            PartyCode::parse,
            T,
            "counterpart_party",
            key,
        )?,
        kind: parse_col(&text("kind")?, TicketKind::parse, T, "kind", key)?,
        state: parse_col(&text("state")?, TicketState::parse, T, "state", key)?,
        urgency: parse_col(&text("urgency")?, parse_urgency, T, "urgency", key)?,
        title: parse_col(&text("title")?, |s: &str| CaseText::new(s), T, "title", key)?,
        reference: reference
            .map(|r| parse_col(&r, |s: &str| CaseText::new(s), T, "reference", key))
            .transpose()?,
        created_at: get_ts(row, T, "created_at_us", key)?,
        updated_at: get_ts(row, T, "updated_at_us", key)?,
        version: u64::try_from(version).unwrap_or(0),
        id,
    })
}

pub(crate) async fn insert(conn: &mut AnyConnection, t: &NewTicket) -> Result<Ticket, StoreError> {
    let created = codec::truncate_to_micros(t.created_at);
    sqlx::query(
        "INSERT INTO tickets (id, our_role, our_party, counterpart_party, kind, state, urgency, \
         title, reference, created_at_us, updated_at_us, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 1)",
    )
    .bind(t.id.as_str())
    .bind(t.our_role.as_str())
    .bind(t.our_party.as_str())
    .bind(t.counterpart.as_str())
    .bind(t.kind.as_str())
    .bind(t.state.as_str())
    .bind(t.urgency.as_str())
    .bind(t.title.as_str())
    .bind(t.reference.as_ref().map(|r| r.as_str().to_owned()))
    .bind(us(created))
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict {
                what: "ticket",
                key: t.id.to_string(),
                reason: "a ticket with this id already exists".to_owned(),
            }
        } else {
            StoreError::Database {
                op: "creating a ticket",
                source: e,
            }
        }
    })?;
    Ok(Ticket {
        id: t.id.clone(),
        our_role: t.our_role,
        our_party: t.our_party,
        counterpart: t.counterpart,
        kind: t.kind.clone(),
        state: t.state.clone(),
        urgency: t.urgency,
        title: t.title.clone(),
        reference: t.reference.clone(),
        created_at: created,
        updated_at: created,
        version: 1,
    })
}

pub(crate) async fn set_state(
    conn: &mut AnyConnection,
    id: &TicketId,
    from: &TicketState,
    to: &TicketState,
    at: Timestamp,
) -> Result<Ticket, StoreError> {
    let op = "changing a ticket's state";
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE tickets SET state = $3, updated_at_us = $4, version = version + 1 \
         WHERE id = $1 AND state = $2 RETURNING {COLUMNS}"
    )))
    .bind(id.as_str())
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(us(at))
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::db(op))?;
    if let Some(row) = row {
        return from_row(&row);
    }
    let current: Option<String> =
        sqlx::query_scalar::<_, String>("SELECT state FROM tickets WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
    Err(match current {
        None => StoreError::NotFound {
            what: "ticket",
            key: id.to_string(),
        },
        Some(now) => StoreError::Conflict {
            what: "ticket",
            key: id.to_string(),
            reason: format!(
                "it is in state '{}', not '{}': it changed meanwhile",
                bounded_text(&now, 64),
                from
            ),
        },
    })
}

pub(crate) async fn find(
    conn: &mut AnyConnection,
    viewer: Viewer,
    id: &TicketId,
) -> Result<Ticket, StoreError> {
    let (sql, party) = match viewer {
        Viewer::Local(p) => (
            format!("SELECT {COLUMNS} FROM tickets WHERE id = $1 AND our_party = $2"),
            p,
        ),
        Viewer::Peer(p) => (
            format!("SELECT {COLUMNS} FROM tickets WHERE id = $1 AND counterpart_party = $2"),
            p,
        ),
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .bind(party.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(StoreError::db("reading a ticket"))?;
    match row {
        Some(row) => from_row(&row),
        None => Err(StoreError::NotFound {
            what: "ticket",
            key: id.to_string(),
        }),
    }
}

impl Tx {
    /// Creates a ticket. A duplicate id is a [`StoreError::Conflict`].
    pub async fn create_ticket(&mut self, ticket: &NewTicket) -> Result<Ticket, StoreError> {
        let r = insert(self.conn(), ticket).await;
        self.track(r)
    }

    /// Moves ticket `id` from state `from` to `to`. If the ticket is in another state (it changed
    /// meanwhile), nothing is written and the answer is [`StoreError::Conflict`].
    pub async fn set_ticket_state(
        &mut self,
        id: &TicketId,
        from: &TicketState,
        to: &TicketState,
        at: Timestamp,
    ) -> Result<Ticket, StoreError> {
        let r = set_state(self.conn(), id, from, to, at).await;
        self.track(r)
    }

    /// Reads a ticket inside this unit of work, scoped to `viewer`.
    pub async fn find_ticket_for(
        &mut self,
        viewer: Viewer,
        id: &TicketId,
    ) -> Result<Ticket, StoreError> {
        // A read changes nothing: its failure does not stop the unit of work from committing.
        find(self.conn(), viewer, id).await
    }

    pub(crate) async fn apply_ticket_change(
        &mut self,
        change: &TicketChange,
    ) -> Result<Option<TicketId>, StoreError> {
        match change {
            TicketChange::Create(t) => self.create_ticket(t).await.map(|t| Some(t.id)),
            TicketChange::SetState { id, from, to, at } => self
                .set_ticket_state(id, from, to, *at)
                .await
                .map(|t| Some(t.id)),
            TicketChange::Unchanged => Ok(None),
        }
    }
}

impl Store {
    /// The ticket `id` as `viewer` may see it; [`StoreError::NotFound`] when it does not exist
    /// or is not the viewer's (the same answer).
    pub async fn find_ticket_for(
        &self,
        viewer: Viewer,
        id: &TicketId,
    ) -> Result<Ticket, StoreError> {
        self.timed("reading a ticket", async {
            let mut conn = self.conn("reading a ticket").await?;
            find(&mut conn, viewer, id).await
        })
        .await
    }

    /// The tickets `viewer` may see, newest first.
    pub async fn list_tickets_for(
        &self,
        viewer: Viewer,
        page: Page,
    ) -> Result<Paged<Ticket>, StoreError> {
        let op = "listing tickets";
        let (limit, offset) = self.page_bounds(page);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let (filter, party) = match viewer {
                Viewer::Local(p) => ("our_party", p),
                Viewer::Peer(p) => ("counterpart_party", p),
            };
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM tickets WHERE {filter} = $1 \
                 ORDER BY created_at_us DESC, id DESC LIMIT $2 OFFSET $3"
            )))
            .bind(party.as_str())
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
            Ok(crate::store::paged(items, page, limit))
        })
        .await
    }
}
