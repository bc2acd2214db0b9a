#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: a failed setup step should stop the test loudly.

//! The reply composer over a real node on 127.0.0.1: every reply kind officers write has a
//! composer reachable from the case page, and a valid form records the reply on the case,
//! sealed and queued; refusals (a reply the state does not allow, a ground the article does
//! not allow, a preservation shorter than 60 days, no CSRF token, a read-only person) say why
//! and store nothing; lists grow and shrink; cases close from their page.

mod web_harness;

use web_harness::{Node, Other, client, start_with};

use std::time::Duration;

use cp247_case::{Case, CaseEvent, MessageKind, Msg, Opening, Role as Side};
use cp247_domain::{Address, Clock, PartyCode, TicketId};
use cp247_forms::{Document, Kind};
use cp247_i18n::Lang;
use cp247_server::accounts::{Password, enrol};
use cp247_server::auth::Role;
use cp247_server::web::reply::form_for;
use cp247_store::{Page, SessionStage};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::Value;

async fn start() -> Node {
    start_with(Other {
        unit: "MD unit",
        zone: "Europe/Chisinau",
    })
    .await
}

impl Node {
    /// A signed-in session of a new account with `role`.
    async fn person(&self, username: &str, role: Role) -> String {
        let e = enrol(
            &self.node.context.store,
            &self.node.context.web.secrets,
            username,
            &format!("{username} name"),
            role,
            &Password::new("a long enough password".into()),
            "cp247 FR",
            self.clock.now(),
        )
        .await
        .unwrap();
        let id = cp247_server::web::session::new_id().to_string();
        self.node
            .context
            .store
            .create_session(
                &cp247_server::web::session::id_hash(&id),
                e.account.id,
                SessionStage::SignedIn,
                self.clock.now(),
            )
            .await
            .unwrap();
        id
    }

    /// Stores a case on `ticket` of this node's side `side`, for `doc`, after `events`.
    async fn case(
        &self,
        ticket: &str,
        side: Side,
        doc: &Document,
        events: &[CaseEvent],
    ) -> TicketId {
        let id = TicketId::parse(ticket).unwrap();
        let now = self.clock.now();
        let md = Address::primary(PartyCode::parse("MD").unwrap());
        let opening = Opening::for_request(id.clone(), side, doc, md, now).unwrap();
        let mut case = Case::open(opening);
        for e in events {
            case.record(e.clone(), now).unwrap();
        }
        let kind = match case.article() {
            cp247_case::Article::Art31 => "art31",
            _ => "art29",
        };
        let mut tx = self.node.context.store.begin().await.unwrap();
        tx.create_ticket(&cp247_store::NewTicket {
            id: id.clone(),
            our_role: match side {
                Side::Requester => cp247_store::OurRole::Requester,
                Side::Requested => cp247_store::OurRole::Requested,
            },
            our_party: PartyCode::parse("FR").unwrap(),
            counterpart: PartyCode::parse("MD").unwrap(),
            kind: cp247_store::TicketKind::parse(kind).unwrap(),
            state: cp247_store::TicketState::parse(case.state().name()).unwrap(),
            urgency: case.urgency(),
            title: cp247_store::CaseText::new("Ransomware server").unwrap(),
            reference: None,
            created_at: now,
        })
        .await
        .unwrap();
        tx.create_case(&case, None, &cp247_store::Actor::node())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    }

    async fn events(&self, id: &TicketId) -> Vec<String> {
        self.node
            .context
            .store
            .case_events(id)
            .await
            .unwrap()
            .iter()
            .map(|e| cp247_store::event_name(&e.recorded.event))
            .collect()
    }

    async fn outgoing(&self, id: &TicketId) -> usize {
        self.node
            .context
            .store
            .deliveries_for_ticket(
                id,
                Page {
                    offset: 0,
                    limit: 100,
                },
            )
            .await
            .unwrap()
            .items
            .len()
    }

