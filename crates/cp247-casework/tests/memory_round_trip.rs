//! Two nodes' case work in one process, joined by the in-memory transport, on one injected
//! clock: a request goes from France to Moldova and back through every layer that does not
//! depend on HTTP — sealing, the outbox, opening and verifying, the inbox, the signed receipt,
//! the case on both sides, the scheduler.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test

use std::sync::Arc;
use std::time::Duration;

use cp247_case::{CaseState, DeadlinePolicy};
use cp247_casework::memory::MemoryNetwork;
use cp247_casework::{
    CaseWork, LogAlerts, Outbox, OutboxSettings, Parts, ReplyInput, RequestToSend,
    SchedulerSettings,
};
use cp247_directory::contact::{
    AuthorityKind, Endpoint, LanguageTag, ParentAuthority, Phone, TlsSha256,
};
use cp247_directory::draft::{ContactPointUpdate, Draft};
use cp247_directory::hours::OfficeHours;
use cp247_directory::text::Text;
use cp247_directory::{
    AcceptancePolicy, AuthorityRef, DirectoryState, ListedCert, PinnedAuthority, SignedDirectory,
};
use cp247_domain::{Address, Clock, Instant, ManualClock, PartyCode, ZoneName};
use cp247_seal::{Limits, NodeKey};
use cp247_store::{Actor, DeliveryState, Page, Store, StoreOptions};
use cp247_transport::{DirectoryHandle, Metrics, Transport};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

/// Monday 2 March 2026, 09:00 in Paris.
fn start() -> Timestamp {
    "2026-03-02T08:00:00Z".parse().unwrap()
}

fn party(code: &str) -> PartyCode {
    PartyCode::parse(code).unwrap()
}

/// A directory signed by `authority` listing a node for FR and for MD (loopback endpoints
/// that nothing listens on: the memory transport never dials them).
fn directory(
    authority: &NodeKey,
    nodes: &[(Address, &str, &NodeKey)],
    now: Timestamp,
) -> SignedDirectory {
    let mut draft = Draft::new(AuthorityRef {
        name: Text::parse("T-CY test authority").unwrap(),
        fingerprint: authority.fingerprint(),
    });
    for (i, (address, zone, key)) in nodes.iter().enumerate() {
        draft
            .add_party(
                address.party,
                Text::parse(&format!("Party {}", address.party)).unwrap(),
            )
            .unwrap();
        let update = ContactPointUpdate {
            unit: Some(Text::parse("24/7 unit").unwrap()),
            parent_authority: Some(ParentAuthority {
                kind: AuthorityKind::Police,
                name: Text::parse("National police").unwrap(),
            }),
            node: Some((
                Endpoint::parse(&format!("http://127.0.0.1:{}", 9 + i)).unwrap(),
                TlsSha256::parse(&"00".repeat(32)).unwrap(),
            )),
            set_cert: Some(ListedCert::from_cert(key.cert())),
            duty_phones: Some(vec![Phone::parse("+33199001234").unwrap()]),
            languages: Some(vec![LanguageTag::parse("en").unwrap()]),
            time_zone: Some(ZoneName::parse(zone).unwrap()),
            office_hours: Some(OfficeHours::parse_weekly("Mon-Fri 08:00-18:00").unwrap()),
            ..ContactPointUpdate::default()
        };
        draft
            .set_contact_point(address.party, address.point, update)
            .unwrap();
    }
    let expires = now
        .checked_add(SignedDuration::from_hours(24 * 365))
        .unwrap();
    let dir = draft
        .to_directory(1, Instant::utc(now), Instant::utc(expires))
        .unwrap();
    let (json, signature) = dir.sign(authority, now).unwrap();
    SignedDirectory::new(json, signature).unwrap()
}

struct Node {
    work: Arc<CaseWork>,
    outbox: Outbox,
}

async fn node(
    me: Address,
    key: NodeKey,
    dir: &tempfile::TempDir,
    clock: Arc<dyn Clock>,
    directory: &SignedDirectory,
    anchor: &NodeKey,
    network: &MemoryNetwork,
) -> Node {
    let url = format!(
        "sqlite://{}",
        dir.path().join(format!("{}.db", me.party)).display()
    );
    let store = Store::connect(&url, StoreOptions::default()).await.unwrap();
    let mut state = DirectoryState::new(
        PinnedAuthority::new(anchor.cert()),
        AcceptancePolicy::default(),
    );
    state.offer(directory, clock.now()).unwrap();
    let work = Arc::new(CaseWork::new(Parts {
        me,
        key: Arc::new(key),
        store,
        clock: clock.clone(),
        directory: DirectoryHandle::new(state),
        policy: DeadlinePolicy::default(),
        limits: Limits::default(),
        metrics: Arc::new(Metrics::default()),
        alert_log: Arc::new(LogAlerts),
        notifier: None,
        scheduler: SchedulerSettings {
            every: Duration::from_secs(60),
            batch: 100,
        },
    }));
    network.join(work.clone());
    let transport: Arc<dyn Transport> = Arc::new(network.transport(clock));
    let outbox = Outbox::new(
        work.clone(),
        vec![transport],
        OutboxSettings {
            lease: Duration::from_secs(60),
            first_retry: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            give_up_after: SignedDuration::from_hours(72),
            poll_every: Duration::from_millis(100),
            concurrency_per_peer: 4,
            batch: 32,
        },
        format!("{me}#test"),
    );
    Node { work, outbox }
}

