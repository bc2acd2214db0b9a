#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: a failed setup step should stop the test loudly.

//! The request composer and the PDF download over a real node on 127.0.0.1: pre-filled
//! directory data, problems next to their fields in English and French, CSRF, a valid request
//! sent through the API's path onto a new case, PDFs of a request and of a reply in both
//! languages, scoping to the node's own cases, and roles.

mod web_harness;

use web_harness::{Node, Other, client, start_with};

use std::time::Duration;

use cp247_domain::{Clock, MessageId, PartyCode};
use cp247_forms::Node as Tree;
use cp247_server::accounts::{Enrolment, Password, enrol};
use cp247_server::auth::Role;
use cp247_store::{Page, SessionStage, Viewer};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE, LOCATION};

const USER_PASSWORD: &str = "a long enough password";

async fn start() -> Node {
    start_with(Other {
        unit: "MD cybercrime unit",
        zone: "Europe/Chisinau",
    })
    .await
}

impl Node {
    async fn enrol(&self, username: &str, role: Role) -> Enrolment {
        enrol(
            &self.node.context.store,
            &self.node.context.web.secrets,
            username,
            &format!("{username} name"),
            role,
            &Password::new(USER_PASSWORD.into()),
            "cp247 FR",
            self.clock.now(),
        )
        .await
        .unwrap()
    }

    /// A signed-in session, written straight into the store (sign-in has its own tests).
    async fn session(&self, account: u64) -> String {
        let id = cp247_server::web::session::new_id().to_string();
        self.node
            .context
            .store
            .create_session(
                &cp247_server::web::session::id_hash(&id),
                account,
                SessionStage::SignedIn,
                self.clock.now(),
            )
            .await
            .unwrap();
        id
    }

    async fn token_for(&self, account: &cp247_store::Account) -> String {
        web_harness::own_token(self, account).await
    }

    async fn get(&self, http: &reqwest::Client, session: &str, path: &str) -> reqwest::Response {
        http.get(format!("{}{path}", self.base))
            .header(COOKIE, format!("cp247_session={session}"))
            .send()
            .await
            .unwrap()
    }

    async fn page(
        &self,
        http: &reqwest::Client,
        session: &str,
        path: &str,
    ) -> (StatusCode, String) {
        let r = self.get(http, session, path).await;
        let status = r.status();
        (status, r.text().await.unwrap())
    }

