//! What officers read: tickets with their messages and deliveries, a case with its timeline,
//! what is due, the files of a message, the alerts. Reads of case content are audited here,
//! whatever interface asked.

use cp247_case::{Calendars, Case, Chain, Due, OfficeCalendar, Role, due_items, order_chain};
use cp247_domain::{Address, MessageId, TicketId};
use cp247_store::{
    Actor, AuditAction, AuditRecord, AuditResult, CaseEventRow, DeliveryState, DeliveryStatus,
    Direction, EscalationRecord, FiredReminder, Page, Paged, StoredAlert, StoredAttachment,
    StoredMessage, Ticket, Viewer,
};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::CaseWork;
use crate::error::{Error, Missing, Refused};

/// Every message of a ticket is read at once up to this many.
const MESSAGES_SHOWN: u32 = 500;

fn all_messages() -> Page {
    Page {
        offset: 0,
        limit: MESSAGES_SHOWN,
    }
}

/// A ticket with its messages and the delivery of each outgoing one.
#[derive(Debug)]
pub struct TicketView {
    /// The ticket.
    pub ticket: Ticket,
    /// Its messages (both directions), with their payloads.
    pub messages: Paged<StoredMessage>,
    /// The delivery state of its outgoing messages.
    pub deliveries: Vec<DeliveryStatus>,
}

impl TicketView {
    /// The delivery of message `m`, when it went out.
    pub fn delivery_of(&self, m: &StoredMessage) -> Option<&DeliveryStatus> {
        match m.direction {
            Direction::Out => self.deliveries.iter().find(|d| d.message_id == m.id),
            Direction::In => None,
        }
    }
}

/// Everything a view of one case shows, read once for the API route and the case page.
#[derive(Debug)]
pub struct CaseView {
    /// The ticket.
    pub ticket: Ticket,
    /// The case, rebuilt from its events.
    pub case: Case,
    /// Every recorded event, in order.
    pub events: Vec<CaseEventRow>,
    /// The ticket's messages (both directions).
    pub messages: Vec<StoredMessage>,
    /// The delivery state of each outgoing message.
    pub deliveries: Vec<DeliveryStatus>,
    /// The reminders fired.
    pub reminders: Vec<FiredReminder>,
    /// The escalations.
    pub escalations: Vec<EscalationRecord>,
    /// What is due on the case (empty when the directory knows neither side's calendar).
    pub due: Vec<Due>,
    /// The ticket chain, or why it cannot be ordered.
    pub chain: Result<Chain, String>,
    /// When the view was read.
    pub now: Timestamp,
}

impl CaseView {
    /// The message of an event, with its delivery when it went out.
    pub fn message_of(
        &self,
        e: &CaseEventRow,
    ) -> Option<(&StoredMessage, Option<&DeliveryStatus>)> {
        let mid = e.message_id?;
        let m = self.messages.iter().find(|m| m.id == mid)?;
        let delivery = match m.direction {
            Direction::Out => self.deliveries.iter().find(|d| d.message_id == m.id),
            Direction::In => None,
        };
        Some((m, delivery))
    }
}

/// One item due on an open case.
#[derive(Debug, Clone)]
pub struct DueOn {
    /// The case's ticket.
    pub ticket: TicketId,
    /// This node's side of the case.
    pub role: Role,
    /// The other Party's contact point.
    pub counterpart: Address,
    /// What is due.
    pub due: Due,
}

impl CaseWork {
    fn viewer(&self) -> Viewer {
        Viewer::Local(self.me.party)
    }

    async fn audit_read(
        &self,
        actor: Actor,
        action: AuditAction,
        ticket: &TicketId,
        details: Value,
    ) -> Result<(), Error> {
        self.store
            .append_audit(&AuditRecord {
                actor,
                action,
                ticket: Some(ticket.clone()),
                result: AuditResult::Ok,
                details,
                at: self.clock.now(),
            })
            .await
            .map_err(|e| Error::store("auditing a read", e))?;
        Ok(())
    }

    /// The tickets of this node, newest first.
    pub async fn tickets(&self, page: Page) -> Result<Paged<Ticket>, Error> {
        self.store
            .list_tickets_for(self.viewer(), page)
            .await
            .map_err(|e| Error::store("listing tickets", e))
    }

