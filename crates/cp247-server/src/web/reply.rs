//! The reply composer (`/cases/{ticket}/replies/{kind}`) and closing a case from its page
//! (`/cases/{ticket}/close`).
//!
//! Each reply kind of `cp247-case` has a form described by a table of [`Part`]s: the same keys
//! as the reply's JSON, so that a form field's name is the path the case crate reports a
//! problem at (`items[1].status`, `grounds[0]`, `data_delivery.sha256`). Submitting builds the
//! reply JSON and hands it to case work's `CaseWork::send_reply`, the function behind
//! `POST /api/v1/cases/{ticket}/replies`: the same decoding, transition check, sealing,
//! outbox and audit. The form adds no rule of its own; every problem comes back from the case
//! crate with its path and is shown next to the field of that path (or at the top), in the
//! page language, and nothing is sent.
//!
//! Lists grow and shrink with plain submit buttons (`op=add:<list>`, `op=remove:<list>:<n>`):
//! the server renders the form again with what was typed. Dates and times are typed in this
//! node's time zone (shown next to each) and sent with their offset. An Art. 30 disclosure
//! document (and an updated request) is typed as its JSON document, the API's format.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cp247_case::reply::{PreservationItemStatus, ReleaseReason, RiskKind};
use cp247_case::{Case, MessageKind, RefusalGround};
use cp247_domain::{Channel, TicketId};
use cp247_forms::shared::{Choice, ConditionKind, DataCategory};
use cp247_i18n::Lang;
use cp247_store::{Actor, StoreError, Viewer};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Map, Value, json};

use super::pages::{Chrome, Tr, message_page, our_zone};
use super::session::{CaseWorker, Person, WebRefusal};
use crate::node::NodeContext;
use cp247_casework::{Error as CaseWorkError, ErrorKind, ReplyInput};

/// The most entries a list of the composer holds.
const MAX_LIST: usize = 50;

/// How a value is typed.
#[derive(Debug, Clone, Copy)]
enum W {
    /// One line of text.
    Text,
    /// Several lines.
    Long,
    /// A date and time in this node's zone.
    Instant,
    /// A date.
    Date,
    /// Yes or no.
    Bool,
    /// A whole number.
    Int,
    /// One of a closed list (wire names, catalogue key prefix of their labels).
    Choice(fn() -> Vec<&'static str>, &'static str),
    /// A refusal ground the case's article allows (`{"ground", "kind"}` on the wire).
    Ground,
    /// The ground of one preservation item: none (not applicable) unless the item is refused.
    ItemGround,
    /// Several data categories.
    Categories,
    /// A document in JSON.
    Json,
}

/// Whether a value must be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum P {
    /// Always a value.
    Req,
    /// A value, or not applicable / unknown with a reason.
    Field,
    /// A value, or not applicable with a reason.
    Appl,
}

/// One part of a reply's form.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// A value.
    One(&'static str, W, P),
    /// An object.
    Group(&'static str, P, &'static [Part]),
    /// A list of objects.
    List(&'static str, P, &'static [Part]),
    /// A list of values.
    Values(&'static str, P, W),
}

fn names<C: Choice>() -> Vec<&'static str> {
    C::ALL.iter().map(Choice::as_str).collect()
}

fn decisions() -> Vec<&'static str> {
    vec!["proceed", "withdraw", "modify"]
}

use P::{Appl, Field, Req};
use Part::{Group, List, One, Values};

const PROVIDER: &[Part] = &[
    One("name", W::Text, Req),
    One("legal_entity", W::Text, Field),
    One("country", W::Text, Field),
    One("address", W::Long, Field),
    One("service", W::Text, Field),
    One("provider_reference", W::Text, Field),
    One("contact", W::Text, Field),
];

const CONDITION: &[Part] = &[
    One("kind", W::Choice(names::<ConditionKind>, "condition"), Req),
    One("text", W::Long, Req),
    One("basis", W::Text, Field),
];

const DELIVERY: &[Part] = &[
    One("package_id", W::Text, Req),
    One("sha256", W::Text, Req),
    One("format", W::Text, Req),
    One("size_bytes", W::Int, Req),
    One("categories", W::Categories, Req),
    One("chain_of_custody", W::Long, Field),
];

const ITEM_STATUS: &[Part] = &[
    One("item", W::Int, Req),
    One(
        "status",
        W::Choice(names::<PreservationItemStatus>, "web-reply-status"),
        Req,
    ),
    One("ground", W::ItemGround, Req),
    One("note", W::Long, Field),
];

const NOT_EXECUTED: &[Part] = &[
    One("item", W::Int, Appl),
    One("ground", W::Ground, Req),
    One("explanation", W::Long, Req),
];

const ANSWER: &[Part] = &[One("question", W::Int, Req), One("answer", W::Long, Req)];

const TICKET_REF: &[Part] = &[
    One("ticket_id", W::Text, Field),
    One("counterpart_reference", W::Text, Field),
    One("date", W::Date, Req),
    One("channel", W::Choice(names::<Channel>, "channel"), Req),
    One("requesting_contact", W::Long, Req),
    One("executing_contact", W::Long, Field),
];