    /// Posts the composer's form (with the session's CSRF token unless `csrf` is false).
    async fn post_compose(
        &self,
        http: &reqwest::Client,
        session: &str,
        pairs: &[(String, String)],
        csrf: bool,
    ) -> reqwest::Response {
        let mut all: Vec<(String, String)> = Vec::new();
        if csrf {
            all.push(("csrf".into(), cp247_server::web::session::csrf_for(session)));
        }
        all.extend(pairs.iter().cloned());
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(all.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish();
        http.post(format!("{}/compose", self.base))
            .header(COOKIE, format!("cp247_session={session}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn stop(self) {
        self.node.shutdown_token().cancel();
        tokio::time::timeout(Duration::from_secs(30), self.node.wait())
            .await
            .expect("the node stops");
    }
}

/// The form values that express `doc` (a document's JSON tree), named the way the composer
/// names its inputs: field paths; `P~` and `P~reason` for not_applicable/unknown; `P~n` for
/// the length of a list of objects; `P~<value>` for each member of a set of values.
fn form_values(path: &str, node: &Tree, out: &mut Vec<(String, String)>) {
    let key = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match node {
        Tree::Object(entries) => {
            for which in ["not_applicable", "unknown"] {
                if let Some(m) = node.get(which) {
                    out.push((format!("{path}~"), which.to_owned()));
                    if let Some(Tree::String(r)) = m.get("reason") {
                        out.push((format!("{path}~reason"), r.clone()));
                    }
                    return;
                }
            }
            for (k, v) in entries {
                if path.is_empty() && k == "kind" {
                    continue;
                }
                form_values(&key(k), v, out);
            }
        }
        Tree::Array(items) if items.iter().all(|i| matches!(i, Tree::String(_))) => {
            for i in items {
                if let Tree::String(s) = i {
                    out.push((format!("{path}~{s}"), "on".into()));
                }
            }
        }
        Tree::Array(items) => {
            out.push((format!("{path}~n"), items.len().to_string()));
            for (i, item) in items.iter().enumerate() {
                form_values(&format!("{path}[{i}]"), item, out);
            }
        }
        Tree::String(s) | Tree::Text(s) | Tree::Number(s) => out.push((path.to_owned(), s.clone())),
        Tree::Bool(b) => out.push((path.to_owned(), b.to_string())),
        Tree::Null => {}
    }
}

/// The forms crate's Art. 29 example (FR to MD) as the composer's form, sending it.
fn example_form(kind: cp247_forms::Kind) -> Vec<(String, String)> {
    let doc = cp247_forms::examples::example(kind).unwrap();
    let json = cp247_forms::to_json_string(&doc);
    let tree = Tree::from_json(json.as_bytes()).unwrap();
    let mut out = vec![
        ("~kind".to_owned(), kind.to_string()),
        ("~to".to_owned(), "MD".to_owned()),
        ("~point".to_owned(), "primary".to_owned()),
        ("op".to_owned(), "send".to_owned()),
    ];
    form_values("", &tree, &mut out);
    out
}

fn with(mut form: Vec<(String, String)>, name: &str, value: &str) -> Vec<(String, String)> {
    form.retain(|(k, _)| k != name);
    form.push((name.to_owned(), value.to_owned()));
    form
}

/// The text of the page from the element with `id` to the next field: where the problems
/// of that field are shown.
fn near(page: &str, id: &str) -> String {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element {id} in the page: {page}"));
    let rest = &page[at..];
    let end = rest
        .get(1..)
        .and_then(|r| r.find("<div class=\"field"))
        .map_or(rest.len(), |e| e + 1);
    rest[..end].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_composer_prefills_checks_and_sends_through_the_api_path() {
    let n = start().await;
    let http = client();
    let olga = n.enrol("olga", Role::Officer).await;
    let s = n.session(olga.account.id).await;

    // The navigation and the directory lead to the composer.
    let (_, inbox) = n.page(&http, &s, "/inbox").await;
    assert!(inbox.contains("href=\"/compose\""), "{inbox}");
    let (_, dir) = n.page(&http, &s, "/directory").await;
    assert!(dir.contains("href=\"/compose?to=MD\""), "{dir}");
    assert!(!dir.contains("href=\"/compose?to=FR\""), "{dir}");
    let (status, chooser) = n.page(&http, &s, "/compose?to=MD").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        chooser.contains("<option value=\"MD\" selected>"),
        "{chooser}"
    );

    // Pre-filled: the requested Party's unit and zone from the directory; the requesting side
    // from this node's own entry and the officer.
    let unit = |party: &str| {
        let snapshot = n.node.context.directory.snapshot();
        let address = cp247_domain::Address::primary(PartyCode::parse(party).unwrap());
        snapshot
            .current()
            .unwrap()
            .directory()
            .contact_point(&address)
            .unwrap()
            .unit
            .as_str()
            .to_owned()
    };
    let (md_unit, fr_unit) = (unit("MD"), unit("FR"));
    let (status, page) = n.page(&http, &s, "/compose?kind=art29&to=MD").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        near(&page, "f-requested_authority--name").contains(&format!("value=\"{md_unit}\"")),
        "{page}"
    );
    assert!(page.contains("Europe/Chisinau"), "{page}");
    for (id, value) in [
        ("f-requesting_authority--organisation", fr_unit.as_str()),
        ("f-requesting_authority--person_in_charge", "olga name"),
        ("f-requesting_authority--phone", "+33140000000"),
        ("f-requesting_authority--time_zone", "Europe/Paris"),
    ] {
        assert!(
            near(&page, id).contains(&format!("value=\"{value}\"")),
            "{id}: {}",
            near(&page, id)
        );
    }
    // Every input has a label; not applicable and unknown are explicit choices.
    assert!(
        page.contains("<label for=\"f-summary_of_facts\">"),
        "{page}"
    );
    assert!(page.contains("value=\"not_applicable\""), "{page}");
    assert!(page.contains("value=\"unknown\""), "{page}");
    assert!(
        page.contains("Article 29(2)(f)"),
        "the MLA intention is stated"
    );

    // Lists grow and shrink with plain buttons; the draft travels in the form.
    let base = example_form(cp247_forms::Kind::Art29);
    let r = n
        .post_compose(&http, &s, &with(base.clone(), "op", "add:offences"), true)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"f-offences-2--name\""), "{page}");
    assert!(page.contains("Extortion"), "the draft came back");
    let r = n
        .post_compose(
            &http,
            &s,
            &with(base.clone(), "op", "remove:offences:0"),
            true,
        )
        .await;
    let page = r.text().await.unwrap();
    assert!(!page.contains("id=\"f-offences-1--name\""), "{page}");
    assert!(
        near(&page, "f-offences-0--name").contains("value=\"Extortion\""),
        "the second offence moved up"
    );

