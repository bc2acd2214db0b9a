#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests may unwrap and panic: a failure is a test failure with its message.

//! The whole case of issue #5 at the domain level, with a manual clock and two nodes — France
//! (requester, Paris) and the Republic of Moldova (requested, Chișinău) — exchanging every
//! message as canonical JSON checked against its envelope type:
//!
//! Art. 29 request → system receipt → no human acknowledgement → escalation to the alternate
//! (an e-mail-only contact point) with the duty officer's phone list → acknowledgement →
//! preservation confirmed (preserved_until) → reminders at the right clock times → extension
//! (a new ticket) → Art. 31 follow-up chained → MLA submitted (clock frozen) → executed →
//! closed.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Alternate, calendars, directory, ts};
use cp247_case::escalation::ContactChannel;
use cp247_case::reply::{
    EscalationNotice, Message, MlaSubmittedNotice, PreservationReleased, ReleaseReason, examples,
    parse_message_json, to_json_string,
};
use cp247_case::{
    Case, CaseEvent, CaseState, DeadlinePolicy, EscalationTarget, MessageKind, Msg, Opening,
    Outcome, ReminderKey, ReminderKind, Reply, Role, TransitionError, due_items, escalation_due,
    order_chain, pending, reminders,
};
use cp247_domain::{Address, Clock, Instant, ManualClock, MessageId, TicketId};
use cp247_forms::{Applicable, Document, Field, Kind, PreservationStatus};
use jiff::{SignedDuration, Timestamp};
use rand::SeedableRng;

/// One node: its cases and the keys of the reminders it fired.
struct Node {
    name: &'static str,
    role: Role,
    cases: BTreeMap<TicketId, Case>,
    fired: BTreeSet<ReminderKey>,
    fire_log: Vec<(ReminderKey, Timestamp)>,
}

impl Node {
    fn new(name: &'static str, role: Role) -> Self {
        Self {
            name,
            role,
            cases: BTreeMap::new(),
            fired: BTreeSet::new(),
            fire_log: Vec::new(),
        }
    }

    fn case(&self, t: &TicketId) -> &Case {
        &self.cases[t]
    }

    fn record(
        &mut self,
        t: &TicketId,
        e: CaseEvent,
        at: Timestamp,
    ) -> Result<CaseState, TransitionError> {
        self.cases.get_mut(t).unwrap().record(e, at)
    }
}

struct World {
    clock: ManualClock,
    fr: Node,
    md: Node,
    rng: rand::rngs::StdRng,
    policy: DeadlinePolicy,
}

impl World {
    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    fn id(&mut self) -> MessageId {
        MessageId::generate(self.clock.now(), &mut self.rng)
    }

    /// France sends a request on a new ticket: both nodes open the case.
    fn send_request(&mut self, ticket: &TicketId, doc: &Document) -> MessageId {
        let now = self.now();
        let open = |role, counterpart, d: &Document| {
            Case::open(Opening::for_request(ticket.clone(), role, d, counterpart, now).unwrap())
        };
        let mut mine = open(Role::Requester, Address::primary(common::party("MD")), doc);
        mine.record(CaseEvent::Sent(Msg::Request), now).unwrap();
        self.fr.cases.insert(ticket.clone(), mine);
        // On the wire: canonical JSON, read against the envelope's message type.
        let kind = MessageKind::of_request(doc).unwrap();
        let text = cp247_forms::to_json_string(doc);
        let parsed = parse_message_json(kind.name(), text.as_bytes(), None).unwrap();
        assert!(parsed.report.problems().is_empty(), "{:?}", parsed.report);
        let Some(Message::Request(received)) = parsed.message else {
            panic!("not a request")
        };
        assert_eq!(&received, doc);
        let mut theirs = open(
            Role::Requested,
            Address::primary(common::party("FR")),
            &received,
        );
        theirs
            .record(CaseEvent::Received(Msg::Request), now)
            .unwrap();
        self.md.cases.insert(ticket.clone(), theirs);
        self.id()
    }