/// The form of each reply kind an officer writes (`None`: requests, and the escalation
/// notice, which the scheduler sends).
fn spec(kind: MessageKind) -> Option<&'static [Part]> {
    let parts: &'static [Part] = match kind {
        MessageKind::Acknowledgement => {
            const {
                &[
                    One("received_at", W::Instant, Req),
                    One("receiver_reference", W::Text, Req),
                    One("assigned_handler", W::Text, Field),
                    One("next_step_eta", W::Instant, Field),
                ]
            }
        }
        MessageKind::RequestForInformation => {
            const {
                &[
                    Values("questions", Req, W::Long),
                    One("blocking", W::Bool, Req),
                    One("respond_by", W::Instant, Field),
                ]
            }
        }
        MessageKind::InformationProvided => {
            const {
                &[
                    List("answers", Req, ANSWER),
                    One("updated_request", W::Json, Appl),
                ]
            }
        }
        MessageKind::PreservationConfirmed => {
            const {
                &[
                    One("preserved_at", W::Instant, Req),
                    One("preserved_until", W::Instant, Req),
                    List("providers", Req, PROVIDER),
                    List("items", Req, ITEM_STATUS),
                    One("notes", W::Long, Field),
                    One("traffic_disclosure", W::Json, Appl),
                ]
            }
        }
        MessageKind::PreservationRiskNotice => {
            const {
                &[
                    One("risk", W::Choice(names::<RiskKind>, "web-reply-risk"), Req),
                    One("details", W::Long, Req),
                    One("decision_needed_by", W::Instant, Req),
                ]
            }
        }
        MessageKind::RequesterDecision => {
            const {
                &[
                    One("decision", W::Choice(decisions, "web-reply-decision"), Req),
                    One("modification", W::Long, Appl),
                    One("explanation", W::Long, Field),
                ]
            }
        }
        MessageKind::PartialTrafficDisclosure => const { &[One("disclosure", W::Json, Req)] },
        MessageKind::Executed => {
            const {
                &[
                    One("executed_at", W::Instant, Req),
                    Group("data_delivery", Appl, DELIVERY),
                    One("answer", W::Long, Appl),
                    List("conditions", Field, CONDITION),
                ]
            }
        }
        MessageKind::PartiallyExecuted => {
            const {
                &[
                    One("executed_at", W::Instant, Req),
                    Group("data_delivery", Appl, DELIVERY),
                    One("answer", W::Long, Appl),
                    List("not_executed", Req, NOT_EXECUTED),
                    List("conditions", Field, CONDITION),
                ]
            }
        }
        MessageKind::Refused => {
            const {
                &[
                    Values("grounds", Req, W::Ground),
                    One("explanation", W::Long, Req),
                    One("alternatives", W::Long, Field),
                ]
            }
        }
        MessageKind::Postponed => {
            const {
                &[
                    One("reason", W::Long, Req),
                    One("expected_date", W::Date, Field),
                ]
            }
        }
        MessageKind::ConditionsProposed => {
            const {
                &[
                    List("conditions", Req, CONDITION),
                    One("explanation", W::Long, Field),
                ]
            }
        }
        MessageKind::ConditionsResponse => {
            const {
                &[
                    One("accepted", W::Bool, Req),
                    One("explanation", W::Long, Appl),
                ]
            }
        }
        MessageKind::DelayNotice => {
            const { &[One("reason", W::Long, Req), One("new_eta", W::Instant, Req)] }
        }
        MessageKind::ExtensionConfirmed => {
            const {
                &[
                    One("previous_preserved_until", W::Instant, Req),
                    One("new_preserved_until", W::Instant, Req),
                ]
            }
        }
        MessageKind::MlaSubmittedNotice => {
            const {
                &[
                    Group("mla_ticket", Req, TICKET_REF),
                    One("submitted_at", W::Instant, Req),
                    One("channel", W::Choice(names::<Channel>, "channel"), Req),
                    One("central_authority", W::Text, Req),
                ]
            }
        }
        MessageKind::PreservationExpiryWarning => {
            const {
                &[
                    One("warned_at", W::Instant, Req),
                    One("expires_at", W::Instant, Req),
                    One("days_left", W::Int, Req),
                ]
            }
        }
        MessageKind::PreservationReleased => {
            const {
                &[
                    One(
                        "reason",
                        W::Choice(names::<ReleaseReason>, "web-reply-release"),
                        Req,
                    ),
                    One("released_at", W::Instant, Req),
                    One("explanation", W::Long, Field),
                ]
            }
        }
        MessageKind::Referred => {
            const {
                &[
                    One("referred_to", W::Text, Req),
                    One("referred_at", W::Instant, Req),
                    One("contact", W::Long, Field),
                    One("explanation", W::Long, Field),
                ]
            }
        }
        MessageKind::Withdrawn => const { &[One("reason", W::Long, Req)] },
        MessageKind::PreservationRequest
        | MessageKind::ExtensionRequest
        | MessageKind::SubscriberInfoRequest
        | MessageKind::AssistanceRequest
        | MessageKind::EscalationNotice => return None,
    };
    Some(parts)
}

/// The kinds that have a composer.
pub fn composable(kind: MessageKind) -> bool {
    spec(kind).is_some()
}

// ---------------------------------------------------------------------------------------------
// The submitted form

/// The fields of a submitted form, in order (names may repeat: check boxes).
#[derive(Debug, Clone, Default)]
struct FormData(Vec<(String, String)>);

impl FormData {
    fn parse(body: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_owned(), value.into()));
    }

    fn push(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_owned(), value.into()));
    }

    /// The number of entries of list `name`.
    fn count(&self, name: &str, p: P) -> usize {
        self.get(&format!("{name}~count"))
            .and_then(|c| c.parse::<usize>().ok())
            .unwrap_or(usize::from(p == Req))
            .min(MAX_LIST)
    }

    /// Removes entry `index` of list `name`; later entries move up by one.
    fn remove(&mut self, name: &str, index: usize, p: P) {
        let count = self.count(name, p);
        if index >= count {
            return;
        }
        let open = format!("{name}[");
        let entry = |k: &str| -> Option<(usize, usize)> {
            let rest = k.strip_prefix(&open)?;
            let close = rest.find(']')?;
            let n = rest.get(..close)?.parse::<usize>().ok()?;
            Some((n, open.len() + close + 1))
        };
        let mut kept = Vec::with_capacity(self.0.len());
        for (k, v) in std::mem::take(&mut self.0) {
            match entry(&k) {
                Some((n, _)) if n == index => {}
                Some((n, end)) if n > index => {
                    let tail = k.get(end..).unwrap_or_default();
                    kept.push((format!("{name}[{}]{tail}", n - 1), v));
                }
                Some(_) | None => kept.push((k, v)),
            }
        }
        self.0 = kept;
        self.set(&format!("{name}~count"), (count - 1).to_string());
    }
}

fn item_name(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Everything the form needs to know about the case and the viewer.
struct Setting<'a> {
    tr: Tr,
    zone: &'a TimeZone,
    grounds: Vec<RefusalGround>,
}

/// A date and time typed in the node's zone (`2026-02-21T10:01`), written with its offset;
/// anything else is passed on as typed, for the case crate to report.
fn instant_value(typed: &str, zone: &TimeZone) -> Value {
    let typed = typed.trim();
    typed
        .parse::<jiff::civil::DateTime>()
        .ok()
        .filter(|_| !typed.contains(['+', 'Z', 'z']) && typed.matches('-').count() == 2)
        .and_then(|dt| dt.to_zoned_datetime(zone.clone()).ok())
        .map_or_else(
            || Value::String(typed.to_owned()),
            |z| Value::String(z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()),
        )
}

