//! The reply composer (`/cases/{ticket}/replies/{kind}`) and closing a case from its page
//! (`/cases/{ticket}/close`).
//!
//! Each reply kind of `cp247-case` has a form described by a table of fields in the web form
//! language of [`super::form`]: the same keys
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
use serde_json::{Value, json};

use super::form::{self, Anchors, Draft, Field, Naming, Offer, Op, Presence, Shape, Visit};
use super::pages::{Chrome, Tr, message_page, our_zone};
use super::session::{CaseWorker, Person, WebRefusal};
use crate::node::NodeContext;
use cp247_casework::{Error as CaseWorkError, ErrorKind, ReplyInput};

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
/// A field of a reply's form.
type F = Field<W>;

/// The form's input names: `P~mode` is the way an optional field is filled, `P~reason` its
/// reason, `P~count` the number of entries of a list; check boxes repeat their name.
const NAMING: Naming = Naming {
    way: "~mode",
    reason: "~reason",
    count: "~count",
};

const fn one(key: &'static str, w: W, presence: Presence) -> F {
    Field {
        key,
        label: "",
        shape: Shape::Leaf(w),
        presence,
    }
}

const fn group(key: &'static str, presence: Presence, inner: &'static [F]) -> F {
    Field {
        key,
        label: "",
        shape: Shape::Object(inner),
        presence,
    }
}

const fn list(key: &'static str, presence: Presence, item: &'static Shape<W>) -> F {
    Field {
        key,
        label: "",
        shape: Shape::List(item),
        presence,
    }
}

fn names<C: Choice>() -> Vec<&'static str> {
    C::ALL.iter().map(Choice::as_str).collect()
}

fn decisions() -> Vec<&'static str> {
    vec!["proceed", "withdraw", "modify"]
}

use Presence::{Applicable as Appl, Optional as Opt, Required as Req};

const PROVIDER: &[F] = &[
    one("name", W::Text, Req),
    one("legal_entity", W::Text, Opt),
    one("country", W::Text, Opt),
    one("address", W::Long, Opt),
    one("service", W::Text, Opt),
    one("provider_reference", W::Text, Opt),
    one("contact", W::Text, Opt),
];

const CONDITION: &[F] = &[
    one("kind", W::Choice(names::<ConditionKind>, "condition"), Req),
    one("text", W::Long, Req),
    one("basis", W::Text, Opt),
];

const DELIVERY: &[F] = &[
    one("package_id", W::Text, Req),
    one("sha256", W::Text, Req),
    one("format", W::Text, Req),
    one("size_bytes", W::Int, Req),
    one("categories", W::Categories, Req),
    one("chain_of_custody", W::Long, Opt),
];

const ITEM_STATUS: &[F] = &[
    one("item", W::Int, Req),
    one(
        "status",
        W::Choice(names::<PreservationItemStatus>, "web-reply-status"),
        Req,
    ),
    one("ground", W::ItemGround, Req),
    one("note", W::Long, Opt),
];

const NOT_EXECUTED: &[F] = &[
    one("item", W::Int, Appl),
    one("ground", W::Ground, Req),
    one("explanation", W::Long, Req),
];

const ANSWER: &[F] = &[one("question", W::Int, Req), one("answer", W::Long, Req)];

const TICKET_REF: &[F] = &[
    one("ticket_id", W::Text, Opt),
    one("counterpart_reference", W::Text, Opt),
    one("date", W::Date, Req),
    one("channel", W::Choice(names::<Channel>, "channel"), Req),
    one("requesting_contact", W::Long, Req),
    one("executing_contact", W::Long, Opt),
];