    async fn get(&self, session: &str, path: &str) -> (StatusCode, String) {
        let r = client()
            .get(format!("{}{path}", self.base))
            .header(COOKIE, format!("cp247_session={session}"))
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.text().await.unwrap())
    }

    /// Posts `fields` (with the session's CSRF token unless `csrf` is false).
    async fn post(
        &self,
        session: &str,
        path: &str,
        fields: &[(String, String)],
        csrf: bool,
    ) -> (StatusCode, Option<String>, String) {
        let mut pairs = fields.to_vec();
        if csrf {
            pairs.push(("csrf".into(), cp247_server::web::session::csrf_for(session)));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish();
        let r = client()
            .post(format!("{}{path}", self.base))
            .header(COOKIE, format!("cp247_session={session}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let location = r
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        (status, location, r.text().await.unwrap())
    }

    async fn stop(self) {
        self.node.shutdown_token().cancel();
        tokio::time::timeout(Duration::from_secs(30), self.node.wait())
            .await
            .expect("the node stops");
    }
}

fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").unwrap()
}

/// The forms crate's Art. 29 example as an extension of `previous`.
fn extension_request(previous: &str) -> Document {
    let mut v: Value = serde_json::from_str(cp247_forms::examples::json(Kind::Art29)).unwrap();
    v["request_status"] = Value::String("extension".into());
    v["previous_ticket"] = serde_json::json!({
        "ticket_id": previous,
        "counterpart_reference": "CCCI-2026-311",
        "date": "2026-02-21",
        "channel": "network_system",
        "requesting_contact": "Office anti-cybercriminalité (OFAC), 24/7 contact point, Nanterre, France.",
        "executing_contact": "General Police Inspectorate, Centre for Combating Cyber Crime, Chișinău.",
    });
    let node = cp247_forms::Node::from_json(v.to_string().as_bytes()).unwrap();
    let parsed = cp247_forms::decode(&node);
    parsed
        .document
        .unwrap_or_else(|| panic!("{:?}", parsed.report))
}

/// Moves every instant and date of `v` forward by `days` days (the example replies are written
/// for February 2026; the node's clock is today).
fn shift(v: &mut Value, days: i64) {
    match v {
        Value::String(s) => {
            if s.contains('T')
                && let Ok(at) = s.parse::<Timestamp>()
            {
                *s = (at + SignedDuration::from_hours(24 * days)).to_string();
            } else if s.len() == 10
                && let Ok(d) = s.parse::<jiff::civil::Date>()
            {
                *s = d
                    .checked_add(jiff::Span::new().days(days))
                    .unwrap()
                    .to_string();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| shift(i, days)),
        Value::Object(map) => map.values_mut().for_each(|i| shift(i, days)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The example reply of `kind`, moved so that its first day is tomorrow, as form fields.
fn example_form(kind: MessageKind, now: Timestamp) -> Vec<(String, String)> {
    let text = cp247_case::reply::examples::json(kind).unwrap();
    let mut v: Value = serde_json::from_str(text).unwrap();
    let base: Timestamp = "2026-02-20T00:00:00Z".parse().unwrap();
    let days = base.duration_until(now).as_hours() / 24 + 2;
    shift(&mut v, days);
    let mut fields = form_for(kind, &v, &paris()).unwrap();
    fields.push(("op".into(), "send".into()));
    fields
}

/// A case state from which each side can write each kind.
#[derive(Debug, Clone, Copy)]
enum Scenario {
    /// Requested side, Art. 29 request received.
    Received29,
    /// Requested side, Art. 29 preserved.
    Preserved29,
    /// Requested side, Art. 31 request received.
    Received31,
    /// Requested side, Art. 29 extension request received.
    Extension29,
    /// Requester side, Art. 29 sent and receipted.
    Sent29,
    /// Requester side, after a risk notice.
    RiskNotified29,
    /// Requester side, after conditions proposed.
    Conditions29,
    /// Requester side, after a request for information.
    Questions29,
    /// Requester side, preserved.
    PreservedRequester29,
}

const SCENARIOS: [Scenario; 9] = [
    Scenario::Received29,
    Scenario::Preserved29,
    Scenario::Received31,
    Scenario::Extension29,
    Scenario::Sent29,
    Scenario::RiskNotified29,
    Scenario::Conditions29,
    Scenario::Questions29,
    Scenario::PreservedRequester29,
];

impl Scenario {
    fn side(self) -> Side {
        match self {
            Scenario::Received29
            | Scenario::Preserved29
            | Scenario::Received31
            | Scenario::Extension29 => Side::Requested,
            Scenario::Sent29
            | Scenario::RiskNotified29
            | Scenario::Conditions29
            | Scenario::Questions29
            | Scenario::PreservedRequester29 => Side::Requester,
        }
    }

    fn doc(self) -> Document {
        match self {
            Scenario::Received31 => cp247_forms::examples::example(Kind::Art31).unwrap(),
            Scenario::Extension29 => extension_request("FR-2026-PREV01"),
            _ => cp247_forms::examples::example(Kind::Art29).unwrap(),
        }
    }

    fn events(self, now: Timestamp) -> Vec<CaseEvent> {
        let later = |d: i64| now + SignedDuration::from_hours(24 * d);
        let preserved = Msg::PreservationConfirmed {
            preserved_at: now,
            until: later(90),
        };
        let requester = |m: Msg| {
            vec![
                CaseEvent::Sent(Msg::Request),
                CaseEvent::SystemReceipt,
                CaseEvent::Received(m),
            ]
        };
        match self {
            Scenario::Received29 | Scenario::Received31 | Scenario::Extension29 => {
                vec![CaseEvent::Received(Msg::Request)]
            }
            Scenario::Preserved29 => vec![
                CaseEvent::Received(Msg::Request),
                CaseEvent::Sent(preserved),
            ],
            Scenario::Sent29 => vec![CaseEvent::Sent(Msg::Request), CaseEvent::SystemReceipt],
            Scenario::RiskNotified29 => requester(Msg::RiskNotice {
                decision_needed_by: later(3),
            }),
            Scenario::Conditions29 => requester(Msg::ConditionsProposed),
            Scenario::Questions29 => requester(Msg::InformationRequested {
                id: cp247_domain::MessageId::generate(now, &mut rand::rng()),
                blocking: false,
                respond_by: None,
                questions: 2,
            }),
            Scenario::PreservedRequester29 => requester(preserved),
        }
    }

    /// The case of this scenario in memory, to ask what it allows.
    fn case(self, now: Timestamp) -> Case {
        let md = Address::primary(PartyCode::parse("MD").unwrap());
        let opening = Opening::for_request(
            TicketId::parse("FR-2026-PRBE01").unwrap(),
            self.side(),
            &self.doc(),
            md,
            now,
        )
        .unwrap();
        let mut case = Case::open(opening);
        for e in self.events(now) {
            case.record(e, now).unwrap();
        }
        case
    }
}

/// `text` as askama escapes it in a page.
fn esc(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

fn composable(kind: MessageKind) -> bool {
    !kind.is_request() && kind != MessageKind::EscalationNotice
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reply_kind_is_composed_and_recorded_on_the_case() {
    let n = start().await;
    let s = n.person("olga", Role::Officer).await;
    let now = n.clock.now();
    let probe = cp247_domain::MessageId::generate(now, &mut rand::rng());
    let mut done = 0;
    for (i, kind) in MessageKind::ALL
        .iter()
        .copied()
        .filter(|k| composable(*k))
        .enumerate()
    {
        let scenario = SCENARIOS
            .into_iter()
            .find(|sc| sc.case(now).allowed_replies(probe, now).contains(&kind))
            .unwrap_or_else(|| panic!("no scenario allows {kind}"));
        let prefix = match scenario.side() {
            Side::Requested => "MD",
            Side::Requester => "FR",
        };
        let ticket = format!("{prefix}-2026-RPY{i:02}");
        let id = n
            .case(
                &ticket,
                scenario.side(),
                &scenario.doc(),
                &scenario.events(now),
            )
            .await;
        let before = n.events(&id).await.len();

        // The case page links to the composer.
        let composer = format!("/cases/{id}/replies/{}", kind.name());
        let (status, page) = n.get(&s, &format!("/cases/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&format!("href=\"{composer}\"")),
            "{kind}: {page}"
        );

        // The composer: its heading, a label for every field, the zone of times.
        let mut fields = example_form(kind, now);
        if kind == MessageKind::PreservationReleased {
            // Released after preservation, not after a request for mutual assistance.
            for (k, v) in &mut fields {
                if k == "reason" {
                    *v = "no_longer_needed".into();
                }
            }
        }
        let (status, page) = n.get(&s, &composer).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {page}");
        assert!(page.contains(&esc(&kind.label(Lang::En))), "{kind}: {page}");
        let first = fields[0].0.split(['.', '[', '~']).next().unwrap();
        let label = cp247_i18n::text(
            Lang::En,
            &format!("web-reply-f-{}", first.replace('_', "-")),
        );
        assert!(
            page.contains(&esc(&label)),
            "{kind}: label {label} missing: {page}"
        );
        assert!(!page.contains('⟦'), "{kind}: a label is missing: {page}");
        assert!(page.contains("Europe/Paris"), "{kind}: {page}");

        // A valid reply is recorded, sealed and queued; back to the case page.
        let (status, location, body) = n.post(&s, &composer, &fields, true).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{kind}: {body}");
        assert_eq!(
            location.as_deref(),
            Some(format!("/cases/{id}?sent={}", kind.name()).as_str())
        );
        let events = n.events(&id).await;
        assert_eq!(events.len(), before + 1, "{kind}");
        assert_eq!(events.last().unwrap(), &format!("sent:{}", kind.name()));
        assert_eq!(n.outgoing(&id).await, 1, "{kind}");
        let (_, page) = n.get(&s, location.as_deref().unwrap()).await;
        assert!(
            page.contains(&esc(&format!("Sent: {}.", kind.label(Lang::En)))),
            "{kind}: {page}"
        );
        done += 1;
    }
    assert_eq!(done, 20);
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_say_why_next_to_the_field_and_store_nothing() {
    let n = start().await;
    let s = n.person("olga", Role::Officer).await;
    let now = n.clock.now();
    let id = n
        .case(
            "MD-2026-RFSD01",
            Side::Requested,
            &Scenario::Received29.doc(),
            &Scenario::Received29.events(now),
        )
        .await;
    let events = n.events(&id).await;

    // A reply the state does not allow: the composer is not offered, and a post is refused
    // with the case crate's reason.
    let released = format!("/cases/{id}/replies/preservation_released");
    let (status, page) = n.get(&s, &released).await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("cannot be sent on this case now"), "{page}");
    let (status, _, page) = n
        .post(
            &s,
            &released,
            &example_form(MessageKind::PreservationReleased, now),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("cannot send"), "{page}");
    assert!(page.contains("Nothing was sent"), "{page}");
    assert_eq!(n.events(&id).await, events);
    assert_eq!(n.outgoing(&id).await, 0);

    // Refusal grounds: only those of Art. 29 are offered; another is refused at its field.
    let refused = format!("/cases/{id}/replies/refused");
    let (status, page) = n.get(&s, &refused).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("value=\"essential_interests\""), "{page}");
    assert!(
        !page.contains("value=\"domestic_law_or_treaty_ground\""),
        "{page}"
    );
    let mut fields = example_form(MessageKind::Refused, now);
    for (k, v) in &mut fields {
        if k == "grounds[0]" {
            *v = "domestic_law_or_treaty_ground".into();
        }
    }
    let (status, _, page) = n.post(&s, &refused, &fields, true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("id=\"f-grounds-0--err\""), "{page}");
    assert!(page.contains("is not a ground on which"), "{page}");
    // What was typed stays in the form.
    assert!(page.contains("The server belongs to the network"), "{page}");
    assert_eq!(n.events(&id).await, events);
    assert_eq!(n.outgoing(&id).await, 0);

    // A preservation shorter than 60 days (Art. 29(7)) is shown at preserved_until.
    let confirmed = format!("/cases/{id}/replies/preservation_confirmed");
    let mut fields = example_form(MessageKind::PreservationConfirmed, now);
    let at = fields
        .iter()
        .find(|(k, _)| k == "preserved_at")
        .map(|(_, v)| v.clone())
        .unwrap();
    let short = at
        .parse::<jiff::civil::DateTime>()
        .unwrap()
        .checked_add(jiff::Span::new().days(30))
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    for (k, v) in &mut fields {
        if k == "preserved_until" {
            *v = short.clone();
        }
    }
    let (status, _, page) = n.post(&s, &confirmed, &fields, true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("id=\"f-preserved-until-err\""), "{page}");
    assert!(page.contains("at least 60 days"), "{page}");
    assert_eq!(n.events(&id).await, events);

    // The same in French.
    let (status, _, _) = n
        .post(&s, "/language", &[("lang".into(), "fr".into())], true)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = n.post(&s, &confirmed, &fields, true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("lang=\"fr\""), "{page}");
    assert!(page.contains("au moins 60 jours"), "{page}");
    assert!(
        page.contains("Rien n&#39;a été envoyé") || page.contains("Rien n'a été envoyé"),
        "{page}"
    );
    assert!(!page.contains('⟦'), "{page}");

    // No CSRF token: refused before the handler.
    let (status, _, _) = n
        .post(
            &s,
            &confirmed,
            &example_form(MessageKind::PreservationConfirmed, now),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(n.events(&id).await, events);
    assert_eq!(n.outgoing(&id).await, 0);

    // A read-only person gets neither the composer nor the post.
    let reader = n.person("rita", Role::ReadOnly).await;
    let (status, page) = n.get(&reader, &confirmed).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!page.contains("preserved_until"));
    let (status, _, _) = n
        .post(
            &reader,
            &confirmed,
            &example_form(MessageKind::PreservationConfirmed, now),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(n.events(&id).await, events);
    assert_eq!(n.outgoing(&id).await, 0);

    // Unknown and scheduler-only kinds have no composer.
    for kind in ["escalation_notice", "art29_request", "nonsense"] {
        let (status, _) = n.get(&s, &format!("/cases/{id}/replies/{kind}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{kind}");
    }
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_grow_and_shrink_and_cases_close_from_their_page() {
    let n = start().await;
    let s = n.person("olga", Role::Officer).await;
    let now = n.clock.now();
    let id = n
        .case(
            "MD-2026-MSTS01",
            Side::Requested,
            &Scenario::Received29.doc(),
            &Scenario::Received29.events(now),
        )
        .await;
    let refused = format!("/cases/{id}/replies/refused");
    let typed = |op: &str| {
        vec![
            ("grounds~count".to_owned(), "2".to_owned()),
            ("grounds[0]".to_owned(), "political_offence".to_owned()),
            ("grounds[1]".to_owned(), "essential_interests".to_owned()),
            (
                "explanation".to_owned(),
                "Kept while the form changes.".to_owned(),
            ),
            ("alternatives~mode".to_owned(), "not_applicable".to_owned()),
            (
                "alternatives~reason".to_owned(),
                "No other channel would lead to another answer.".to_owned(),
            ),
            ("op".to_owned(), op.to_owned()),
        ]
    };
    let (status, _, page) = n.post(&s, &refused, &typed("add:grounds"), true).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("name=\"grounds[2]\""), "{page}");
    assert!(page.contains("Kept while the form changes."), "{page}");
    let (status, _, page) = n.post(&s, &refused, &typed("remove:grounds:0"), true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("name=\"grounds[1]\""), "{page}");
    assert!(
        page.contains("name=\"grounds~count\" value=\"1\""),
        "{page}"
    );
    // The remaining entry is the second one, moved up.
    let select = page.split("name=\"grounds[0]\"").nth(1).unwrap();
    let selected = select.split(" selected").next().unwrap();
    assert!(
        selected.ends_with("value=\"essential_interests\""),
        "{select}"
    );
    assert!(n.events(&id).await.len() == 1 && n.outgoing(&id).await == 0);

    // Not closable while open: the page says why; after a refusal, it closes.
    let (_, page) = n.get(&s, &format!("/cases/{id}")).await;
    assert!(
        !page.contains(&format!("action=\"/cases/{id}/close\"")),
        "{page}"
    );
    let (status, _, page) = n.post(&s, &format!("/cases/{id}/close"), &[], true).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("cannot close"), "{page}");
    let (status, _, _) = n.post(&s, &refused, &typed("send"), true).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = n.get(&s, &format!("/cases/{id}")).await;
    assert!(
        page.contains(&format!("action=\"/cases/{id}/close\"")),
        "{page}"
    );
    let (status, location, _) = n.post(&s, &format!("/cases/{id}/close"), &[], true).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = n.get(&s, location.as_deref().unwrap()).await;
    assert!(page.contains("The case is closed."), "{page}");
    assert_eq!(n.events(&id).await.last().unwrap(), "closed");
    n.stop().await;
}