/// How an instant is shown in a `datetime-local` field.
fn local_input(at: Timestamp, zone: &TimeZone) -> String {
    let zoned = at.to_zoned_datetime(zone.clone());
    let format = if zoned.second() == 0 {
        "%Y-%m-%dT%H:%M"
    } else {
        "%Y-%m-%dT%H:%M:%S"
    };
    zoned.strftime(format).to_string()
}

fn ground_value(name: &str) -> Value {
    let kind = RefusalGround::from_name(name).map_or("", |g| g.kind().as_str());
    json!({ "ground": name, "kind": kind })
}

/// A problem found while reading the form itself (a JSON document that does not parse).
type Local = (String, String);

fn value_of(w: W, name: &str, form: &FormData, s: &Setting<'_>, local: &mut Vec<Local>) -> Value {
    let typed = form.text(name);
    match w {
        W::Text | W::Date | W::Choice(..) => Value::String(typed.trim().to_owned()),
        W::Long => Value::String(typed.replace("\r\n", "\n").trim().to_owned()),
        W::Instant => instant_value(&typed, s.zone),
        W::Bool => match typed.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::String(other.to_owned()),
        },
        W::Int => typed
            .trim()
            .parse::<u64>()
            .map_or_else(|_| Value::String(typed.trim().to_owned()), Value::from),
        W::Ground => ground_value(typed.trim()),
        W::ItemGround => match typed.trim() {
            "" => json!({ "not_applicable": { "reason": s.tr.t("web-reply-no-ground-reason") } }),
            g => ground_value(g),
        },
        W::Categories => Value::Array(
            form.all(name)
                .into_iter()
                .map(|c| Value::String(c.to_owned()))
                .collect(),
        ),
        W::Json => match serde_json::from_str::<Value>(&typed) {
            Ok(v) => v,
            Err(e) => {
                local.push((
                    name.to_owned(),
                    cp247_i18n::text_args(
                        s.tr.0,
                        "web-reply-json-invalid",
                        &[
                            ("line", &e.line().to_string()),
                            ("column", &e.column().to_string()),
                        ],
                    ),
                ));
                Value::Null
            }
        },
    }
}

fn with_presence(p: P, name: &str, form: &FormData, value: impl FnOnce() -> Value) -> Value {
    let reason = || json!({ "reason": form.text(&format!("{name}~reason")).trim() });
    match (p, form.get(&format!("{name}~mode"))) {
        (Field | Appl, Some("not_applicable")) => json!({ "not_applicable": reason() }),
        (Field, Some("unknown")) => json!({ "unknown": reason() }),
        (Req | Field | Appl, _) => value(),
    }
}

fn build(
    parts: &[Part],
    prefix: &str,
    form: &FormData,
    s: &Setting<'_>,
    local: &mut Vec<Local>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for part in parts {
        let (key, value) = match *part {
            One(key, w, p) => {
                let name = item_name(prefix, key);
                (
                    key,
                    with_presence(p, &name, form, || value_of(w, &name, form, s, local)),
                )
            }
            Group(key, p, inner) => {
                let name = item_name(prefix, key);
                (
                    key,
                    with_presence(p, &name, form, || {
                        Value::Object(build(inner, &name, form, s, local))
                    }),
                )
            }
            List(key, p, inner) => {
                let name = item_name(prefix, key);
                (
                    key,
                    with_presence(p, &name, form, || {
                        Value::Array(
                            (0..form.count(&name, p))
                                .map(|i| {
                                    Value::Object(build(
                                        inner,
                                        &format!("{name}[{i}]"),
                                        form,
                                        s,
                                        local,
                                    ))
                                })
                                .collect(),
                        )
                    }),
                )
            }
            Values(key, p, w) => {
                let name = item_name(prefix, key);
                (
                    key,
                    with_presence(p, &name, form, || {
                        Value::Array(
                            (0..form.count(&name, p))
                                .map(|i| value_of(w, &format!("{name}[{i}]"), form, s, local))
                                .collect(),
                        )
                    }),
                )
            }
        };
        out.insert(key.to_owned(), value);
    }
    out
}

/// The reply JSON of `form`, or the problems of the form itself.
fn reply_json(
    kind: MessageKind,
    parts: &[Part],
    form: &FormData,
    s: &Setting<'_>,
) -> Result<Value, Vec<Local>> {
    let mut local = Vec::new();
    let mut body = build(parts, "", form, s, &mut local);
    if !local.is_empty() {
        return Err(local);
    }
    body.insert("kind".into(), Value::String(kind.name().to_owned()));
    Ok(Value::Object(body))
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// One choice of a select or of check boxes.
#[derive(Debug, Clone)]
pub struct Opt {
    /// Wire name.
    pub value: String,
    /// Label.
    pub label: String,
    /// Chosen.
    pub selected: bool,
}

/// One row of the composer: a field, the start or end of a group or list entry, or a list's
/// "add" button.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// `field`, `open` (group or list), `item` (list entry), `close`, `add`.
    pub kind: &'static str,
    /// The form name (the reply's path).
    pub name: String,
    /// The element id.
    pub id: String,
    /// The label.
    pub label: String,
    /// A hint under the label.
    pub hint: String,
    /// `text`, `textarea`, `datetime`, `date`, `number`, `select`, `checkboxes`, `json`.
    pub widget: &'static str,
    /// The value typed.
    pub value: String,
    /// Choices.
    pub options: Vec<Opt>,
    /// A value, or not applicable (and unknown when `unknown`) with a reason.
    pub optional: bool,
    /// `unknown` is a choice.
    pub unknown: bool,
    /// `value`, `not_applicable`, `unknown`.
    pub mode: String,
    /// The reason typed.
    pub reason: String,
    /// Problems at this field.
    pub errors: Vec<String>,
    /// For a list: its entry count.
    pub count: usize,
    /// For a list: it is one (carries its count).
    pub list: bool,
    /// The submit value of this row's button (add, remove).
    pub op: String,
    /// The label of that button.
    pub button: String,
    /// The ids the field is described by.
    pub described: String,
}

fn dom_id(name: &str) -> String {
    let mut id = String::from("f-");
    for c in name.chars() {
        id.push(if c.is_ascii_alphanumeric() { c } else { '-' });
    }
    id
}