/// The form of each reply kind an officer writes (`None`: requests, and the escalation
/// notice, which the scheduler sends).
fn spec(kind: MessageKind) -> Option<&'static [F]> {
    let parts: &'static [F] = match kind {
        MessageKind::Acknowledgement => {
            const {
                &[
                    one("received_at", W::Instant, Req),
                    one("receiver_reference", W::Text, Req),
                    one("assigned_handler", W::Text, Opt),
                    one("next_step_eta", W::Instant, Opt),
                ]
            }
        }
        MessageKind::RequestForInformation => {
            const {
                &[
                    list("questions", Req, &Shape::Leaf(W::Long)),
                    one("blocking", W::Bool, Req),
                    one("respond_by", W::Instant, Opt),
                ]
            }
        }
        MessageKind::InformationProvided => {
            const {
                &[
                    list("answers", Req, &Shape::Object(ANSWER)),
                    one("updated_request", W::Json, Appl),
                ]
            }
        }
        MessageKind::PreservationConfirmed => {
            const {
                &[
                    one("preserved_at", W::Instant, Req),
                    one("preserved_until", W::Instant, Req),
                    list("providers", Req, &Shape::Object(PROVIDER)),
                    list("items", Req, &Shape::Object(ITEM_STATUS)),
                    one("notes", W::Long, Opt),
                    one("traffic_disclosure", W::Json, Appl),
                ]
            }
        }
        MessageKind::PreservationRiskNotice => {
            const {
                &[
                    one("risk", W::Choice(names::<RiskKind>, "web-reply-risk"), Req),
                    one("details", W::Long, Req),
                    one("decision_needed_by", W::Instant, Req),
                ]
            }
        }
        MessageKind::RequesterDecision => {
            const {
                &[
                    one("decision", W::Choice(decisions, "web-reply-decision"), Req),
                    one("modification", W::Long, Appl),
                    one("explanation", W::Long, Opt),
                ]
            }
        }
        MessageKind::PartialTrafficDisclosure => const { &[one("disclosure", W::Json, Req)] },
        MessageKind::Executed => {
            const {
                &[
                    one("executed_at", W::Instant, Req),
                    group("data_delivery", Appl, DELIVERY),
                    one("answer", W::Long, Appl),
                    list("conditions", Opt, &Shape::Object(CONDITION)),
                ]
            }
        }
        MessageKind::PartiallyExecuted => {
            const {
                &[
                    one("executed_at", W::Instant, Req),
                    group("data_delivery", Appl, DELIVERY),
                    one("answer", W::Long, Appl),
                    list("not_executed", Req, &Shape::Object(NOT_EXECUTED)),
                    list("conditions", Opt, &Shape::Object(CONDITION)),
                ]
            }
        }
        MessageKind::Refused => {
            const {
                &[
                    list("grounds", Req, &Shape::Leaf(W::Ground)),
                    one("explanation", W::Long, Req),
                    one("alternatives", W::Long, Opt),
                ]
            }
        }
        MessageKind::Postponed => {
            const {
                &[
                    one("reason", W::Long, Req),
                    one("expected_date", W::Date, Opt),
                ]
            }
        }
        MessageKind::ConditionsProposed => {
            const {
                &[
                    list("conditions", Req, &Shape::Object(CONDITION)),
                    one("explanation", W::Long, Opt),
                ]
            }
        }
        MessageKind::ConditionsResponse => {
            const {
                &[
                    one("accepted", W::Bool, Req),
                    one("explanation", W::Long, Appl),
                ]
            }
        }
        MessageKind::DelayNotice => {
            const { &[one("reason", W::Long, Req), one("new_eta", W::Instant, Req)] }
        }
        MessageKind::ExtensionConfirmed => {
            const {
                &[
                    one("previous_preserved_until", W::Instant, Req),
                    one("new_preserved_until", W::Instant, Req),
                ]
            }
        }
        MessageKind::MlaSubmittedNotice => {
            const {
                &[
                    group("mla_ticket", Req, TICKET_REF),
                    one("submitted_at", W::Instant, Req),
                    one("channel", W::Choice(names::<Channel>, "channel"), Req),
                    one("central_authority", W::Text, Req),
                ]
            }
        }
        MessageKind::PreservationExpiryWarning => {
            const {
                &[
                    one("warned_at", W::Instant, Req),
                    one("expires_at", W::Instant, Req),
                    one("days_left", W::Int, Req),
                ]
            }
        }
        MessageKind::PreservationReleased => {
            const {
                &[
                    one(
                        "reason",
                        W::Choice(names::<ReleaseReason>, "web-reply-release"),
                        Req,
                    ),
                    one("released_at", W::Instant, Req),
                    one("explanation", W::Long, Opt),
                ]
            }
        }
        MessageKind::Referred => {
            const {
                &[
                    one("referred_to", W::Text, Req),
                    one("referred_at", W::Instant, Req),
                    one("contact", W::Long, Opt),
                    one("explanation", W::Long, Opt),
                ]
            }
        }
        MessageKind::Withdrawn => const { &[one("reason", W::Long, Req)] },
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
/// A problem found while reading the form itself (a JSON document that does not parse).
type Local = (String, String);