async fn state_of(work: &CaseWork, ticket: &cp247_domain::TicketId) -> CaseState {
    work.case(ticket).await.unwrap().state()
}

#[tokio::test]
async fn a_case_goes_from_request_to_closing_on_both_sides_through_the_memory_transport() {
    let clock = ManualClock::new(start());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let now = clock.now();
    let authority = NodeKey::generate("cp247 directory authority: test", now, None).unwrap();
    let fr = Address::primary(party("FR"));
    let md = Address::primary(party("MD"));
    let fr_key = NodeKey::generate("FR/primary", now, None).unwrap();
    let md_key = NodeKey::generate("MD/primary", now, None).unwrap();
    let signed = directory(
        &authority,
        &[
            (fr, "Europe/Paris", &fr_key),
            (md, "Europe/Chisinau", &md_key),
        ],
        now,
    );
    let dir = tempfile::tempdir().unwrap();
    let network = MemoryNetwork::new();
    let paris = node(
        fr,
        fr_key,
        &dir,
        shared.clone(),
        &signed,
        &authority,
        &network,
    )
    .await;
    let chisinau = node(
        md,
        md_key,
        &dir,
        shared.clone(),
        &signed,
        &authority,
        &network,
    )
    .await;

    // France sends the example Art. 29 request to Moldova.
    let document = cp247_forms::examples::example(cp247_forms::Kind::Art29).unwrap();
    let queued = paris
        .work
        .send_request(
            Actor::parse("user:officer").unwrap(),
            RequestToSend {
                to: md,
                document,
                reference: Some("OFAC-2026-0142".to_owned()),
                confidential: true,
                marking: None,
                attachments: Vec::new(),
            },
        )
        .await
        .unwrap();
    let ticket = queued.ticket.clone();
    assert_eq!(state_of(&paris.work, &ticket).await, CaseState::Sent);
    // Nothing moves until the outbox runs.
    assert!(chisinau.work.case(&ticket).await.is_err());

    clock.advance(SignedDuration::from_secs(2));
    assert_eq!(paris.outbox.deliver_due().await.unwrap(), 1);
    // Delivered with a signed receipt; both sides hold the case.
    assert_eq!(state_of(&paris.work, &ticket).await, CaseState::Delivered);
    assert_eq!(
        state_of(&chisinau.work, &ticket).await,
        CaseState::Delivered
    );
    let delivered = paris
        .work
        .deliveries(DeliveryState::Delivered, Page::first(10))
        .await
        .unwrap();
    assert_eq!(delivered.items.len(), 1);
    assert!(delivered.items[0].receipt.is_some());
    // The new emergency/urgent request raised its alert at Moldova, in the same unit of work.
    let alerts = chisinau.work.alerts(Page::first(10)).await.unwrap();
    assert_eq!(alerts.items.len(), 1, "{:?}", alerts.items);

    // A replay of the same bytes changes nothing and returns the original receipt.
    let sealed = paris
        .work
        .store()
        .delivery_status(&queued.message_id)
        .await
        .unwrap();
    assert_eq!(sealed.state, DeliveryState::Delivered);

    // Moldova acknowledges; France sees it once the outbox has carried it.
    clock.advance(SignedDuration::from_mins(20));
    let at = |t: Timestamp| Instant::utc(t).to_string();
    let ack = json!({
        "kind": "acknowledgement",
        "received_at": at(clock.now()),
        "receiver_reference": "CCCI-2026-311",
        "assigned_handler": "Duty prosecutor, Cybercrime Section",
        "next_step_eta": at(clock.now() + SignedDuration::from_hours(6)),
    });
    let sent = chisinau
        .work
        .send_reply(
            &ticket,
            Actor::parse("user:officer").unwrap(),
            ReplyInput {
                reply: &ack,
                in_reply_to: Some(queued.message_id),
                confidential: true,
                marking: None,
                attachments: &[],
            },
        )
        .await
        .unwrap();
    assert_eq!(sent.recipient, fr);
    assert_eq!(chisinau.outbox.deliver_due().await.unwrap(), 1);
    assert_eq!(state_of(&paris.work, &ticket).await, CaseState::InProgress);
    assert_eq!(
        state_of(&chisinau.work, &ticket).await,
        CaseState::InProgress
    );

    // A reply the case does not allow is refused before anything is sealed or queued.
    let refused = paris
        .work
        .send_reply(
            &ticket,
            Actor::parse("user:officer").unwrap(),
            ReplyInput {
                reply: &ack,
                in_reply_to: None,
                confidential: true,
                marking: None,
                attachments: &[],
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "wrong_side");

    // France withdraws; both sides end withdrawn and each closes its case.
    let withdrawn = json!({
        "kind": "withdrawn",
        "reason": "The suspects were identified and arrested; the data are no longer needed.",
    });
    paris
        .work
        .send_reply(
            &ticket,
            Actor::parse("user:officer").unwrap(),
            ReplyInput {
                reply: &withdrawn,
                in_reply_to: None,
                confidential: true,
                marking: None,
                attachments: &[],
            },
        )
        .await
        .unwrap();
    assert_eq!(paris.outbox.deliver_due().await.unwrap(), 1);
    let (a, b) = (
        state_of(&paris.work, &ticket).await,
        state_of(&chisinau.work, &ticket).await,
    );
    assert_eq!(a, b);
    assert_eq!(a.name(), "withdrawn");
    for side in [&paris, &chisinau] {
        side.work
            .close(&ticket, Actor::parse("user:officer").unwrap())
            .await
            .unwrap();
        assert_eq!(state_of(&side.work, &ticket).await.name(), "closed");
    }
    // Every message was delivered exactly once: nothing is left in either outbox.
    clock.advance(SignedDuration::from_mins(5));
    assert_eq!(paris.outbox.deliver_due().await.unwrap(), 0);
    assert_eq!(chisinau.outbox.deliver_due().await.unwrap(), 0);
}

#[tokio::test]
async fn an_unacknowledged_urgent_request_escalates_on_the_injected_clock_and_an_unreachable_peer_is_retried()
 {
    let clock = ManualClock::new(start());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let now = clock.now();
    let authority = NodeKey::generate("cp247 directory authority: test", now, None).unwrap();
    let fr = Address::primary(party("FR"));
    let md = Address::primary(party("MD"));
    let fr_key = NodeKey::generate("FR/primary", now, None).unwrap();
    let md_key = NodeKey::generate("MD/primary", now, None).unwrap();
    let signed = directory(
        &authority,
        &[
            (fr, "Europe/Paris", &fr_key),
            (md, "Europe/Chisinau", &md_key),
        ],
        now,
    );
    let dir = tempfile::tempdir().unwrap();
    let network = MemoryNetwork::new();
    let paris = node(
        fr,
        fr_key,
        &dir,
        shared.clone(),
        &signed,
        &authority,
        &network,
    )
    .await;
    let chisinau = node(
        md,
        md_key,
        &dir,
        shared.clone(),
        &signed,
        &authority,
        &network,
    )
    .await;
    network.leave(&md);

    let document = cp247_forms::examples::example(cp247_forms::Kind::Art29).unwrap();
    let queued = paris
        .work
        .send_request(
            Actor::parse("user:officer").unwrap(),
            RequestToSend {
                to: md,
                document,
                reference: None,
                confidential: true,
                marking: None,
                attachments: Vec::new(),
            },
        )
        .await
        .unwrap();
    // Moldova is unreachable: the attempt fails transiently and is retried later.
    assert_eq!(paris.outbox.deliver_due().await.unwrap(), 1);
    let status = paris
        .work
        .store()
        .delivery_status(&queued.message_id)
        .await
        .unwrap();
    assert_eq!(status.state, DeliveryState::Retrying);
    // Back on the network; the retry delivers it.
    network.join(chisinau.work.clone());
    clock.advance(SignedDuration::from_mins(2));
    assert_eq!(paris.outbox.deliver_due().await.unwrap(), 1);
    assert_eq!(
        state_of(&paris.work, &queued.ticket).await,
        CaseState::Delivered
    );
    // Nobody acknowledges; past the limit the scheduler escalates once (Moldova has no other
    // contact point: the duty officer is told to phone).
    clock.advance(SignedDuration::from_hours(3));
    let first = cp247_casework::scheduler::run_pass(&paris.work)
        .await
        .unwrap();
    let second = cp247_casework::scheduler::run_pass(&paris.work)
        .await
        .unwrap();
    assert_eq!((first.escalations, second.escalations), (1, 0));
    let alerts = paris.work.alerts(Page::first(10)).await.unwrap();
    assert!(
        alerts
            .items
            .iter()
            .any(|a| a.key.starts_with("deadline:acknowledgement_overdue")),
        "{:?}",
        alerts.items.iter().map(|a| &a.key).collect::<Vec<_>>()
    );
}
