//! What the duty officer is told, and how much of it may travel in clear e-mail.
//!
//! An alert carries only what a duty officer needs to act at once: the ticket, its kind and
//! urgency, which Party asks (or is asked), when something is due, and the duty phone numbers to
//! call. It never carries case content (persons, accounts, addresses, facts): the officer reads
//! that in cp247 itself. Every value in an alert is typed (ticket ids, Party codes, urgency,
//! instants) or comes from the signed directory (phone numbers), so no free text from a peer
//! reaches a mail header.

use cp247_domain::{Address, MessageId, TicketId, Urgency};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::text::Subject;

/// Something the duty officer must know about now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    /// A new urgent or emergency request arrived from another Party.
    NewRequest {
        /// The message that opened the ticket (the alert's de-duplication key).
        message_id: MessageId,
        /// The ticket it opened.
        ticket: TicketId,
        /// The kind of request (`art29`, `art30`, `art31`, `art35`…).
        kind: String,
        /// Its urgency.
        urgency: Urgency,
        /// The requesting contact point.
        from: Address,
        /// When it arrived.
        received_at: Timestamp,
        /// When a human acknowledgement is due, if known.
        ack_due: Option<Timestamp>,
        /// The requesting contact point's duty phone numbers (from the directory), to call back.
        phones: Vec<String>,
    },
    /// A deadline on a case is near or has passed.
    Deadline {
        /// The reminder's exactly-once key (the deadline engine's).
        key: String,
        /// The ticket.
        ticket: TicketId,
        /// What is due (`preservation_expiry`, `acknowledgement`, `mla_due`…).
        what: String,
        /// When.
        due: Timestamp,
        /// The other Party on the case.
        counterpart: Address,
        /// Its duty phone numbers.
        phones: Vec<String>,
    },
    /// A request of ours was not acknowledged in time and went to the alternate contact point.
    Escalation {
        /// The escalated message.
        message_id: MessageId,
        /// The ticket.
        ticket: TicketId,
        /// Its urgency.
        urgency: Urgency,
        /// The contact point that did not acknowledge.
        unanswered: Address,
        /// The alternate it was sent to.
        alternate: Address,
        /// The alternate's channel (`node` or `email`).
        channel: String,
        /// The requested Party's duty phone numbers (primary and alternate).
        phones: Vec<String>,
    },
}

impl Alert {
    /// The alert's stable identity: the same event always has the same key, so that a receiver
    /// (or the node after a restart) can tell a repeat from a new event.
    pub fn key(&self) -> String {
        match self {
            Alert::NewRequest { message_id, .. } => format!("new_request:{message_id}"),
            Alert::Deadline { key, .. } => format!("deadline:{key}"),
            Alert::Escalation { message_id, .. } => format!("escalation:{message_id}"),
        }
    }

