#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests may unwrap and panic: a failure is a test failure with its message.

//! `Case::allowed_replies`: what each side may send as a case moves through its states, and
//! that every kind it lists is accepted by the case when actually recorded.

mod common;

use cp247_case::{Case, CaseEvent, MessageKind, Msg, Opening, Role};
use cp247_domain::{Address, MessageId};
use cp247_forms::Kind;
use rand::SeedableRng;

fn case(role: Role) -> Case {
    let opening = Opening::for_request(
        common::ticket("DE-2026-ABCDEF"),
        role,
        &common::example(Kind::Art29),
        Address::primary(common::party("FR")),
        common::ts("2026-03-02T10:00:00Z"),
    )
    .unwrap();
    Case::open(opening)
}

#[test]
fn the_state_machine_decides_what_each_side_may_send() {
    let at = common::ts("2026-03-02T11:00:00Z");
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let probe = MessageId::generate(at, &mut rng);

    // Nothing can be replied to a case whose request is not yet received.
    assert!(case(Role::Requested).allowed_replies(probe, at).is_empty());

    let mut requested = case(Role::Requested);
    requested
        .record(CaseEvent::Received(Msg::Request), at)
        .unwrap();
    let allowed = requested.allowed_replies(probe, at);
    for k in [
        MessageKind::Acknowledgement,
        MessageKind::RequestForInformation,
        MessageKind::PreservationConfirmed,
        MessageKind::Refused,
    ] {
        assert!(allowed.contains(&k), "{k:?} missing from {allowed:?}");
    }
    // Never a request, a requester's kind, another article's kind or the escalation notice.
    for k in &allowed {
        assert!(!k.is_request(), "{k:?}");
        assert_eq!(k.author(), Role::Requested, "{k:?}");
        assert_ne!(*k, MessageKind::Executed, "Art. 31/35 only");
        assert_ne!(*k, MessageKind::EscalationNotice);
    }

    // On the requester's side, answers need an open request for information.
    let mut requester = case(Role::Requester);
    requester.record(CaseEvent::Sent(Msg::Request), at).unwrap();
    let allowed = requester.allowed_replies(probe, at);
    assert!(allowed.contains(&MessageKind::Withdrawn), "{allowed:?}");
    assert!(!allowed.contains(&MessageKind::InformationProvided));
    requester
        .record(
            CaseEvent::Received(Msg::InformationRequested {
                id: probe,
                blocking: true,
                respond_by: None,
                questions: 2,
            }),
            at,
        )
        .unwrap();
    let allowed = requester.allowed_replies(probe, at);
    assert!(
        allowed.contains(&MessageKind::InformationProvided),
        "{allowed:?}"
    );

    // Once refused, the requested side has nothing more to send.
    requested.record(CaseEvent::Sent(Msg::Refused), at).unwrap();
    assert!(requested.allowed_replies(probe, at).is_empty());
}