    /// Ticket `id` of this node, without its messages (not audited: no case content).
    pub async fn ticket(&self, id: &TicketId) -> Result<Ticket, Error> {
        self.store
            .find_ticket_for(self.viewer(), id)
            .await
            .map_err(|e| Error::store("reading a ticket", e))
    }

    /// Ticket `id` with its messages and their deliveries, for `actor` (audited as a view).
    pub async fn ticket_view(&self, id: &TicketId, actor: Actor) -> Result<TicketView, Error> {
        let ticket = self.ticket(id).await?;
        let messages = self
            .store
            .messages_for(self.viewer(), id, all_messages())
            .await
            .map_err(|e| Error::store("listing messages", e))?;
        let deliveries = self
            .store
            .deliveries_for_ticket(id, all_messages())
            .await
            .map_err(|e| Error::store("listing deliveries", e))?
            .items;
        self.audit_read(
            actor,
            AuditAction::View,
            id,
            json!({ "messages": messages.items.len() }),
        )
        .await?;
        Ok(TicketView {
            ticket,
            messages,
            deliveries,
        })
    }

    /// Outgoing messages in delivery state `state`.
    pub async fn deliveries(
        &self,
        state: DeliveryState,
        page: Page,
    ) -> Result<Paged<DeliveryStatus>, Error> {
        self.store
            .deliveries_in_state(state, page)
            .await
            .map_err(|e| Error::store("listing deliveries", e))
    }

    /// The office calendars of `case`'s two sides from the current directory; a side that is
    /// not listed borrows the other's. `None` without a directory or either contact point.
    pub fn calendars(&self, case: &Case) -> Option<Calendars> {
        let snapshot = self.directory.snapshot();
        let current = snapshot.current()?;
        let dir = current.directory();
        let counterpart = case.opening().counterpart;
        let (requester, requested) = match case.role() {
            Role::Requester => (self.me, counterpart),
            Role::Requested => (counterpart, self.me),
        };
        let cal = |a: &Address| dir.contact_point(a).map(OfficeCalendar::of);
        match (cal(&requester), cal(&requested)) {
            (Some(a), Some(b)) => Some(Calendars {
                requester: a,
                requested: b,
            }),
            (Some(a), None) => Some(Calendars {
                requester: a.clone(),
                requested: a,
            }),
            (None, Some(b)) => Some(Calendars {
                requester: b.clone(),
                requested: b,
            }),
            (None, None) => None,
        }
    }

    /// The view of case `id` for `actor`, audited (`view`: `"case"` or `"case_page"`).
    pub async fn case_view(
        &self,
        id: &TicketId,
        actor: Actor,
        view: &str,
    ) -> Result<CaseView, Error> {
        let viewer = self.viewer();
        let case = self.case(id).await?;
        let ticket = self.ticket(id).await?;
        let store_err = |what: &'static str| move |e| Error::store(what, e);
        let events = self
            .store
            .case_events(id)
            .await
            .map_err(store_err("reading case events"))?;
        let messages = self
            .store
            .messages_for(viewer, id, all_messages())
            .await
            .map_err(store_err("listing messages"))?
            .items;
        let deliveries = self
            .store
            .deliveries_for_ticket(id, all_messages())
            .await
            .map_err(store_err("listing deliveries"))?
            .items;
        let reminders = self
            .store
            .fired_reminders(id)
            .await
            .map_err(store_err("reading reminders"))?;
        let escalations = self
            .store
            .escalations_for(id)
            .await
            .map_err(store_err("reading escalations"))?;
        let now = self.clock.now();
        let due = self
            .calendars(&case)
            .map(|cal| due_items(&case, &cal, &self.policy, now))
            .unwrap_or_default();
        let links = self
            .store
            .chain_links(id)
            .await
            .map_err(store_err("reading a ticket chain"))?;
        let chain = order_chain(id, &links).map_err(|e| e.to_string());
        self.audit_read(
            actor,
            AuditAction::View,
            id,
            json!({ "view": view, "events": events.len() }),
        )
        .await?;
        Ok(CaseView {
            ticket,
            case,
            events,
            messages,
            deliveries,
            reminders,
            escalations,
            due,
            chain,
            now,
        })
    }