    /// The event name in webhooks.
    pub fn event(&self) -> &'static str {
        match self {
            Alert::NewRequest { .. } => "new_request",
            Alert::Deadline { .. } => "deadline",
            Alert::Escalation { .. } => "escalation",
        }
    }

    /// The ticket.
    pub fn ticket(&self) -> &TicketId {
        match self {
            Alert::NewRequest { ticket, .. }
            | Alert::Deadline { ticket, .. }
            | Alert::Escalation { ticket, .. } => ticket,
        }
    }

    /// The subject line. Built only from typed values; checked anyway.
    pub fn subject(&self) -> Subject {
        let text = match self {
            Alert::NewRequest {
                ticket,
                kind,
                urgency,
                from,
                ..
            } => format!(
                "[cp247] {} {} request from {}: {ticket}",
                upper(urgency.as_str()),
                safe_word(kind),
                from.party
            ),
            Alert::Deadline {
                ticket, what, due, ..
            } => format!(
                "[cp247] Due {}: {} on {ticket}",
                minute(*due),
                safe_word(what)
            ),
            Alert::Escalation {
                ticket, alternate, ..
            } => format!("[cp247] ESCALATED to {alternate}: {ticket} not acknowledged"),
        };
        Subject::new(text.clone())
            .or_else(|_| Subject::new(format!("[cp247] alert on {}", self.ticket())))
            .unwrap_or_else(|_| Subject::fallback())
    }

    /// The plain-text body (LF line ends; the mail layer writes CRLF).
    pub fn text(&self) -> String {
        let mut lines = Vec::new();
        match self {
            Alert::NewRequest {
                ticket,
                kind,
                urgency,
                from,
                received_at,
                ack_due,
                phones,
                ..
            } => {
                lines.push(format!(
                    "A new {} {} request has arrived.",
                    urgency.as_str(),
                    safe_word(kind)
                ));
                lines.push(String::new());
                lines.push(format!("Ticket:      {ticket}"));
                lines.push(format!("From:        {from}"));
                lines.push(format!("Urgency:     {}", urgency.as_str()));
                lines.push(format!("Received:    {}", minute(*received_at)));
                if let Some(due) = ack_due {
                    lines.push(format!("Acknowledge: by {}", minute(*due)));
                }
                push_phones(&mut lines, &format!("{} duty phones", from.party), phones);
            }
            Alert::Deadline {
                ticket,
                what,
                due,
                counterpart,
                phones,
                ..
            } => {
                lines.push(format!(
                    "A deadline on ticket {ticket} is due: {}.",
                    safe_word(what)
                ));
                lines.push(String::new());
                lines.push(format!("Ticket:      {ticket}"));
                lines.push(format!("Due:         {}", minute(*due)));
                lines.push(format!("Other Party: {counterpart}"));
                push_phones(
                    &mut lines,
                    &format!("{} duty phones", counterpart.party),
                    phones,
                );
            }
            Alert::Escalation {
                ticket,
                urgency,
                unanswered,
                alternate,
                channel,
                phones,
                ..
            } => {
                lines.push(format!(
                    "The {} request on ticket {ticket} was not acknowledged by {unanswered} in time.",
                    urgency.as_str()
                ));
                lines.push(format!(
                    "It has been sent to the alternate contact point {alternate} ({}).",
                    safe_word(channel)
                ));
                lines.push("Call the requested Party's duty officer now.".to_owned());
                push_phones(
                    &mut lines,
                    &format!("{} duty phones", alternate.party),
                    phones,
                );
            }
        }
        lines.push(String::new());
        lines.push(
            "Open the ticket in cp247 for its content; this message carries none.".to_owned(),
        );
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }

    /// The webhook body (without the `sent_at` the sender adds).
    pub fn json(&self) -> Value {
        let mut value = match self {
            Alert::NewRequest {
                message_id,
                ticket,
                kind,
                urgency,
                from,
                received_at,
                ack_due,
                phones,
            } => json!({
                "message_id": message_id.to_string(),
                "ticket": ticket.to_string(),
                "kind": kind,
                "urgency": urgency.as_str(),
                "from": from.to_string(),
                "received_at": received_at.to_string(),
                "ack_due": ack_due.map(|t| t.to_string()),
                "duty_phones": phones,
            }),
            Alert::Deadline {
                key,
                ticket,
                what,
                due,
                counterpart,
                phones,
            } => json!({
                "reminder": key,
                "ticket": ticket.to_string(),
                "what": what,
                "due": due.to_string(),
                "counterpart": counterpart.to_string(),
                "duty_phones": phones,
            }),
            Alert::Escalation {
                message_id,
                ticket,
                urgency,
                unanswered,
                alternate,
                channel,
                phones,
            } => json!({
                "message_id": message_id.to_string(),
                "ticket": ticket.to_string(),
                "urgency": urgency.as_str(),
                "unanswered": unanswered.to_string(),
                "alternate": alternate.to_string(),
                "channel": channel,
                "duty_phones": phones,
            }),
        };
        if let Value::Object(map) = &mut value {
            map.insert("event".into(), Value::from(self.event()));
            map.insert("id".into(), Value::from(self.key()));
            map.insert("format".into(), Value::from(ALERT_FORMAT));
        }
        value
    }
}