    /// A reply on `ticket`, from the side that writes it to the other, through JSON.
    fn reply(&mut self, ticket: &TicketId, reply: &Reply, in_reply_to: Option<MessageId>) {
        let now = self.now();
        let id = self.id();
        let (from, to) = match reply.kind().author() {
            Role::Requester => (&mut self.fr, &mut self.md),
            Role::Requested => (&mut self.md, &mut self.fr),
        };
        let event = from
            .case(ticket)
            .event_for(true, reply, id, in_reply_to)
            .unwrap();
        from.record(ticket, event, now)
            .unwrap_or_else(|e| panic!("{} cannot send: {e}", from.name));
        let ctx = to.case(ticket).reply_context().clone();
        let text = to_json_string(reply);
        let parsed = parse_message_json(reply.kind().name(), text.as_bytes(), Some(&ctx)).unwrap();
        assert!(parsed.report.problems().is_empty(), "{:?}", parsed.report);
        let Some(Message::Reply(received)) = parsed.message else {
            panic!("not a reply")
        };
        assert_eq!(&received, reply);
        let event = to
            .case(ticket)
            .event_for(false, &received, id, in_reply_to)
            .unwrap();
        to.record(ticket, event, now)
            .unwrap_or_else(|e| panic!("{} cannot receive: {e}", to.name));
        assert_eq!(
            self.fr.case(ticket).state(),
            self.md.case(ticket).state(),
            "the two nodes disagree after {}",
            reply.kind()
        );
    }

    /// Both nodes record the same event (a lapse, an extension made on another ticket, a
    /// closing).
    fn both(
        &mut self,
        ticket: &TicketId,
        e: CaseEvent,
    ) -> (
        Result<CaseState, TransitionError>,
        Result<CaseState, TransitionError>,
    ) {
        let now = self.now();
        let a = self.fr.record(ticket, e.clone(), now);
        let b = self.md.record(ticket, e, now);
        (a, b)
    }

    /// France's scheduler: sleeps until the next reminder of any of its cases, fires it,
    /// records it; stops before `until`.
    fn run_fr_until(&mut self, until: Timestamp) {
        let cal = calendars();
        loop {
            let next = self
                .fr
                .cases
                .values()
                .flat_map(|c| reminders(c, &cal, &self.policy))
                .filter(|r| !self.fr.fired.contains(&r.key))
                .map(|r| r.fire_at)
                .min();
            match next {
                Some(at) if at <= until => {
                    if at > self.now() {
                        self.clock.set(at);
                    }
                }
                _ => break,
            }
            let now = self.now();
            let tickets: Vec<TicketId> = self.fr.cases.keys().cloned().collect();
            for t in tickets {
                let due = pending(self.fr.case(&t), &cal, &self.policy, now, &self.fr.fired);
                for r in due {
                    self.fr
                        .record(&t, CaseEvent::ReminderDue(r.kind.clone()), now)
                        .unwrap();
                    assert!(self.fr.fired.insert(r.key.clone()), "{} fired twice", r.key);
                    self.fr.fire_log.push((r.key, now));
                }
            }
        }
        if until > self.now() {
            self.clock.set(until);
        }
    }
}

fn reply_of(kind: MessageKind) -> Reply {
    examples::example(kind).unwrap().reply.unwrap()
}

fn local(at: Timestamp) -> Instant {
    Instant::new(at, jiff::tz::Offset::UTC)
}

/// An acknowledgement written at `now`, with no announced next step.
fn ack(now: Timestamp) -> Reply {
    let Reply::Acknowledgement(a) = reply_of(MessageKind::Acknowledgement) else {
        unreachable!()
    };
    Reply::Acknowledgement(cp247_case::reply::Acknowledgement {
        received_at: local(now - SignedDuration::from_mins(20)),
        next_step_eta: Field::NotApplicable(
            cp247_forms::Reason::new("The next step depends on the provider's answer.").unwrap(),
        ),
        ..a
    })
}