    /// What is due on every open case at `now` (overdue items included), unsorted. Cases
    /// whose calendars the directory does not give are left out.
    pub async fn due_across(&self, now: Timestamp) -> Result<Vec<DueOn>, Error> {
        let tickets = self
            .store
            .open_case_tickets(self.scheduler.batch)
            .await
            .map_err(|e| Error::store("listing open cases", e))?;
        let mut items = Vec::new();
        for t in tickets {
            let Ok(case) = self.store.load_case_for(self.viewer(), &t).await else {
                continue;
            };
            let Some(cal) = self.calendars(&case) else {
                continue;
            };
            for d in due_items(&case, &cal, &self.policy, now) {
                items.push(DueOn {
                    ticket: t.clone(),
                    role: case.role(),
                    counterpart: case.opening().counterpart,
                    due: d,
                });
            }
        }
        Ok(items)
    }

    /// Message `message` of ticket `ticket` of this node (not audited: the caller records
    /// what it does with it, see [`CaseWork::record_export`]).
    pub async fn message(
        &self,
        ticket: &TicketId,
        message: &MessageId,
    ) -> Result<StoredMessage, Error> {
        self.ticket(ticket).await?;
        let messages = self
            .store
            .messages_for(self.viewer(), ticket, all_messages())
            .await
            .map_err(|e| Error::store("listing messages", e))?;
        messages
            .items
            .into_iter()
            .find(|m| m.id == *message)
            .ok_or_else(|| Error::NotFound {
                what: Missing::Message,
                key: message.to_string(),
            })
    }

    /// Records that `actor` exported case content of `ticket` (a PDF, a file): `details` say
    /// what, never the content.
    pub async fn record_export(
        &self,
        actor: Actor,
        ticket: &TicketId,
        details: Value,
    ) -> Result<(), Error> {
        self.audit_read(actor, AuditAction::Export, ticket, details)
            .await
    }

    /// File `index` of message `message` of ticket `ticket` of this node, downloaded by
    /// `actor` (audited as an export, by hash: the name may be case plaintext).
    pub async fn export_attachment(
        &self,
        ticket: &TicketId,
        message: &MessageId,
        index: u32,
        actor: Actor,
    ) -> Result<StoredAttachment, Error> {
        let file = self
            .store
            .attachment_for(self.viewer(), ticket, message, index)
            .await
            .map_err(|e| match e {
                cp247_store::StoreError::NotFound { what: "ticket", .. } => Error::no_ticket(ticket),
                cp247_store::StoreError::NotFound { .. } => Error::NotFound {
                    what: Missing::Attachment,
                    key: format!("{index} of message {message} on ticket {ticket}"),
                },
                cp247_store::StoreError::Conflict { .. } => Error::refused(
                    Refused::AmbiguousMessage,
                    format!(
                        "two messages on ticket {ticket} have the id {message}; the sealed messages in the ticket view are the evidence"
                    ),
                ),
                other => Error::store("reading an attachment", other),
            })?;
        self.audit_read(
            actor,
            AuditAction::Export,
            ticket,
            json!({
                "what": "attachment",
                "message_id": message.to_string(),
                "direction": file.direction.as_str(),
                "index": index,
                "size": file.info.size,
                "sha256": file.info.sha256,
            }),
        )
        .await?;
        Ok(file)
    }

    /// This node's alerts, newest first.
    pub async fn alerts(&self, page: Page) -> Result<Paged<StoredAlert>, Error> {
        self.store
            .alerts_for(self.me, page)
            .await
            .map_err(|e| Error::store("listing alerts", e))
    }

    /// How many of this node's alerts nobody has marked as seen.
    pub async fn unseen_alerts(&self) -> Result<u64, Error> {
        self.store
            .unseen_alert_count(self.me)
            .await
            .map_err(|e| Error::store("counting alerts", e))
    }

    /// Marks alert `key` of this node as seen by `actor` (audited).
    pub async fn mark_alert_seen(&self, key: &str, actor: &Actor) -> Result<(), Error> {
        self.store
            .mark_alert_seen(self.me, key, actor, self.clock.now())
            .await
            .map(|_| ())
            .map_err(|e| match e {
                cp247_store::StoreError::NotFound { .. } => Error::NotFound {
                    what: Missing::Message,
                    key: key.to_owned(),
                },
                other => Error::store("marking an alert seen", other),
            })
    }
}