    // A missing mandatory item: refused, shown next to its field and in the summary.
    let missing = with(base.clone(), "summary_of_facts", "");
    let r = n.post_compose(&http, &s, &missing, true).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    let field = near(&page, "f-summary_of_facts");
    assert!(field.contains("class=\"error\""), "{field}");
    assert!(field.contains("aria-invalid=\"true\""), "{field}");
    assert!(page.contains("href=\"#f-summary_of_facts\""), "{page}");
    assert!(page.contains("Problem:"), "{page}");

    // Not applicable without a reason is a problem too, next to the reason.
    let no_reason = with(
        with(base.clone(), "confirmation_contact~", "not_applicable"),
        "confirmation_contact~reason",
        "",
    );
    let r = n.post_compose(&http, &s, &no_reason, true).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        near(&page, "f-confirmation_contact-why").contains("class=\"error\""),
        "{page}"
    );
    // Nothing was sent while problems remained.
    let tickets = n
        .node
        .context
        .store
        .list_tickets_for(
            Viewer::Local(PartyCode::parse("FR").unwrap()),
            Page {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert!(tickets.items.is_empty());

    // French: the same problem, in French, next to the same field.
    let odile = n.enrol("odile", Role::Officer).await;
    n.node
        .context
        .store
        .set_account_lang(odile.account.id, "fr")
        .await
        .unwrap();
    let s_fr = n.session(odile.account.id).await;
    let r = n.post_compose(&http, &s_fr, &missing, true).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("lang=\"fr\""));
    let field = near(&page, "f-summary_of_facts");
    assert!(field.contains("Problème :"), "{field}");
    assert!(page.contains("Bref exposé des faits"), "{page}");
    assert!(!page.contains("⟦"), "a label is missing: {page}");

    // Without the CSRF token: refused before anything runs.
    let r = n.post_compose(&http, &s, &base, false).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Valid: sent through the API's path, and the officer lands on the new case.
    let r = n.post_compose(&http, &s, &base, true).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let location = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let ticket = location.strip_prefix("/cases/").unwrap().to_owned();
    assert!(ticket.starts_with("FR-"), "{location}");
    let (status, case) = n.page(&http, &s, &location).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert!(
        case.contains("Sent: Preservation request (Art. 29)"),
        "{case}"
    );
    // Queued for MD, audited as the person who sent it.
    let id = cp247_domain::TicketId::parse(&ticket).unwrap();
    let messages = n
        .node
        .context
        .store
        .messages_for(
            Viewer::Local(PartyCode::parse("FR").unwrap()),
            &id,
            Page {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(messages.items.len(), 1);
    assert_eq!(messages.items[0].recipient.party.as_str(), "MD");
    let audit = n
        .node
        .context
        .store
        .audit_for_ticket(
            &id,
            Page {
                offset: 0,
                limit: 100,
            },
        )
        .await
        .unwrap()
        .items;
    assert!(
        audit.iter().any(|e| e.actor.as_str() == "user:olga"
            && e.action == cp247_store::AuditAction::Send
            && e.ticket.as_ref() == Some(&id)),
        "the send is audited as the officer"
    );

    // The case page offers the PDF of the request and the continuation of the case.
    let mid = messages.items[0].id.to_string();
    assert!(
        case.contains(&format!("/cases/{ticket}/messages/{mid}/pdf?lang=fr")),
        "{case}"
    );
    assert!(
        case.contains(&format!(
            "/compose?kind=art29&#38;status=extension&#38;previous={ticket}&#38;to=MD"
        )),
        "{case}"
    );
    // The extension composer pre-fills the earlier ticket.
    let (status, ext) = n
        .page(
            &http,
            &s,
            &format!("/compose?kind=art29&status=extension&previous={ticket}&to=MD"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ext}");
    assert!(
        near(&ext, "f-previous_ticket--ticket_id").contains(&format!("value=\"{ticket}\"")),
        "{ext}"
    );
    n.stop().await;
}

/// Stores an Art. 29 request received from MD on `ticket`, as the federation inbox does.
async fn received_case(n: &Node, ticket: &str, our_party: &str) -> cp247_domain::TicketId {
    let id = cp247_domain::TicketId::parse(ticket).unwrap();
    let now = n.clock.now();
    let doc = cp247_forms::examples::example(cp247_forms::Kind::Art29).unwrap();
    let md = cp247_domain::Address::primary(PartyCode::parse("MD").unwrap());
    let opening =
        cp247_case::Opening::for_request(id.clone(), cp247_case::Role::Requested, &doc, md, now)
            .unwrap();
    let mut case = cp247_case::Case::open(opening);
    case.record(
        cp247_case::CaseEvent::Received(cp247_case::Msg::Request),
        now,
    )
    .unwrap();
    let mut tx = n.node.context.store.begin().await.unwrap();
    tx.create_ticket(&cp247_store::NewTicket {
        id: id.clone(),
        our_role: cp247_store::OurRole::Requested,
        our_party: PartyCode::parse(our_party).unwrap(),
        counterpart: PartyCode::parse(if our_party == "FR" { "MD" } else { "FR" }).unwrap(),
        kind: cp247_store::TicketKind::parse("art29").unwrap(),
        state: cp247_store::TicketState::parse("delivered").unwrap(),
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

async fn pdf(n: &Node, http: &reqwest::Client, s: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let r = n.get(http, s, path).await;
    let status = r.status();
    if status == StatusCode::OK {
        assert_eq!(r.headers()[CONTENT_TYPE], "application/pdf");
        let disposition = r.headers()[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
    }
    (status, r.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_download_as_pdf_in_both_languages_only_from_the_nodes_own_cases() {
    let n = start().await;
    let http = client();
    let olga = n.enrol("olga", Role::Officer).await;
    let s = n.session(olga.account.id).await;

    // A request we sent (through the composer) and a reply we sent (through the API).
    let art35 = with(
        example_form(cp247_forms::Kind::Art35),
        "requested_authority.party",
        "MD",
    );
    let r = n.post_compose(&http, &s, &art35, true).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let ours = r.headers()[LOCATION]
        .to_str()
        .unwrap()
        .trim_start_matches("/cases/")
        .to_owned();
    let received = received_case(&n, "MD-2026-ABCDEF", "FR").await;
    let token = n.token_for(&olga.account).await;
    let ack = cp247_case::reply::examples::json(cp247_case::MessageKind::Acknowledgement).unwrap();
    let r = http
        .post(format!("{}/api/v1/cases/{received}/replies", n.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(format!("{{\"reply\": {ack}}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);

    let store = &n.node.context.store;
    let fr = Viewer::Local(PartyCode::parse("FR").unwrap());
    let first = |t: &str| {
        let t = cp247_domain::TicketId::parse(t).unwrap();
        async move {
            store
                .messages_for(
                    fr,
                    &t,
                    Page {
                        offset: 0,
                        limit: 10,
                    },
                )
                .await
                .unwrap()
                .items
                .remove(0)
        }
    };
    let request = first(&ours).await;
    let reply = first(received.as_str()).await;
    assert_eq!(reply.message_type.as_str(), "acknowledgement");
    let (_, case) = n.page(&http, &s, &format!("/cases/{received}")).await;
    assert!(
        case.contains(&format!(
            "/cases/{received}/messages/{}/pdf?lang=en",
            reply.id
        )),
        "{case}"
    );

    for (ticket, m) in [(ours.as_str(), &request), (received.as_str(), &reply)] {
        for lang in ["en", "fr"] {
            let (status, bytes) = pdf(
                &n,
                &http,
                &s,
                &format!("/cases/{ticket}/messages/{}/pdf?lang={lang}", m.id),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{ticket} {lang}");
            assert!(bytes.starts_with(b"%PDF"), "{ticket} {lang}");
        }
    }
    // The download is audited as an export.
    let audit = store
        .audit_for_ticket(
            &cp247_domain::TicketId::parse(&ours).unwrap(),
            Page {
                offset: 0,
                limit: 100,
            },
        )
        .await
        .unwrap()
        .items;
    assert!(
        audit.iter().any(
            |e| e.action == cp247_store::AuditAction::Export && e.actor.as_str() == "user:olga"
        )
    );

    // Another node's case (same database, another Party), an unknown message, a message of
    // another case: not found.
    let theirs = received_case(&n, "MD-2026-ZZZZZZ", "MD").await;
    let mut tx = store.begin().await.unwrap();
    let foreign = MessageId::generate(n.clock.now(), &mut rand::rng());
    tx.insert_outgoing(&cp247_store::OutgoingMessage {
        id: foreign,
        ticket: theirs.clone(),
        sender: cp247_domain::Address::primary(PartyCode::parse("MD").unwrap()),
        recipient: cp247_domain::Address::primary(PartyCode::parse("FR").unwrap()),
        message_type: reply.message_type.clone(),
        written_at: reply.written_at,
        sealed: reply.sealed.clone(),
        payload_json: reply.payload_json.clone(),
        attachments: Vec::new(),
        urgency: cp247_domain::Urgency::Urgent,
        queued_at: n.clock.now(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let unknown = MessageId::generate(n.clock.now(), &mut rand::rng());
    for path in [
        format!("/cases/{theirs}/messages/{foreign}/pdf?lang=en"),
        format!("/cases/{received}/messages/{unknown}/pdf?lang=en"),
        format!("/cases/{ours}/messages/{}/pdf?lang=en", reply.id),
        format!("/cases/{received}/messages/not-an-id/pdf"),
    ] {
        let (status, bytes) = pdf(&n, &http, &s, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!bytes.starts_with(b"%PDF"));
    }
    let (status, _) = pdf(
        &n,
        &http,
        &s,
        &format!("/cases/{ours}/messages/{}/pdf?lang=de", request.id),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Read-only and administrator: refused the download and the composer.
    for role in [Role::ReadOnly, Role::Administrator] {
        let e = n
            .enrol(&format!("r-{}", role.as_str().replace('_', "-")), role)
            .await;
        let other = n.session(e.account.id).await;
        let (status, bytes) = pdf(
            &n,
            &http,
            &other,
            &format!("/cases/{ours}/messages/{}/pdf?lang=en", request.id),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
        assert!(!bytes.starts_with(b"%PDF"));
        let (status, _) = n.page(&http, &other, "/compose?kind=art29&to=MD").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
        let r = n
            .post_compose(&http, &other, &example_form(cp247_forms::Kind::Art29), true)
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role:?}");
        let (_, dir) = n.page(&http, &other, "/directory").await;
        assert!(!dir.contains("/compose"), "{role:?}: no composer link");
    }
    n.stop().await;
}