#[test]
fn preservation_escalation_reminders_extension_follow_up_mla_execution_and_closing() {
    let dir = directory(Alternate::Email);
    let t0 = ts("2026-02-21T08:00:00Z"); // Saturday 09:00 in Paris, 10:00 in Chișinău
    let mut w = World {
        clock: ManualClock::new(t0),
        fr: Node::new("France", Role::Requester),
        md: Node::new("Moldova", Role::Requested),
        rng: rand::rngs::StdRng::seed_from_u64(247),
        policy: DeadlinePolicy::default(),
    };
    let cal = calendars();
    assert_eq!((w.fr.role, w.md.role), (Role::Requester, Role::Requested));

    // 1. The urgent Art. 29 request.
    let a = common::ticket("FR-2026-7K3QZP8M");
    let request = common::example(Kind::Art29);
    let request_id = w.send_request(&a, &request);
    assert_eq!(w.fr.case(&a).state(), CaseState::Sent);
    assert_eq!(w.md.case(&a).state(), CaseState::Delivered);

    // 2. The receiving node's signed receipt: delivered, but no person has acknowledged.
    w.clock.advance(SignedDuration::from_secs(4));
    w.fr.record(&a, CaseEvent::SystemReceipt, w.now()).unwrap();
    assert_eq!(w.fr.case(&a).state(), CaseState::Delivered);
    assert_eq!(w.fr.case(&a).human_ack_at(), None);
    let due = due_items(w.fr.case(&a), &cal, &w.policy, w.now());
    assert_eq!(due[0].kind, cp247_case::DueKind::HumanAcknowledgement);
    assert_eq!(due[0].due_at, t0 + SignedDuration::from_hours(2));

    // 3. No acknowledgement in two hours: escalation to the alternate.
    w.clock.set(t0 + SignedDuration::from_mins(119));
    assert_eq!(
        escalation_due(w.fr.case(&a), &dir, &w.policy, w.now()),
        None
    );
    w.clock.set(t0 + SignedDuration::from_hours(2));
    let esc = escalation_due(w.fr.case(&a), &dir, &w.policy, w.now()).unwrap();
    let EscalationTarget::Contact {
        to,
        channel: ContactChannel::Email { address },
    } = &esc.target
    else {
        panic!("{:?}", esc.target)
    };
    assert_eq!(*to, Address::alternate(common::party("MD")));
    assert_eq!(address.as_str(), "cyber-247@procuratura.example.md");
    let phones: Vec<&str> = esc.duty_phones.iter().map(|p| p.phone.as_str()).collect();
    assert_eq!(phones, ["+37322000000", "+37322000001"]);
    // The notice carries the request, so the alternate can act on it alone: it is read
    // without any case (an e-mail-only contact point).
    let notice = Reply::EscalationNotice(Box::new(EscalationNotice {
        original_message: request_id,
        original_sent_at: local(t0),
        acknowledgement_due_at: local(esc.acknowledgement_due_at),
        escalated_at: local(w.now()),
        urgency: esc.urgency,
        request: request.clone(),
    }));
    let standalone = parse_message_json(
        "escalation_notice",
        to_json_string(&notice).as_bytes(),
        None,
    )
    .unwrap();
    assert!(standalone.message.is_some());
    w.reply(&a, &notice, Some(request_id));
    assert_eq!(w.fr.case(&a).escalated_at(), Some(w.now()));
    assert_eq!(w.md.case(&a).escalation_received_at(), Some(w.now()));
    assert_eq!(
        escalation_due(w.fr.case(&a), &dir, &w.policy, w.now()),
        None
    );

    // 4. The alternate's duty prosecutor acknowledges.
    w.clock
        .set(ts("2026-02-21T08:01:00Z") + SignedDuration::from_mins(140));
    w.reply(
        &a,
        &reply_of(MessageKind::Acknowledgement),
        Some(request_id),
    );
    assert_eq!(w.fr.case(&a).state(), CaseState::InProgress);
    assert_eq!(w.fr.case(&a).human_ack_at(), Some(w.now()));

    // 5. Preservation confirmed, preserved until 22 May 17:30 in Chișinău (90 days).
    w.clock.set(ts("2026-02-21T14:30:00Z"));
    w.reply(&a, &reply_of(MessageKind::PreservationConfirmed), None);
    let until = ts("2026-05-22T14:30:00Z");
    assert_eq!(w.fr.case(&a).state(), CaseState::Preserved { until });
    assert_eq!(w.md.case(&a).state(), CaseState::Preserved { until });

    // 6. Reminders at the right clock times (France's calendar: Paris).
    w.run_fr_until(ts("2026-05-10T00:00:00Z"));
    let fired: Vec<(String, Timestamp)> =
        w.fr.fire_log
            .iter()
            .map(|(k, at)| (k.as_str().to_owned(), *at))
            .collect();
    assert_eq!(
        fired,
        [
            // The request planned the MLA request for 20 March: due by the end of that day
            // in Paris (CET).
            (
                "FR-2026-7K3QZP8M/mla_follow_up_due/2026-03-20T23:00:00Z".to_owned(),
                ts("2026-03-20T23:00:00Z")
            ),
            // 14 days before 22 May 16:30 CEST: 8 May 16:30 CEST.
            (
                "FR-2026-7K3QZP8M/preservation_expiring.14d/2026-05-22T14:30:00Z".to_owned(),
                ts("2026-05-08T14:30:00Z")
            ),
        ]
    );

    // 7. Extension: a new Art. 29 request on its own ticket, naming the first.
    let b = common::ticket("FR-2026-X7N2K4PD");
    let Document::Art29(mut ext) = request.clone() else {
        unreachable!()
    };
    let Document::Art31(follow_up) = common::example(Kind::Art31) else {
        unreachable!()
    };
    let Applicable::Value(previous) = follow_up.request_status.previous_preservation() else {
        unreachable!()
    };
    ext.request_status = PreservationStatus::Extension {
        previous_ticket: previous.clone(),
    };
    let ext = Document::Art29(ext);
    w.clock.set(ts("2026-05-11T07:00:00Z"));
    let ext_id = w.send_request(&b, &ext);
    assert_eq!(w.fr.case(&b).previous_ticket(), Some(&a));
    w.fr.record(&b, CaseEvent::SystemReceipt, w.now()).unwrap();
    w.clock.advance(SignedDuration::from_mins(25));
    w.reply(&b, &ack(w.now()), Some(ext_id));
    w.clock.advance(SignedDuration::from_hours(3));
    w.reply(&b, &reply_of(MessageKind::ExtensionConfirmed), Some(ext_id));
    assert_eq!(w.fr.case(&b).state(), CaseState::Executed);
    // The new end goes onto the case that holds the preservation, on both nodes.
    let new_until = ts("2026-07-21T14:30:00Z");
    let (x, y) = w.both(
        &a,
        CaseEvent::PreservationExtended {
            until: new_until,
            by: b.clone(),
        },
    );
    assert_eq!(x.unwrap(), CaseState::Preserved { until: new_until });
    assert_eq!(y.unwrap(), CaseState::Preserved { until: new_until });
    assert_eq!(w.fr.case(&a).related_tickets(), std::slice::from_ref(&b));
    // The reminders of the old end are gone; those of the new end are scheduled.
    let targets: BTreeSet<Timestamp> = reminders(w.fr.case(&a), &cal, &w.policy)
        .iter()
        .filter(|r| r.kind != ReminderKind::MlaFollowUpDue)
        .map(|r| r.target)
        .collect();
    assert_eq!(targets, BTreeSet::from([new_until]));
    w.run_fr_until(ts("2026-07-08T00:00:00Z"));
    assert_eq!(
        w.fr.fire_log.last().unwrap(),
        &(
            ReminderKey::new(
                &a,
                &ReminderKind::PreservationExpiring { days_before: 14 },
                new_until
            ),
            ts("2026-07-07T14:30:00Z")
        )
    );

    // 8. The Art. 31 follow-up, chained to the preservation.
    let c = common::ticket("FR-2026-9M4TXR2B");
    w.clock.set(ts("2026-07-08T08:00:00Z"));
    let c_id = w.send_request(&c, &Document::Art31(follow_up.clone()));
    w.fr.record(&c, CaseEvent::SystemReceipt, w.now()).unwrap();
    assert_eq!(w.fr.case(&c).previous_ticket(), Some(&a));
    let links: Vec<cp247_case::ChainLink> = [&a, &b, &c]
        .iter()
        .map(|t| cp247_case::ChainLink::from(w.fr.case(t)))
        .collect();
    let chain = order_chain(&c, &links).unwrap();
    let order: Vec<(String, usize)> = chain
        .entries
        .iter()
        .map(|e| (e.ticket.to_string(), e.depth))
        .collect();
    assert_eq!(
        order,
        [
            ("FR-2026-7K3QZP8M".to_owned(), 0),
            ("FR-2026-X7N2K4PD".to_owned(), 1),
            ("FR-2026-9M4TXR2B".to_owned(), 1),
        ]
    );
    assert!(chain.missing.is_empty());
    w.clock.advance(SignedDuration::from_mins(50));
    w.reply(&c, &ack(w.now()), Some(c_id));

    // 9. The MLA request is submitted: the preservation clock freezes.
    let Reply::MlaSubmittedNotice(mut mla) = reply_of(MessageKind::MlaSubmittedNotice) else {
        unreachable!()
    };
    mla = MlaSubmittedNotice {
        submitted_at: local(w.now()),
        ..mla
    };
    assert_eq!(mla.mla_ticket.ticket_id, Field::Value(c.clone()));
    w.reply(&a, &Reply::MlaSubmittedNotice(mla), None);
    assert_eq!(
        w.fr.case(&a).state(),
        CaseState::MlaPending { until: new_until }
    );
    assert!(w.fr.case(&a).related_tickets().contains(&c));
    assert!(reminders(w.fr.case(&a), &cal, &w.policy).is_empty());
    // Long after the old end, nothing lapses and no reminder fires.
    let before = w.fr.fire_log.len();
    w.run_fr_until(ts("2026-09-01T00:00:00Z"));
    assert_eq!(w.fr.fire_log.len(), before);
    let (x, y) = w.both(&a, CaseEvent::Lapsed);
    for r in [x, y] {
        assert!(r.unwrap_err().to_string().contains("Art. 29(7)"));
    }

    // 10. The follow-up is executed, with its data delivery; the preservation is released.
    w.reply(&c, &reply_of(MessageKind::Executed), Some(c_id));
    assert_eq!(w.md.case(&c).state(), CaseState::Executed);
    let released = Reply::PreservationReleased(PreservationReleased {
        reason: ReleaseReason::MlaExecuted,
        released_at: local(w.now()),
        explanation: match reply_of(MessageKind::PreservationReleased) {
            Reply::PreservationReleased(r) => r.explanation,
            _ => unreachable!(),
        },
    });
    w.reply(&a, &released, None);

    // 11. Every case closes on both nodes with its outcome.
    w.clock.advance(SignedDuration::from_hours(1));
    for (t, outcome) in [
        (&a, Outcome::Released),
        (&b, Outcome::Executed),
        (&c, Outcome::Executed),
    ] {
        let (x, y) = w.both(t, CaseEvent::Close);
        assert_eq!(x.unwrap(), CaseState::Closed(outcome));
        assert_eq!(y.unwrap(), CaseState::Closed(outcome));
        // Closed absorbs.
        assert!(w.both(t, CaseEvent::Close).0.is_err());
    }

    // Each reminder fired once; both nodes can rebuild every case from its history.
    let keys: BTreeSet<&ReminderKey> = w.fr.fire_log.iter().map(|(k, _)| k).collect();
    assert_eq!(keys.len(), w.fr.fire_log.len());
    for node in [&w.fr, &w.md] {
        for case in node.cases.values() {
            let again = Case::replay(case.opening().clone(), case.history()).unwrap();
            assert_eq!(&again, case);
        }
    }
    // Both sides recorded the escalation.
    let escalated = |n: &Node| {
        n.case(&a).history().iter().any(|r| {
            matches!(
                r.event,
                CaseEvent::Escalated | CaseEvent::EscalationReceived
            )
        })
    };
    assert!(escalated(&w.fr) && escalated(&w.md));
}