fn label_key(key: &str) -> String {
    format!("web-reply-f-{}", key.replace('_', "-"))
}

fn choice_label(tr: Tr, prefix: &str, value: &str) -> String {
    let key = format!("{prefix}-{}", value.replace('_', "-"));
    if cp247_i18n::has(tr.0, &key) {
        tr.t(&key)
    } else {
        value.to_owned()
    }
}

fn options(w: W, chosen: &[&str], s: &Setting<'_>) -> Vec<Opt> {
    let tr = s.tr;
    let list: Vec<(String, String)> = match w {
        W::Choice(all, prefix) => all()
            .into_iter()
            .map(|v| (v.to_owned(), choice_label(tr, prefix, v)))
            .collect(),
        W::Bool => vec![
            ("true".to_owned(), tr.t("web-yes")),
            ("false".to_owned(), tr.t("web-no")),
        ],
        W::Ground | W::ItemGround => {
            let mut l: Vec<(String, String)> = s
                .grounds
                .iter()
                .map(|g| (g.as_str().to_owned(), g.label(tr.0)))
                .collect();
            let none = if matches!(w, W::ItemGround) {
                tr.t("web-reply-no-ground")
            } else {
                tr.t("web-reply-choose")
            };
            l.insert(0, (String::new(), none));
            l
        }
        W::Categories => names::<DataCategory>()
            .into_iter()
            .map(|v| (v.to_owned(), choice_label(tr, "category", v)))
            .collect(),
        W::Text | W::Long | W::Instant | W::Date | W::Int | W::Json => Vec::new(),
    };
    list.into_iter()
        .map(|(value, label)| Opt {
            selected: chosen.contains(&value.as_str()),
            value,
            label,
        })
        .collect()
}

/// Attaches each problem to the row whose name is the longest prefix of its path.
struct Problems {
    by_path: Vec<(String, String)>,
}

impl Problems {
    fn take(&mut self, name: &str) -> Vec<String> {
        let mut mine = Vec::new();
        self.by_path.retain(|(path, message)| {
            let hit = path == name
                || path
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with(['.', '[']));
            if hit {
                mine.push(message.clone());
            }
            !hit
        });
        mine
    }
}

/// All names of `parts` under `prefix`, longest first (so that problems go to the deepest
/// field).
fn all_names(parts: &[Part], prefix: &str, form: &FormData, out: &mut Vec<String>) {
    for part in parts {
        match *part {
            One(key, ..) => out.push(item_name(prefix, key)),
            Group(key, _, inner) => {
                let name = item_name(prefix, key);
                all_names(inner, &name, form, out);
                out.push(name);
            }
            List(key, p, inner) => {
                let name = item_name(prefix, key);
                for i in 0..form.count(&name, p) {
                    let entry = format!("{name}[{i}]");
                    all_names(inner, &entry, form, out);
                    out.push(entry);
                }
                out.push(name);
            }
            Values(key, p, _) => {
                let name = item_name(prefix, key);
                for i in 0..form.count(&name, p) {
                    out.push(format!("{name}[{i}]"));
                }
                out.push(name);
            }
        }
    }
}

fn described(id: &str, hint: bool, errors: bool) -> String {
    let mut d = Vec::new();
    if hint {
        d.push(format!("{id}-hint"));
    }
    if errors {
        d.push(format!("{id}-err"));
    }
    d.join(" ")
}

fn field_row(
    name: &str,
    label: String,
    w: W,
    p: P,
    form: &FormData,
    s: &Setting<'_>,
    errors: &mut std::collections::HashMap<String, Vec<String>>,
) -> Row {
    let tr = s.tr;
    let id = dom_id(name);
    let widget = match w {
        W::Text => "text",
        W::Long => "textarea",
        W::Instant => "datetime",
        W::Date => "date",
        W::Int => "number",
        W::Choice(..) | W::Bool | W::Ground | W::ItemGround => "select",
        W::Categories => "checkboxes",
        W::Json => "json",
    };
    let hint = match w {
        W::Instant => tr.t1(
            "web-reply-hint-instant",
            "zone",
            s.zone.iana_name().unwrap_or("UTC"),
        ),
        W::Json => tr.t("web-reply-hint-json"),
        W::Date => tr.t("web-reply-hint-date"),
        W::Text
        | W::Long
        | W::Bool
        | W::Int
        | W::Choice(..)
        | W::Ground
        | W::ItemGround
        | W::Categories => String::new(),
    };
    let value = form.text(name);
    let chosen = form.all(name);
    let errs = errors.remove(name).unwrap_or_default();
    Row {
        kind: "field",
        described: described(&id, !hint.is_empty(), !errs.is_empty()),
        name: name.to_owned(),
        id,
        label,
        hint,
        widget,
        options: options(w, &chosen, s),
        value,
        optional: p != Req,
        unknown: p == Field,
        mode: form
            .get(&format!("{name}~mode"))
            .unwrap_or("value")
            .to_owned(),
        reason: form.text(&format!("{name}~reason")),
        errors: errs,
        ..Row::default()
    }
}

fn open_row(
    name: &str,
    label: String,
    p: P,
    form: &FormData,
    errors: &mut std::collections::HashMap<String, Vec<String>>,
) -> Row {
    let id = dom_id(name);
    let errs = errors.remove(name).unwrap_or_default();
    Row {
        kind: "open",
        described: described(&id, false, !errs.is_empty()),
        name: name.to_owned(),
        id,
        label,
        optional: p != Req,
        unknown: p == Field,
        mode: form
            .get(&format!("{name}~mode"))
            .unwrap_or("value")
            .to_owned(),
        reason: form.text(&format!("{name}~reason")),
        errors: errs,
        ..Row::default()
    }
}