impl Alert {
    /// Reads an alert back from its [`Alert::json`] (the alert outbox stores that): every
    /// field parsed to its type again. The error says which field is wrong.
    pub fn from_json(value: &Value) -> Result<Alert, String> {
        fn text<'a>(v: &'a Value, field: &str) -> Result<&'a str, String> {
            v[field]
                .as_str()
                .ok_or_else(|| format!("the alert has no text field {field}"))
        }
        fn parsed<T, E: std::fmt::Display>(
            v: &Value,
            field: &str,
            parse: impl FnOnce(&str) -> Result<T, E>,
        ) -> Result<T, String> {
            parse(text(v, field)?).map_err(|e| format!("the alert's {field}: {e}"))
        }
        fn phones(v: &Value) -> Result<Vec<String>, String> {
            v["duty_phones"]
                .as_array()
                .ok_or("the alert has no duty_phones list")?
                .iter()
                .map(|p| {
                    p.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| "a duty phone is not text".to_owned())
                })
                .collect()
        }
        let ticket = parsed(value, "ticket", TicketId::parse)?;
        match text(value, "event")? {
            "new_request" => Ok(Alert::NewRequest {
                message_id: parsed(value, "message_id", MessageId::parse)?,
                ticket,
                kind: text(value, "kind")?.to_owned(),
                urgency: parsed(value, "urgency", parse_urgency)?,
                from: parsed(value, "from", parse_address)?,
                received_at: parsed(value, "received_at", |t| t.parse::<Timestamp>())?,
                ack_due: match &value["ack_due"] {
                    Value::Null => None,
                    _ => Some(parsed(value, "ack_due", |t| t.parse::<Timestamp>())?),
                },
                phones: phones(value)?,
            }),
            "deadline" => Ok(Alert::Deadline {
                key: text(value, "reminder")?.to_owned(),
                ticket,
                what: text(value, "what")?.to_owned(),
                due: parsed(value, "due", |t| t.parse::<Timestamp>())?,
                counterpart: parsed(value, "counterpart", parse_address)?,
                phones: phones(value)?,
            }),
            "escalation" => Ok(Alert::Escalation {
                message_id: parsed(value, "message_id", MessageId::parse)?,
                ticket,
                urgency: parsed(value, "urgency", parse_urgency)?,
                unanswered: parsed(value, "unanswered", parse_address)?,
                alternate: parsed(value, "alternate", parse_address)?,
                channel: text(value, "channel")?.to_owned(),
                phones: phones(value)?,
            }),
            other => Err(format!("'{other}' is not an alert event")),
        }
    }
}

fn parse_urgency(text: &str) -> Result<Urgency, String> {
    [Urgency::Emergency, Urgency::Urgent, Urgency::Routine]
        .into_iter()
        .find(|u| u.as_str() == text)
        .ok_or_else(|| format!("'{text}' is not an urgency"))
}

/// `FR/primary`, as [`Address`] writes itself.
fn parse_address(text: &str) -> Result<Address, String> {
    let bad = || format!("'{text}' is not a contact point such as FR/primary");
    let (party, point) = text.split_once('/').ok_or_else(bad)?;
    let party = cp247_domain::PartyCode::parse(party).map_err(|_| bad())?;
    match point {
        "primary" => Ok(Address::primary(party)),
        "alternate" => Ok(Address::alternate(party)),
        _ => Err(bad()),
    }
}

/// The `format` field of webhook bodies.
pub const ALERT_FORMAT: &str = "cp247-alert/1";

fn push_phones(lines: &mut Vec<String>, title: &str, phones: &[String]) {
    if phones.is_empty() {
        return;
    }
    lines.push(String::new());
    lines.push(format!("{title}:"));
    for phone in phones.iter().take(16) {
        lines.push(format!("  {}", safe_phone(phone)));
    }
}

/// An identifier-like word (`art29`, `preservation_expiry`): anything else becomes `?`.
pub(crate) fn safe_word(word: &str) -> String {
    if !word.is_empty()
        && word.len() <= 40
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        word.to_owned()
    } else {
        "?".to_owned()
    }
}

/// A phone number as the directory writes it (`+33 1 23 45 67 89`): digits, `+`, spaces,
/// dashes, dots and parentheses only.
pub(crate) fn safe_phone(phone: &str) -> String {
    phone
        .chars()
        .filter(|c| c.is_ascii_digit() || " +-.()".contains(*c))
        .take(40)
        .collect()
}

fn upper(word: &str) -> String {
    word.to_ascii_uppercase()
}