fn value_of(w: &W, name: &str, form: &Draft, s: &Setting<'_>, local: &mut Vec<Local>) -> Value {
    let typed = form.get(name);
    match *w {
        W::Text | W::Date | W::Choice(..) => Value::String(typed.trim().to_owned()),
        W::Long => Value::String(typed.replace("\r\n", "\n").trim().to_owned()),
        W::Instant => instant_value(typed, s.zone),
        W::Bool => match typed {
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
        W::Json => match serde_json::from_str::<Value>(typed) {
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

/// The reply JSON of `form`, or the problems of the form itself.
fn reply_json(
    kind: MessageKind,
    parts: &'static [F],
    form: &Draft,
    s: &Setting<'_>,
) -> Result<Value, Vec<Local>> {
    let mut local = Vec::new();
    let mut body: serde_json::Map<String, Value> = form::build(parts, "", form, &mut |w, name| {
        value_of(w, name, form, s, &mut local)
    })
    .into_iter()
    .collect();
    if !local.is_empty() {
        return Err(local);
    }
    body.insert("kind".into(), Value::String(kind.name().to_owned()));
    Ok(Value::Object(body))
}

// ---------------------------------------------------------------------------------------------
// Rendering

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
    pub options: Vec<Offer>,
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

fn options(w: &W, chosen: &[&str], s: &Setting<'_>) -> Vec<Offer> {
    let tr = s.tr;
    let list: Vec<(String, String)> = match *w {
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
    Offer::list(list, |v| chosen.contains(&v))
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

/// The rows of a reply's form, as the walk over its fields tells them.
struct Rows<'a> {
    form: &'a Draft,
    s: &'a Setting<'a>,
    rows: Vec<Row>,
    anchors: Anchors,
}

impl Rows<'_> {
    fn push(&mut self, row: Row, anchor: Option<&str>) {
        if let Some(name) = anchor {
            self.anchors.mark(name, self.rows.len());
        }
        self.rows.push(row);
    }

    fn close(&mut self) {
        self.push(
            Row {
                kind: "close",
                ..Row::default()
            },
            None,
        );
    }

    fn label(&self, f: &F) -> String {
        self.s.tr.t(&label_key(f.key))
    }

    /// The row of a field or a list's entry.
    fn field_row(&self, name: &str, label: String, w: &W, presence: Presence) -> Row {
        let tr = self.s.tr;
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
                self.s.zone.iana_name().unwrap_or("UTC"),
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
        Row {
            kind: "field",
            name: name.to_owned(),
            id: dom_id(name),
            label,
            hint,
            widget,
            options: options(w, &self.form.all(name), self.s),
            value: self.form.get(name).to_owned(),
            ..self.presence_row(name, presence)
        }
    }

    /// The presence part of a row (value, or not applicable / unknown with a reason).
    fn presence_row(&self, name: &str, presence: Presence) -> Row {
        Row {
            optional: !presence.is_required(),
            unknown: presence.allows_unknown(),
            mode: self.form.way_typed(name).to_owned(),
            reason: self.form.reason(name).to_owned(),
            ..Row::default()
        }
    }

    fn open_row(&self, name: &str, label: String, presence: Presence) -> Row {
        Row {
            kind: "open",
            name: name.to_owned(),
            id: dom_id(name),
            label,
            ..self.presence_row(name, presence)
        }
    }
}

impl Visit<W> for Rows<'_> {
    fn leaf(&mut self, f: &'static F, w: &'static W, name: &str, entry: Option<usize>) {
        let row = match entry {
            None => self.field_row(name, self.label(f), w, f.presence),
            Some(i) => {
                let tr = self.s.tr;
                let n = (i + 1).to_string();
                let list = name
                    .get(..name.rfind('[').unwrap_or(name.len()))
                    .unwrap_or(name);
                let mut row = self.field_row(
                    name,
                    tr.t1("web-reply-entry", "n", &n),
                    w,
                    Presence::Required,
                );
                row.op = Op::remove(list, i);
                row.list = true;
                row.button = tr.t1("web-reply-remove", "n", &n);
                row
            }
        };
        self.push(row, Some(name));
    }

    fn begin_object(&mut self, f: &'static F, name: &str) {
        let row = self.open_row(name, self.label(f), f.presence);
        self.push(row, Some(name));
    }

    fn end_object(&mut self, _: &'static F, _: &str) {
        self.close();
    }

    fn begin_list(&mut self, f: &'static F, name: &str, count: usize) {
        let mut open = self.open_row(name, self.label(f), f.presence);
        open.list = true;
        open.count = count;
        self.push(open, Some(name));
    }

    fn begin_entry(
        &mut self,
        _: &'static F,
        item: &'static Shape<W>,
        entry: &str,
        list: &str,
        i: usize,
    ) {
        if let Shape::Object(_) = item {
            let tr = self.s.tr;
            let n = (i + 1).to_string();
            let row = Row {
                kind: "item",
                id: dom_id(entry),
                label: tr.t1("web-reply-entry", "n", &n),
                op: Op::remove(list, i),
                button: tr.t1("web-reply-remove", "n", &n),
                ..Row::default()
            };
            self.push(row, Some(entry));
        }
    }

    fn end_entry(&mut self, _: &'static F, item: &'static Shape<W>, _: &str, _: &str, _: usize) {
        if let Shape::Object(_) = item {
            self.close();
        }
    }

    fn end_list(&mut self, f: &'static F, name: &str, count: usize) {
        if count < form::MAX_ITEMS {
            let button = self.s.tr.t1("web-reply-add", "list", &self.label(f));
            self.push(
                Row {
                    kind: "add",
                    op: Op::add(name),
                    button,
                    ..Row::default()
                },
                None,
            );
        }
        self.close();
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
/// field of their path or its nearest parent, else at the top) and messages for the top.
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
    parts: &'static [F],
    form: &Draft,
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
    let mut out = Rows {
        form,
        s: &s,
        rows: Vec::new(),
        anchors: Anchors::default(),
    };
    form::walk(parts, "", form, &mut out);
    let Rows {
        mut rows, anchors, ..
    } = out;
    for (path, message) in by_path {
        match anchors.find(&path).and_then(|i| rows.get_mut(i)) {
            Some(row) => row.errors.push(message),
            None => top.push(message),
        }
    }
    for row in &mut rows {
        row.described = match row.kind {
            "field" => described(&row.id, !row.hint.is_empty(), !row.errors.is_empty()),
            "open" => described(&row.id, false, !row.errors.is_empty()),
            _ => String::new(),
        };
    }
    ComposerPage {
        c: Chrome::for_person(ctx, p, "web-reply-title"),
        ticket: case.ticket().to_string(),
        kind: kind.name().to_owned(),
        heading: kind.label(p.lang),
        state: case.state().label(p.lang),
        zone: zone.iana_name().unwrap_or("UTC").to_owned(),
        top,
        rows,
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
) -> Draft {
    let zone = our_zone(ctx);
    let at = |t: Timestamp| local_input(t, &zone);
    let days = |n: i64| {
        now.checked_add(jiff::SignedDuration::from_hours(24 * n))
            .unwrap_or(now)
    };
    let mut f = Draft::new(NAMING);
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
            let n = usize::from(questions).min(form::MAX_ITEMS);
            f.set("answers~count", n.to_string());
            for i in 0..n {
                f.set(format!("answers[{i}].question"), (i + 1).to_string());
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
            let n = usize::from(items.max(1)).min(form::MAX_ITEMS);
            f.set("items~count", n.to_string());
            for i in 0..n {
                f.set(format!("items[{i}].item"), (i + 1).to_string());
                f.set(format!("items[{i}].status"), "preserved");
                f.set(format!("items[{i}].note~mode"), "not_applicable");
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
) -> Result<(TicketId, Case, MessageKind, &'static [F]), Response> {
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
    let mut form = match Draft::parse(&body, NAMING) {
        Ok(form) => form,
        Err(e) => return Ok(form::refused(p.lang, &e)),
    };
    let op = Op::parse(&form.take("op").unwrap_or_default());
    let _ = form.take("csrf");
    let render = |form: &Draft, status: StatusCode, by_path, top| {
        let feedback = Feedback { by_path, top };
        (
            status,
            composer(&ctx, &p, &case, kind, parts, form, feedback),
        )
            .into_response()
    };
    form.apply(&op, parts);
    if op != Op::Send {
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
    let mut form = Draft::new(NAMING);
    form::fill(parts, "", reply, &mut form, &mut |w, name, v, form| {
        fill_value(w, name, v, zone, form);
    });
    Some(form.into_pairs())
}

fn fill_value(w: &W, name: &str, v: &Value, zone: &TimeZone, form: &mut Draft) {
    match w {
        W::Instant => {
            // Typed in the node's zone, without the offset.
            let text = v.as_str().unwrap_or_default();
            match text.parse::<Timestamp>() {
                Ok(at) => form.set(name, local_input(at, zone)),
                Err(_) => form.set(name, text),
            }
        }
        W::Ground | W::ItemGround => form.set(name, v["ground"].as_str().unwrap_or_default()),
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
            let mut form = Draft::new(NAMING);
            for (k, v) in form_for(kind, &example, &zone).unwrap() {
                form.push(k, v);
            }
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
    fn a_document_that_is_not_json_is_a_problem_of_its_field() {
        let zone = TimeZone::UTC;
        let mut f = Draft::new(NAMING);
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