fn rows(
    parts: &[Part],
    prefix: &str,
    form: &FormData,
    s: &Setting<'_>,
    errors: &mut std::collections::HashMap<String, Vec<String>>,
    out: &mut Vec<Row>,
) {
    let tr = s.tr;
    for part in parts {
        match *part {
            One(key, w, p) => {
                let name = item_name(prefix, key);
                out.push(field_row(
                    &name,
                    tr.t(&label_key(key)),
                    w,
                    p,
                    form,
                    s,
                    errors,
                ));
            }
            Group(key, p, inner) => {
                let name = item_name(prefix, key);
                out.push(open_row(&name, tr.t(&label_key(key)), p, form, errors));
                rows(inner, &name, form, s, errors, out);
                out.push(Row {
                    kind: "close",
                    ..Row::default()
                });
            }
            List(key, p, _) | Values(key, p, _) => {
                let name = item_name(prefix, key);
                let count = form.count(&name, p);
                let label = tr.t(&label_key(key));
                let mut open = open_row(&name, label.clone(), p, form, errors);
                open.list = true;
                open.count = count;
                out.push(open);
                for i in 0..count {
                    let entry = format!("{name}[{i}]");
                    let n = (i + 1).to_string();
                    let entry_label = tr.t1("web-reply-entry", "n", &n);
                    match *part {
                        List(_, _, inner) => {
                            let errs = errors.remove(&entry).unwrap_or_default();
                            out.push(Row {
                                kind: "item",
                                id: dom_id(&entry),
                                label: entry_label.clone(),
                                op: format!("remove:{name}:{i}"),
                                button: tr.t1("web-reply-remove", "n", &n),
                                errors: errs,
                                ..Row::default()
                            });
                            rows(inner, &entry, form, s, errors, out);
                            out.push(Row {
                                kind: "close",
                                ..Row::default()
                            });
                        }
                        Values(_, _, w) => {
                            let mut row = field_row(&entry, entry_label, w, Req, form, s, errors);
                            row.op = format!("remove:{name}:{i}");
                            row.list = true;
                            row.button = tr.t1("web-reply-remove", "n", &n);
                            out.push(row);
                        }
                        One(..) | Group(..) => {}
                    }
                }
                if count < MAX_LIST {
                    out.push(Row {
                        kind: "add",
                        op: format!("add:{name}"),
                        button: tr.t1("web-reply-add", "list", &label),
                        ..Row::default()
                    });
                }
                out.push(Row {
                    kind: "close",
                    ..Row::default()
                });
            }
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "reply.html")]
struct ComposerPage {
    c: Chrome,
    ticket: String,
    kind: String,
    heading: String,
    state: String,
    zone: String,
    top: Vec<String>,
    rows: Vec<Row>,
}

/// What the composer shows about the last submission: problems by path (shown next to the
/// field of the longest matching name, else at the top) and messages for the top.
#[derive(Debug, Default)]
struct Feedback {
    by_path: Vec<(String, String)>,
    top: Vec<String>,
}

/// The composer of `kind` on `case`, with `form` typed and `feedback` shown.
fn composer(
    ctx: &NodeContext,
    p: &Person,
    case: &Case,
    kind: MessageKind,
    parts: &[Part],
    form: &FormData,
    feedback: Feedback,
) -> ComposerPage {
    let Feedback { by_path, mut top } = feedback;
    let tr = Tr(p.lang);
    let zone = our_zone(ctx);
    let ctx_reply = case.reply_context();
    let s = Setting {
        tr,
        zone: &zone,
        grounds: RefusalGround::allowed_for(case.article())
            .into_iter()
            .filter(|g| g.check(ctx_reply.article, ctx_reply.offences).is_ok())
            .collect(),
    };
    let mut names = Vec::new();
    all_names(parts, "", form, &mut names);
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut pending = Problems { by_path };
    let mut errors = std::collections::HashMap::new();
    for name in &names {
        let mine = pending.take(name);
        if !mine.is_empty() {
            errors.insert(name.clone(), mine);
        }
    }
    top.extend(pending.by_path.into_iter().map(|(_, m)| m));
    let mut out = Vec::new();
    rows(parts, "", form, &s, &mut errors, &mut out);
    ComposerPage {
        c: Chrome::for_person(ctx, p, "web-reply-title"),
        ticket: case.ticket().to_string(),
        kind: kind.name().to_owned(),
        heading: kind.label(p.lang),
        state: case.state().label(p.lang),
        zone: zone.iana_name().unwrap_or("UTC").to_owned(),
        top,
        rows: out,
    }
}

// ---------------------------------------------------------------------------------------------
// What a new form holds

/// The form of a new reply of `kind`, pre-filled from the case where the case knows the
/// answer (numbers of the request's items, dates the case holds, the officer's name).
async fn initial(
    ctx: &NodeContext,
    p: &Person,
    case: &Case,
    kind: MessageKind,
    now: Timestamp,
) -> FormData {
    let zone = our_zone(ctx);
    let at = |t: Timestamp| local_input(t, &zone);
    let days = |n: i64| {
        now.checked_add(jiff::SignedDuration::from_hours(24 * n))
            .unwrap_or(now)
    };
    let mut f = FormData::default();
    let items = case.reply_context().items;
    match kind {
        MessageKind::Acknowledgement => {
            f.set(
                "received_at",
                at(case.receipt_at().or(case.request_at()).unwrap_or(now)),
            );
            f.set("receiver_reference", case.ticket().as_str());
            f.set("assigned_handler", p.account.display_name.clone());
            f.set("next_step_eta", at(days(1)));
        }
        MessageKind::RequestForInformation => {
            f.set("blocking", "false");
            f.set("respond_by", at(days(2)));
        }
        MessageKind::InformationProvided => {
            let questions = case
                .rfis()
                .iter()
                .find(|r| r.answered_at.is_none())
                .map_or(1, |r| r.questions.max(1));
            let n = usize::from(questions).min(MAX_LIST);
            f.set("answers~count", n.to_string());
            for i in 0..n {
                f.set(&format!("answers[{i}].question"), (i + 1).to_string());
            }
            f.set("updated_request~mode", "not_applicable");
        }
        MessageKind::PreservationConfirmed => {
            let period = case
                .reply_context()
                .requested_period_days
                .map_or(90, i64::from)
                .max(60);
            f.set("preserved_at", at(now));
            f.set("preserved_until", at(days(period)));
            let n = usize::from(items.max(1)).min(MAX_LIST);
            f.set("items~count", n.to_string());
            for i in 0..n {
                f.set(&format!("items[{i}].item"), (i + 1).to_string());
                f.set(&format!("items[{i}].status"), "preserved");
                f.set(&format!("items[{i}].note~mode"), "not_applicable");
            }
            f.set("traffic_disclosure~mode", "not_applicable");
        }
        MessageKind::PreservationRiskNotice => f.set("decision_needed_by", at(days(2))),
        MessageKind::RequesterDecision => f.set("modification~mode", "not_applicable"),
        MessageKind::PartialTrafficDisclosure => {
            f.set("disclosure", disclosure_skeleton(case, now, &zone));
        }
        MessageKind::Executed | MessageKind::PartiallyExecuted => {
            f.set("executed_at", at(now));
            f.set("answer~mode", "not_applicable");
            f.set("conditions~mode", "not_applicable");
            f.set("conditions~count", "0");
        }
        MessageKind::Refused => {}
        MessageKind::Postponed => {}
        MessageKind::ConditionsProposed => {}
        MessageKind::ConditionsResponse => {
            f.set("accepted", "true");
            f.set("explanation~mode", "not_applicable");
        }
        MessageKind::DelayNotice => f.set("new_eta", at(days(7))),
        MessageKind::ExtensionConfirmed => {
            let previous = match case.previous_ticket() {
                Some(t) => ctx
                    .store
                    .load_case_for(Viewer::Local(ctx.me.party), t)
                    .await
                    .ok()
                    .and_then(|c| c.state().preserved_until()),
                None => None,
            };
            if let Some(until) = previous {
                f.set("previous_preserved_until", at(until));
                let period = case
                    .reply_context()
                    .requested_period_days
                    .map_or(90, i64::from);
                let new = until
                    .checked_add(jiff::SignedDuration::from_hours(24 * period))
                    .unwrap_or(until);
                f.set("new_preserved_until", at(new));
            }
        }
        MessageKind::MlaSubmittedNotice => {
            f.set("submitted_at", at(now));
            f.set(
                "mla_ticket.date",
                now.to_zoned_datetime(zone.clone()).date().to_string(),
            );
            f.set("mla_ticket.channel", "central_authority");
            f.set("channel", "central_authority");
        }
        MessageKind::PreservationExpiryWarning => {
            f.set("warned_at", at(now));
            if let Some(until) = case.state().preserved_until() {
                f.set("expires_at", at(until));
                let whole = now.duration_until(until).as_secs().max(0) / 86_400;
                f.set("days_left", whole.to_string());
            }
        }
        MessageKind::PreservationReleased => f.set("released_at", at(now)),
        MessageKind::Referred => f.set("referred_at", at(now)),
        MessageKind::Withdrawn
        | MessageKind::PreservationRequest
        | MessageKind::ExtensionRequest
        | MessageKind::SubscriberInfoRequest
        | MessageKind::AssistanceRequest
        | MessageKind::EscalationNotice => {}
    }
    f
}

/// The outline of an Art. 30 disclosure document, with what the case knows filled in.
fn disclosure_skeleton(case: &Case, now: Timestamp, zone: &TimeZone) -> String {
    let today = now.to_zoned_datetime(zone.clone()).date().to_string();
    let requested = case.request_at().map_or_else(
        || today.clone(),
        |t| t.to_zoned_datetime(zone.clone()).date().to_string(),
    );
    let doc = json!({
        "kind": "art30",
        "disclosure_date": today,
        "disclosing_reference": case.ticket().as_str(),
        "preservation_ticket": {
            "ticket_id": case.ticket().as_str(),
            "counterpart_reference": "",
            "date": requested,
            "channel": "network_system",
            "requesting_contact": "",
            "executing_contact": "",
        },
        "communication": {
            "categories": ["traffic"],
            "identifiers": [],
            "time_range": { "start": "", "end": "" },
            "service": "",
            "description": "",
        },
        "other_state_providers": [],
        "traffic_data_disclosed": [],
        "path_description": "",
        "looped_back_to_requester": false,
        "withholding": { "not_applicable": { "reason": "" } },
        "conditions": { "not_applicable": { "reason": "" } },
        "authorising_official": { "name": "", "function": "", "date": today },
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Handlers

fn not_found(lang: Lang) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        lang,
        "web-case-not-found-title",
        "web-case-not-found-text",
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
struct Notice {
    c: Chrome,
    text: String,
}

fn notice(ctx: &NodeContext, p: &Person, status: StatusCode, text: String) -> Response {
    (
        status,
        Notice {
            c: Chrome::for_person(ctx, p, "web-reply-refused-title"),
            text,
        },
    )
        .into_response()
}

/// The case and the reply kind of a composer's path, or the page that says why not.
async fn target(
    ctx: &NodeContext,
    p: &Person,
    id: &str,
    kind: &str,
) -> Result<(TicketId, Case, MessageKind, &'static [Part]), Response> {
    let Ok(id) = TicketId::parse(id) else {
        return Err(not_found(p.lang));
    };
    let Some((kind, parts)) =
        MessageKind::from_name(kind).and_then(|k| spec(k).map(|parts| (k, parts)))
    else {
        return Err(message_page(
            StatusCode::NOT_FOUND,
            p.lang,
            "web-reply-unknown-title",
            "web-reply-unknown-text",
        ));
    };
    match ctx
        .store
        .load_case_for(Viewer::Local(ctx.me.party), &id)
        .await
    {
        Ok(case) => Ok((id, case, kind, parts)),
        Err(StoreError::NotFound { .. }) => Err(not_found(p.lang)),
        Err(_) => Err(WebRefusal::Unavailable.into_response()),
    }
}

/// Why `kind` cannot be sent on `case` now, in the viewer's language (`None`: it can).
fn not_allowed_now(case: &Case, kind: MessageKind, now: Timestamp, lang: Lang) -> Option<String> {
    let probe = cp247_domain::MessageId::generate(now, &mut rand::rng());
    if case.allowed_replies(probe, now).contains(&kind) {
        return None;
    }
    Some(cp247_i18n::text_args(
        lang,
        "web-reply-not-allowed",
        &[
            ("kind", &kind.label(lang)),
            ("state", &case.state().label(lang)),
        ],
    ))
}

/// `GET /cases/{ticket}/replies/{kind}`: the composer of a reply the case allows now.
pub async fn compose(
    State(ctx): State<Arc<NodeContext>>,
    CaseWorker(p): CaseWorker,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Response, WebRefusal> {
    let (_, case, kind, parts) = match target(&ctx, &p, &id, &kind).await {
        Ok(t) => t,
        Err(page) => return Ok(page),
    };
    let now = ctx.clock.now();
    if let Some(why) = not_allowed_now(&case, kind, now, p.lang) {
        return Ok(notice(&ctx, &p, StatusCode::CONFLICT, why));
    }
    let form = initial(&ctx, &p, &case, kind, now).await;
    Ok(composer(&ctx, &p, &case, kind, parts, &form, Feedback::default()).into_response())
}

/// `POST /cases/{ticket}/replies/{kind}`: add or remove a list entry (the form again), or send
/// the reply through the same path as the API; on success, back to the case page.
pub async fn submit(
    State(ctx): State<Arc<NodeContext>>,
    CaseWorker(p): CaseWorker,
    Path((id, kind)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, WebRefusal> {
    let (id, case, kind, parts) = match target(&ctx, &p, &id, &kind).await {
        Ok(t) => t,
        Err(page) => return Ok(page),
    };
    let mut form = FormData::parse(&body);
    let op = form.text("op");
    form.0.retain(|(k, _)| k != "op" && k != "csrf");
    let render = |form: &FormData, status: StatusCode, by_path, top| {
        let feedback = Feedback { by_path, top };
        (
            status,
            composer(&ctx, &p, &case, kind, parts, form, feedback),
        )
            .into_response()
    };
    if let Some(list) = op.strip_prefix("add:") {
        if let Some(presence) = list_presence(parts, list) {
            let n = (form.count(list, presence) + 1).min(MAX_LIST);
            form.set(&format!("{list}~count"), n.to_string());
        }
        return Ok(render(&form, StatusCode::OK, Vec::new(), Vec::new()));
    }
    if let Some(rest) = op.strip_prefix("remove:") {
        if let Some((list, index)) = rest.rsplit_once(':')
            && let (Some(presence), Ok(index)) =
                (list_presence(parts, list), index.parse::<usize>())
        {
            form.remove(list, index, presence);
        }
        return Ok(render(&form, StatusCode::OK, Vec::new(), Vec::new()));
    }
    if op != "send" {
        return Ok(render(&form, StatusCode::OK, Vec::new(), Vec::new()));
    }
    let zone = our_zone(&ctx);
    let setting = Setting {
        tr: Tr(p.lang),
        zone: &zone,
        grounds: Vec::new(),
    };
    let reply = match reply_json(kind, parts, &form, &setting) {
        Ok(r) => r,
        Err(local) => {
            return Ok(render(
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
                local,
                Vec::new(),
            ));
        }
    };
    let actor = Actor::user(&p.account.username).map_err(|_| WebRefusal::Unavailable)?;
    let sent = ctx
        .work
        .send_reply(
            &id,
            actor,
            ReplyInput {
                reply: &reply,
                in_reply_to: None,
                confidential: true,
                marking: None,
                // The composer is a plain form; files go through the API for now.
                attachments: &[],
            },
        )
        .await;
    let lang = p.lang;
    match sent {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?sent={}", kind.name())).into_response()),
        Err(CaseWorkError::InvalidReply(report)) => {
            let problems = report
                .problems()
                .iter()
                .map(|x| (x.path().to_string(), x.message(lang)))
                .collect();
            Ok(render(
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
                problems,
                vec![Tr(lang).t("web-reply-nothing-sent")],
            ))
        }
        Err(CaseWorkError::Transition(e)) => Ok(render(
            &form,
            StatusCode::CONFLICT,
            Vec::new(),
            vec![e.message(lang), Tr(lang).t("web-reply-nothing-sent")],
        )),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(not_found(lang)),
        Err(e) => {
            tracing::info!(code = e.code(), ticket = %id, "a reply from the web composer was not sent");
            let status = crate::error::ApiError::from(e);
            let (status, code) = (status.status(), status.code());
            Ok(render(
                &form,
                status,
                Vec::new(),
                vec![
                    Tr(lang).t1("web-reply-failed", "code", code),
                    Tr(lang).t("web-reply-nothing-sent"),
                ],
            ))
        }
    }
}

/// The presence of list `name` among `parts` (top level or inside a group).
fn list_presence(parts: &[Part], name: &str) -> Option<P> {
    parts.iter().find_map(|part| match *part {
        List(key, p, _) | Values(key, p, _) if key == name => Some(p),
        Group(key, _, inner) => name
            .strip_prefix(key)
            .and_then(|rest| rest.strip_prefix('.'))
            .and_then(|rest| list_presence(inner, rest)),
        One(..) | List(..) | Values(..) => None,
    })
}

/// `POST /cases/{ticket}/close`: close a case that has its outcome, through the same path as
/// the API; back to the case page.
pub async fn close_page(
    State(ctx): State<Arc<NodeContext>>,
    CaseWorker(p): CaseWorker,
    Path(id): Path<String>,
) -> Result<Response, WebRefusal> {
    let Ok(id) = TicketId::parse(&id) else {
        return Ok(not_found(p.lang));
    };
    let actor = Actor::user(&p.account.username).map_err(|_| WebRefusal::Unavailable)?;
    match ctx.work.close(&id, actor).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?closed=1")).into_response()),
        Err(CaseWorkError::Transition(e)) => {
            Ok(notice(&ctx, &p, StatusCode::CONFLICT, e.message(p.lang)))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(not_found(p.lang)),
        Err(_) => Err(WebRefusal::Unavailable),
    }
}

/// The form fields (name, value) an officer types to write `reply` (a reply's JSON) in the
/// composer of its kind, with times in `zone`; `None` for a kind without a composer. The
/// inverse of what submitting the composer builds: a reply goes through its form unchanged
/// (the tests check this for every kind's example).
pub fn form_for(
    kind: MessageKind,
    reply: &Value,
    zone: &TimeZone,
) -> Option<Vec<(String, String)>> {
    let parts = spec(kind)?;
    let mut form = FormData::default();
    fill(parts, "", reply, zone, &mut form);
    Some(form.0)
}

/// Types `value` (a reply's JSON under `parts`) into a form, as an officer would.
fn fill(parts: &[Part], prefix: &str, value: &Value, zone: &TimeZone, form: &mut FormData) {
    for part in parts {
        let (key, p) = match *part {
            One(key, _, p) | Group(key, p, _) | List(key, p, _) | Values(key, p, _) => (key, p),
        };
        let name = item_name(prefix, key);
        let v = value.get(key).unwrap_or(&Value::Null);
        if p != Req
            && let Some((mode, inner)) = v.as_object().and_then(|o| {
                ["not_applicable", "unknown"]
                    .into_iter()
                    .find_map(|m| o.get(m).map(|i| (m, i)))
            })
        {
            form.set(&format!("{name}~mode"), mode);
            form.set(
                &format!("{name}~reason"),
                inner["reason"].as_str().unwrap_or_default(),
            );
            if matches!(part, List(..)) {
                form.set(&format!("{name}~count"), "0");
            }
            continue;
        }
        match *part {
            One(_, w, _) => fill_value(w, &name, v, zone, form),
            Group(_, _, inner) => fill(inner, &name, v, zone, form),
            List(_, _, inner) => {
                let items = v.as_array().map(Vec::as_slice).unwrap_or_default();
                form.set(&format!("{name}~count"), items.len().to_string());
                for (i, item) in items.iter().enumerate() {
                    fill(inner, &format!("{name}[{i}]"), item, zone, form);
                }
            }
            Values(_, _, w) => {
                let items = v.as_array().map(Vec::as_slice).unwrap_or_default();
                form.set(&format!("{name}~count"), items.len().to_string());
                for (i, item) in items.iter().enumerate() {
                    fill_value(w, &format!("{name}[{i}]"), item, zone, form);
                }
            }
        }
    }
}

fn fill_value(w: W, name: &str, v: &Value, zone: &TimeZone, form: &mut FormData) {
    match w {
        W::Instant => {
            // Typed in the node's zone, without the offset.
            let text = v.as_str().unwrap_or_default();
            match text.parse::<Timestamp>() {
                Ok(at) => form.set(name, local_input(at, zone)),
                Err(_) => form.set(name, text),
            }
        }
        W::Ground => form.set(name, v["ground"].as_str().unwrap_or_default()),
        W::ItemGround => form.set(name, v["ground"].as_str().unwrap_or_default()),
        W::Categories => {
            for c in v.as_array().map(Vec::as_slice).unwrap_or_default() {
                form.push(name, c.as_str().unwrap_or_default());
            }
        }
        W::Json => form.set(name, v.to_string()),
        W::Bool | W::Int => form.set(name, v.to_string()),
        W::Text | W::Long | W::Date | W::Choice(..) => {
            form.set(name, v.as_str().unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cp247_case::reply::{examples, parse_message_json};

    fn setting(zone: &TimeZone) -> Setting<'_> {
        Setting {
            tr: Tr(Lang::En),
            zone,
            grounds: Vec::new(),
        }
    }

    /// Every reply an officer writes: its example, typed into its form, makes a reply the case
    /// crate reads without a problem — the form's names are the reply's keys, every key has
    /// a field, and nothing is lost on the way.
    #[test]
    fn every_example_reply_survives_its_form() {
        let zone = TimeZone::UTC;
        let mut seen = 0;
        for kind in MessageKind::ALL.iter().copied() {
            let Some(parts) = spec(kind) else {
                assert!(kind.is_request() || kind == MessageKind::EscalationNotice);
                continue;
            };
            seen += 1;
            let example: Value = serde_json::from_str(examples::json(kind).unwrap()).unwrap();
            let form = FormData(form_for(kind, &example, &zone).unwrap());
            let built = reply_json(kind, parts, &form, &setting(&zone)).unwrap();
            let ctx = examples::context(kind).unwrap();
            let bytes = serde_json::to_vec(&built).unwrap();
            let parsed = parse_message_json(kind.name(), &bytes, Some(&ctx)).unwrap();
            assert!(
                parsed.message.is_some() && parsed.report.problems().is_empty(),
                "{kind}: {:?}\n{built:#}",
                parsed.report
            );
            // Same keys as the example, at every level of the top.
            let keys = |v: &Value| {
                v.as_object()
                    .unwrap()
                    .keys()
                    .cloned()
                    .collect::<std::collections::BTreeSet<_>>()
            };
            assert_eq!(keys(&built), keys(&example), "{kind}");
        }
        assert_eq!(seen, 20);
    }

    #[test]
    fn times_are_typed_in_the_node_zone_and_sent_with_their_offset() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        assert_eq!(
            instant_value("2026-02-21T10:01", &paris),
            Value::String("2026-02-21T10:01:00+01:00".into())
        );
        assert_eq!(
            instant_value("2026-07-01T10:01", &paris),
            Value::String("2026-07-01T10:01:00+02:00".into())
        );
        // Anything else goes on as typed, for the case crate to report.
        for typed in ["tomorrow", "2026-02-21T10:01:00+03:00", ""] {
            assert_eq!(instant_value(typed, &paris), Value::String(typed.into()));
        }
    }

    #[test]
    fn removing_a_list_entry_moves_the_later_ones_up() {
        let mut f = FormData::default();
        f.set("items~count", "3");
        for i in 0..3 {
            f.set(&format!("items[{i}].item"), (i + 1).to_string());
            f.set(&format!("items[{i}].note~mode"), "value");
        }
        f.set("items10", "not an entry");
        f.remove("items", 1, Req);
        assert_eq!(f.count("items", Req), 2);
        assert_eq!(f.get("items[0].item"), Some("1"));
        assert_eq!(f.get("items[1].item"), Some("3"));
        assert_eq!(f.get("items[1].note~mode"), Some("value"));
        assert_eq!(f.get("items[2].item"), None);
        assert_eq!(f.get("items10"), Some("not an entry"));
        // Out of range: nothing changes.
        f.remove("items", 5, Req);
        assert_eq!(f.count("items", Req), 2);
    }

    #[test]
    fn problems_go_to_the_deepest_field_of_their_path() {
        let mut p = Problems {
            by_path: vec![
                ("grounds[0].ground".into(), "a".into()),
                ("items".into(), "b".into()),
                ("(document)".into(), "c".into()),
            ],
        };
        assert_eq!(p.take("grounds[0]"), vec!["a".to_owned()]);
        assert!(p.take("item").is_empty());
        assert_eq!(p.take("items"), vec!["b".to_owned()]);
        assert_eq!(p.by_path.len(), 1);
    }

    #[test]
    fn a_document_that_is_not_json_is_a_problem_of_its_field() {
        let zone = TimeZone::UTC;
        let mut f = FormData::default();
        f.set("disclosure", "{ not json");
        let parts = spec(MessageKind::PartialTrafficDisclosure).unwrap();
        let local = reply_json(
            MessageKind::PartialTrafficDisclosure,
            parts,
            &f,
            &setting(&zone),
        )
        .unwrap_err();
        assert_eq!(local.len(), 1);
        assert_eq!(local[0].0, "disclosure");
        assert!(local[0].1.contains("line 1"), "{}", local[0].1);
    }
}