/// An instant to the minute, in UTC (`2026-11-29 03:12 UTC`).
fn minute(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cp247_domain::PartyCode;

    fn fr() -> Address {
        Address::primary(PartyCode::parse("FR").unwrap())
    }

    fn alert() -> Alert {
        Alert::NewRequest {
            message_id: MessageId::parse("0193a5c0-0000-7000-8000-000000000001").unwrap(),
            ticket: TicketId::parse("FR-2026-000123").unwrap(),
            kind: "art29".into(),
            urgency: Urgency::Emergency,
            from: fr(),
            received_at: "2026-11-29T02:10:00Z".parse().unwrap(),
            ack_due: Some("2026-11-29T02:40:00Z".parse().unwrap()),
            phones: vec!["+33 1 23 45 67 89".into(), "+33\r\nBcc: x".into()],
        }
    }

    #[test]
    fn alerts_say_what_to_do_and_nothing_else() {
        let a = alert();
        assert_eq!(
            a.subject().as_str(),
            "[cp247] EMERGENCY art29 request from FR: FR-2026-000123"
        );
        let text = a.text();
        assert!(
            text.contains("Acknowledge: by 2026-11-29 02:40 UTC"),
            "{text}"
        );
        assert!(text.contains("  +33 1 23 45 67 89\n"), "{text}");
        assert!(!text.contains('\r') && !text.contains("Bcc"), "{text}");
        let json = a.json();
        assert_eq!(json["event"], "new_request");
        assert_eq!(
            json["id"],
            "new_request:0193a5c0-0000-7000-8000-000000000001"
        );
        assert_eq!(json["ack_due"], "2026-11-29T02:40:00Z");
    }

    #[test]
    fn escalation_and_deadline_alerts_name_whom_to_call() {
        let md = Address::primary(PartyCode::parse("MD").unwrap());
        let md_alt = Address::alternate(PartyCode::parse("MD").unwrap());
        let e = Alert::Escalation {
            message_id: MessageId::parse("0193a5c0-0000-7000-8000-000000000002").unwrap(),
            ticket: TicketId::parse("FR-2026-000124").unwrap(),
            urgency: Urgency::Urgent,
            unanswered: md,
            alternate: md_alt,
            channel: "email".into(),
            phones: vec!["+373 22 000 111".into(), "+373 22 000 222".into()],
        };
        assert_eq!(
            e.subject().as_str(),
            "[cp247] ESCALATED to MD/alternate: FR-2026-000124 not acknowledged"
        );
        let text = e.text();
        assert!(
            text.contains("not acknowledged by MD/primary in time"),
            "{text}"
        );
        assert!(
            text.contains("(email)") && text.contains("+373 22 000 222"),
            "{text}"
        );
        assert_eq!(e.json()["event"], "escalation");
        assert_eq!(e.key(), "escalation:0193a5c0-0000-7000-8000-000000000002");

        let d = Alert::Deadline {
            key: "FR-2026-000124/preservation_expiry/2026-12-10T00:00:00Z".into(),
            ticket: TicketId::parse("FR-2026-000124").unwrap(),
            what: "preservation_expiry".into(),
            due: "2026-12-10T00:00:00Z".parse().unwrap(),
            counterpart: md,
            phones: vec![],
        };
        assert_eq!(
            d.subject().as_str(),
            "[cp247] Due 2026-12-10 00:00 UTC: preservation_expiry on FR-2026-000124"
        );
        assert!(d.key().starts_with("deadline:FR-2026-000124/"));
        assert!(!d.text().contains("duty phones"));
    }

    #[test]
    fn an_alert_reads_back_from_its_json() {
        let md = Address::primary(PartyCode::parse("MD").unwrap());
        let alerts = [
            alert(),
            Alert::Escalation {
                message_id: MessageId::parse("0193a5c0-0000-7000-8000-000000000002").unwrap(),
                ticket: TicketId::parse("FR-2026-000124").unwrap(),
                urgency: Urgency::Urgent,
                unanswered: md,
                alternate: Address::alternate(PartyCode::parse("MD").unwrap()),
                channel: "node".into(),
                phones: vec!["+373 22 000 111".into()],
            },
            Alert::Deadline {
                key: "FR-2026-000124/preservation_expiring.7d/2026-12-10T00:00:00Z".into(),
                ticket: TicketId::parse("FR-2026-000124").unwrap(),
                what: "preservation_expiring".into(),
                due: "2026-12-10T00:00:00Z".parse().unwrap(),
                counterpart: md,
                phones: vec![],
            },
        ];
        for a in alerts {
            assert_eq!(Alert::from_json(&a.json()).unwrap(), a);
        }
        let mut no_ack_due = alert();
        if let Alert::NewRequest { ack_due, .. } = &mut no_ack_due {
            *ack_due = None;
        }
        assert_eq!(Alert::from_json(&no_ack_due.json()).unwrap(), no_ack_due);
        let mut bad = alert().json();
        bad["urgency"] = Value::from("whenever");
        let err = Alert::from_json(&bad).unwrap_err();
        assert!(err.contains("urgency"), "{err}");
        bad["event"] = Value::from("party");
        assert!(Alert::from_json(&bad).is_err());
    }

    #[test]
    fn odd_words_never_reach_the_subject() {
        let mut a = alert();
        if let Alert::NewRequest { kind, .. } = &mut a {
            *kind = "art29\r\nBcc: victim@example.org".into();
        }
        let s = a.subject();
        assert!(
            !s.as_str().contains('\n') && !s.as_str().contains("Bcc"),
            "{s}"
        );
        assert!(s.as_str().contains(" ? request"), "{s}");
    }
}
