#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests may unwrap: a failure is a test failure with its message.

//! The acceptance rules, the health and grace rules, traffic refusals and the seal layer's
//! key lookups, with real keys and real signatures.

use std::collections::BTreeSet;

use cp247_directory::contact::{AuthorityKind, ParentAuthority};
use cp247_directory::draft::{ContactPointUpdate, Draft, DraftError};
use cp247_directory::hours::OfficeHours;
use cp247_directory::status::{Standing, Status};
use cp247_directory::text::{Reason, Text};
use cp247_directory::{
    Acceptance, AcceptancePolicy, AuthorityRef, Directory, DirectoryError, DirectoryHealth,
    DirectoryState, ListedCert, PinnedAuthority, Refusal, SignedDirectory, TrafficRefusal,
};
use cp247_domain::{Address, ContactPointRole, Instant, MessageId, PartyCode, TicketId, Urgency};
use cp247_seal::{
    Handling, Header, KeyDirectory, KeyStatus, Limits, MessageType, NodeKey, OpenError, OpenPolicy,
    Payload, SealError, open, seal, sign_detached,
};
use jiff::{SignedDuration, Timestamp};
use rand::SeedableRng;

const DAY: SignedDuration = SignedDuration::from_hours(24);

fn t0() -> Timestamp {
    "2026-11-02T09:00:00Z".parse().unwrap()
}

fn code(c: &str) -> PartyCode {
    PartyCode::parse(c).unwrap()
}

struct World {
    authority: NodeKey,
    fr: NodeKey,
    md: NodeKey,
    md_next: NodeKey,
    draft: Draft,
}

fn node_update(key: &NodeKey, host: &str, tz: &str) -> ContactPointUpdate {
    ContactPointUpdate {
        unit: Some(Text::parse("Cybercrime 24/7 unit").unwrap()),
        parent_authority: Some(ParentAuthority {
            kind: AuthorityKind::Police,
            name: Text::parse("National police").unwrap(),
        }),
        mla_authority: Some(false),
        capabilities: Some(BTreeSet::new()),
        node: Some((
            format!("https://{host}/").parse().unwrap(),
            "ab".repeat(32).parse().unwrap(),
        )),
        set_cert: Some(ListedCert::from_cert(key.cert())),
        duty_phones: Some(vec!["+33140978800".parse().unwrap()]),
        languages: Some(vec!["en".parse().unwrap(), "fr".parse().unwrap()]),
        time_zone: Some(tz.parse().unwrap()),
        office_hours: Some(OfficeHours::parse_weekly("Mon-Fri 08:00-18:00").unwrap()),
        ..ContactPointUpdate::default()
    }
}

fn world() -> World {
    let created = t0() - SignedDuration::from_hours(24 * 60);
    let authority = NodeKey::generate("cp247 directory authority", created, None).unwrap();
    let fr = NodeKey::generate("cp247 node FR", created, None).unwrap();
    let md = NodeKey::generate("cp247 node MD", created, None).unwrap();
    let md_next = NodeKey::generate("cp247 node MD (2027)", created, None).unwrap();
    let mut draft = Draft::new(AuthorityRef {
        name: Text::parse("Secretariat of the 24/7 Network").unwrap(),
        fingerprint: authority.fingerprint(),
    });
    draft
        .add_party(code("FR"), Text::parse("France").unwrap())
        .unwrap();
    draft
        .add_party(code("MD"), Text::parse("Republic of Moldova").unwrap())
        .unwrap();
    draft
        .set_contact_point(
            code("FR"),
            ContactPointRole::Primary,
            node_update(&fr, "cp247.police.example.fr", "Europe/Paris"),
        )
        .unwrap();
    draft
        .set_contact_point(
            code("MD"),
            ContactPointRole::Primary,
            node_update(&md, "cp247.police.example.md", "Europe/Chisinau"),
        )
        .unwrap();
    World {
        authority,
        fr,
        md,
        md_next,
        draft,
    }
}

fn sign_with(
    key: &NodeKey,
    draft: &Draft,
    serial: u64,
    issued: Timestamp,
    valid: SignedDuration,
) -> SignedDirectory {
    let dir = draft
        .to_directory(serial, Instant::utc(issued), Instant::utc(issued + valid))
        .unwrap();
    let bytes = dir.to_canonical_json();
    let sig = sign_detached(key, &bytes, issued).unwrap();
    SignedDirectory::new(bytes, sig).unwrap()
}

fn sign(w: &World, serial: u64, issued: Timestamp, valid: SignedDuration) -> SignedDirectory {
    sign_with(&w.authority, &w.draft, serial, issued, valid)
}

fn resign(w: &World, json: Vec<u8>, at: Timestamp) -> SignedDirectory {
    let sig = sign_detached(&w.authority, &json, at).unwrap();
    SignedDirectory::new(json, sig).unwrap()
}

fn state(w: &World) -> DirectoryState {
    DirectoryState::new(
        PinnedAuthority::new(w.authority.cert()),
        AcceptancePolicy::default(),
    )
}

fn reason(text: &str) -> Reason {
    Reason::parse(text).unwrap()
}

#[test]
fn first_directory_then_no_op_then_newer() {
    let w = world();
    let mut s = state(&w);
    assert_eq!(s.health(t0()), DirectoryHealth::Missing);
    let d1 = sign(&w, 1, t0(), 30 * DAY);
    assert_eq!(
        s.offer(&d1, t0()).unwrap(),
        Acceptance::Accepted {
            previous: None,
            serial: 1
        }
    );
    assert_eq!(
        s.offer(&d1, t0() + DAY).unwrap(),
        Acceptance::Unchanged { serial: 1 }
    );
    let d2 = sign(&w, 2, t0() + DAY, 30 * DAY);
    assert_eq!(
        s.offer(&d2, t0() + DAY).unwrap(),
        Acceptance::Accepted {
            previous: Some(1),
            serial: 2
        }
    );
    assert_eq!(s.current().unwrap().directory().serial(), 2);
    // The same directory signed again (another signature, same bytes) is still a no-op.
    let d2_again = resign(&w, d2.json().to_vec(), t0() + 2 * DAY);
    assert_eq!(
        s.offer(&d2_again, t0() + 2 * DAY).unwrap(),
        Acceptance::Unchanged { serial: 2 }
    );
}

#[test]
fn rollback_and_serial_reuse_are_refused() {
    let w = world();
    let mut s = state(&w);
    let d1 = sign(&w, 1, t0(), 30 * DAY);
    let d2 = sign(&w, 2, t0() + DAY, 30 * DAY);
    s.offer(&d2, t0() + DAY).unwrap();
    let e = s.offer(&d1, t0() + DAY).unwrap_err();
    assert!(
        matches!(
            e,
            Refusal::Rollback {
                current: 2,
                offered: 1
            }
        ),
        "{e}"
    );
    assert_eq!(e.code(), "directory_rollback");
    // Serial 2 again, with other content (MD suspended).
    let mut changed = w.draft.clone();
    changed
        .set_status(
            code("MD"),
            None,
            Status::Suspended(Standing {
                since: Instant::utc(t0()),
                reason: reason("Audit of the node's key handling."),
            }),
        )
        .unwrap();
    let other = sign_with(&w.authority, &changed, 2, t0() + DAY, 30 * DAY);
    let e = s.offer(&other, t0() + DAY).unwrap_err();
    assert!(matches!(e, Refusal::SerialReused { serial: 2 }), "{e}");
    // Nothing changed.
    assert_eq!(s.current().unwrap().signed().json(), d2.json());
}

#[test]
fn rollback_floor_survives_a_restart_even_when_expired() {
    let w = world();
    // Serial 5 valid for a year; serial 6 valid for 10 days, and long expired.
    let d5 = sign(&w, 5, t0(), 365 * DAY);
    let d6 = sign(&w, 6, t0() + DAY, 10 * DAY);
    let now = t0() + 60 * DAY;
    let mut s = DirectoryState::restore(
        PinnedAuthority::new(w.authority.cert()),
        AcceptancePolicy::default(),
        &d6,
        now,
    )
    .unwrap();
    assert!(matches!(
        s.health(now),
        DirectoryHealth::Expired { serial: 6, .. }
    ));
    assert!(s.traffic(now).is_err());
    let e = s.offer(&d5, now).unwrap_err();
    assert!(
        matches!(
            e,
            Refusal::Rollback {
                current: 6,
                offered: 5
            }
        ),
        "{e}"
    );
}

#[test]
fn signatures_must_come_from_the_pinned_authority() {
    let w = world();
    let mut s = state(&w);
    let d1 = sign(&w, 1, t0(), 30 * DAY);

    // One byte changed in the signed file.
    let mut json = d1.json().to_vec();
    let pos = json.windows(6).position(|w| w == b"France").unwrap();
    json[pos] = b'G';
    let tampered = SignedDirectory::new(json, d1.signature().to_owned()).unwrap();
    let e = s.offer(&tampered, t0()).unwrap_err();
    assert!(
        matches!(
            e,
            Refusal::BadSignature {
                source: SealError::BadSignature,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.code(), "directory_bad_signature");

    // The same directory signed by a node key, not the authority.
    let forged = sign_with(&w.fr, &w.draft, 1, t0(), 30 * DAY);
    let e = s.offer(&forged, t0()).unwrap_err();
    assert!(
        matches!(
            e,
            Refusal::BadSignature {
                source: SealError::WrongSigner { .. },
                ..
            }
        ),
        "{e}"
    );

    // A garbage signature.
    let garbage = SignedDirectory::new(d1.json().to_vec(), "not a signature".into()).unwrap();
    assert!(matches!(
        s.offer(&garbage, t0()).unwrap_err(),
        Refusal::BadSignature { .. }
    ));

    // A node pinning another authority refuses the real one.
    let mut other = DirectoryState::new(
        PinnedAuthority::new(w.md.cert()),
        AcceptancePolicy::default(),
    );
    assert!(matches!(
        other.offer(&d1, t0()).unwrap_err(),
        Refusal::BadSignature { .. }
    ));
    assert_eq!(other.health(t0()), DirectoryHealth::Missing);
    assert!(s.current().is_none(), "nothing was accepted");
}

#[test]
fn the_directory_must_name_the_pinned_authority() {
    let w = world();
    let mut s = state(&w);
    let mut draft = w.draft.clone();
    draft.authority.fingerprint = w.fr.fingerprint();
    let d = sign_with(&w.authority, &draft, 1, t0(), 30 * DAY);
    let e = s.offer(&d, t0()).unwrap_err();
    assert!(matches!(e, Refusal::AuthorityMismatch { .. }), "{e}");
}

#[test]
fn only_the_canonical_text_is_accepted() {
    let w = world();
    let mut s = state(&w);
    let d1 = sign(&w, 1, t0(), 30 * DAY);
    let value: serde_json::Value = serde_json::from_slice(d1.json()).unwrap();
    let compact = serde_json::to_vec(&value).unwrap();
    let e = s.offer(&resign(&w, compact, t0()), t0()).unwrap_err();
    assert!(
        matches!(e, Refusal::Malformed(DirectoryError::NotCanonical)),
        "{e}"
    );
    // A duplicate key inside a signed file is refused, not silently merged.
    let text = String::from_utf8(d1.json().to_vec()).unwrap();
    let line = "\"format\": \"cp247-directory/1\",";
    assert!(text.contains(line));
    let dup = text.replacen(line, &format!("{line}\n  {line}"), 1);
    let e = s
        .offer(&resign(&w, dup.into_bytes(), t0()), t0())
        .unwrap_err();
    assert!(matches!(e, Refusal::Malformed(_)), "{e}");
}

#[test]
fn malformed_files_say_where() {
    let w = world();
    let d1 = sign(&w, 1, t0(), 30 * DAY);
    let text = String::from_utf8(d1.json().to_vec()).unwrap();
    let cases = [
        (
            text.replace("+33140978800", "+33 1 40 97 88 00"),
            "parties[0].primary.duty_phones[0]",
            "E.164",
        ),
        (
            text.replace("\"Europe/Chisinau\"", "\"Europe/Atlantis\""),
            "parties[1].primary.time_zone",
            "IANA",
        ),
        (
            text.replace("\"cp247-directory/1\"", "\"cp247-directory/9\""),
            "format",
            "cp247-directory/9",
        ),
        (
            text.replace("\"serial\": 1", "\"serial\": 1,\n  \"extra\": true"),
            "extra",
            "unknown field",
        ),
        (
            text.replacen("\"party\": \"FR\"", "\"party\": \"UK\"", 1),
            "parties[0].party",
            "GB",
        ),
        (
            text.replacen("\"party\": \"FR\"", "\"party\": \"MD\"", 1),
            "parties[1].party",
            "increasing code order",
        ),
        (
            text.replacen("\"party\": \"FR\"", "\"party\": \"EU\"", 1),
            "parties[0].party",
            "organisation",
        ),
    ];
    for (bad, path, needle) in cases {
        let e = Directory::from_canonical_json(bad.as_bytes()).unwrap_err();
        match &e {
            DirectoryError::Invalid { path: p, message } => {
                assert!(
                    p == path && message.contains(needle),
                    "expected {needle} at {path}, got {e}"
                );
            }
            other => panic!("expected an error at {path}, got {other}"),
        }
    }
    let huge = vec![b' '; cp247_directory::model::MAX_DIRECTORY_BYTES + 1];
    assert!(matches!(
        SignedDirectory::new(huge, String::new()).unwrap_err(),
        Refusal::TooLarge { .. }
    ));
    assert!(Directory::from_canonical_json(b"\xff\xfe").is_err());
    assert!(Directory::from_canonical_json(&b"[".repeat(100_000)).is_err());
}

#[test]
fn issue_time_in_the_future_is_refused_beyond_the_skew() {
    let w = world();
    let mut s = state(&w);
    // Four minutes ahead: within the skew.
    let d1 = sign(&w, 1, t0() + SignedDuration::from_mins(4), 30 * DAY);
    assert!(s.offer(&d1, t0()).is_ok());
    // An hour ahead. The signature itself is dated an hour ahead too, which the seal layer
    // refuses first; a signature dated now over a directory issued in an hour is refused by
    // the directory rule.
    let dir = w
        .draft
        .to_directory(
            2,
            Instant::utc(t0() + SignedDuration::from_hours(1)),
            Instant::utc(t0() + 30 * DAY),
        )
        .unwrap();
    let d2 = resign(&w, dir.to_canonical_json(), t0());
    let e = s.offer(&d2, t0()).unwrap_err();
    assert!(matches!(e, Refusal::IssuedInFuture { .. }), "{e}");
    let d3 = sign(&w, 3, t0() + SignedDuration::from_hours(1), 30 * DAY);
    assert!(matches!(
        s.offer(&d3, t0()).unwrap_err(),
        Refusal::BadSignature {
            source: SealError::SignatureFromTheFuture { .. },
            ..
        }
    ));
}

#[test]
fn expiry_grace_and_refusal_boundaries() {
    let w = world();
    let mut s = state(&w);
    let d1 = sign(&w, 1, t0(), 10 * DAY);
    s.offer(&d1, t0()).unwrap();
    let expires = t0() + 10 * DAY;
    let refuse = expires + 7 * DAY;
    let second = SignedDuration::from_secs(1);

    let valid = s.health(expires - second);
    assert_eq!(
        valid,
        DirectoryHealth::Valid {
            serial: 1,
            expires_at: expires
        }
    );
    assert!(valid.warning().is_none());

    let grace = s.health(expires);
    assert_eq!(
        grace,
        DirectoryHealth::Grace {
            serial: 1,
            expired_at: expires,
            refuse_after: refuse
        }
    );
    assert!(grace.permits_traffic());
    assert!(grace.warning().unwrap().contains("EXPIRED"));
    let view = s.traffic(refuse - second).unwrap();
    assert_eq!(view.health().code(), "directory_in_grace");
    assert!(view.party(code("MD")).is_ok());

    let expired = s.health(refuse);
    assert!(!expired.permits_traffic());
    assert_eq!(expired.code(), "directory_expired");
    let e = s.traffic(refuse).unwrap_err();
    assert_eq!(e.code(), "directory_unusable");
    assert!(e.to_string().contains("refuses all traffic"), "{e}");

    // A fresh directory restores traffic.
    let d2 = sign(&w, 2, refuse + DAY, 30 * DAY);
    s.offer(&d2, refuse + DAY).unwrap();
    assert!(s.traffic(refuse + DAY).is_ok());
}

#[test]
fn an_expired_directory_is_accepted_in_grace_and_refused_after() {
    let w = world();
    let d1 = sign(&w, 1, t0(), 10 * DAY);
    // Offered 12 days after issue: expired 2 days ago, in grace.
    let mut s = state(&w);
    assert!(s.offer(&d1, t0() + 12 * DAY).is_ok());
    assert!(matches!(
        s.health(t0() + 12 * DAY),
        DirectoryHealth::Grace { .. }
    ));
    // Offered 17 days after issue: grace over.
    let mut s = state(&w);
    let e = s.offer(&d1, t0() + 17 * DAY).unwrap_err();
    assert!(matches!(e, Refusal::Stale { .. }), "{e}");
    assert_eq!(s.health(t0() + 17 * DAY), DirectoryHealth::Missing);
    // A shorter grace period is honoured.
    let mut s = DirectoryState::new(
        PinnedAuthority::new(w.authority.cert()),
        AcceptancePolicy {
            grace: DAY,
            ..AcceptancePolicy::default()
        },
    );
    assert!(matches!(
        s.offer(&d1, t0() + 12 * DAY).unwrap_err(),
        Refusal::Stale { .. }
    ));
}

#[test]
fn traffic_is_refused_for_absent_suspended_and_revoked_parties() {
    let w = world();
    let mut draft = w.draft.clone();
    draft
        .set_status(
            code("MD"),
            None,
            Status::Suspended(Standing {
                since: Instant::utc(t0() + DAY),
                reason: reason("Audit of the node's key handling."),
            }),
        )
        .unwrap();
    let mut s = state(&w);
    s.offer(&sign_with(&w.authority, &draft, 1, t0(), 30 * DAY), t0())
        .unwrap();
    let before = s.traffic(t0()).unwrap();
    assert!(before.party(code("MD")).is_ok(), "not yet suspended");
    let during = s.traffic(t0() + 2 * DAY).unwrap();
    let e = during.party(code("MD")).unwrap_err();
    assert_eq!(e.code(), "party_suspended");
    assert!(e.to_string().contains("Audit"), "{e}");
    assert_eq!(
        during.party(code("DE")).unwrap_err(),
        TrafficRefusal::PartyAbsent(code("DE"))
    );
    assert_eq!(
        during
            .contact_point(&Address::alternate(code("FR")))
            .unwrap_err()
            .code(),
        "contact_point_absent"
    );

    // Revocation of FR's primary contact point.
    draft
        .set_status(
            code("FR"),
            Some(ContactPointRole::Primary),
            Status::Revoked(Standing {
                since: Instant::utc(t0() + DAY),
                reason: reason("The node's key was compromised."),
            }),
        )
        .unwrap();
    s.offer(
        &sign_with(&w.authority, &draft, 2, t0() + DAY, 30 * DAY),
        t0() + DAY,
    )
    .unwrap();
    let view = s.traffic(t0() + 2 * DAY).unwrap();
    assert!(view.party(code("FR")).is_ok());
    assert_eq!(
        view.contact_point(&Address::primary(code("FR")))
            .unwrap_err()
            .code(),
        "contact_point_revoked"
    );
    // A revocation is final in the draft.
    let e = draft
        .set_status(code("FR"), Some(ContactPointRole::Primary), Status::Active)
        .unwrap_err();
    assert!(matches!(e, DraftError::RevocationFinal(_)), "{e}");
}

#[test]
fn key_lookup_for_the_seal_layer() {
    let w = world();
    let mut draft = w.draft.clone();
    // MD rotates: the new key is added, the old one retires in 10 days.
    draft
        .set_contact_point(
            code("MD"),
            ContactPointRole::Primary,
            ContactPointUpdate {
                add_cert: Some(ListedCert::from_cert(w.md_next.cert())),
                retire_key: Some((w.md.fingerprint(), Instant::utc(t0() + 10 * DAY))),
                ..ContactPointUpdate::default()
            },
        )
        .unwrap();
    let mut s = state(&w);
    s.offer(&sign_with(&w.authority, &draft, 1, t0(), 30 * DAY), t0())
        .unwrap();
    let view = s.traffic(t0()).unwrap();

    let fr = view.key_by_fingerprint(&w.fr.fingerprint()).unwrap();
    assert_eq!(fr.owner, Address::primary(code("FR")));
    assert_eq!(fr.status, KeyStatus::Active);
    let old = view.key_by_fingerprint(&w.md.fingerprint()).unwrap();
    assert_eq!(
        old.status,
        KeyStatus::Revoked {
            since: t0() + 10 * DAY
        }
    );
    assert!(
        view.key_by_fingerprint(&w.authority.fingerprint())
            .is_none()
    );
    // Peers encrypt to the new key.
    assert_eq!(
        view.encryption_cert(&Address::primary(code("MD")))
            .unwrap()
            .fingerprint(),
        w.md_next.fingerprint()
    );

    // A subkey fingerprint finds the same entry (messages are signed by the signing subkey).
    let payload = payload(code("FR"), code("MD"), t0());
    let sealed = seal(&payload, &w.fr, &w.md_next.cert(), t0()).unwrap();
    let unverified = open(sealed.as_bytes(), &w.md_next, &Limits::default()).unwrap();
    let signer = unverified.claimed_signer();
    assert_ne!(signer, w.fr.fingerprint());
    assert_eq!(
        view.key_by_fingerprint(&signer).unwrap().owner,
        Address::primary(code("FR"))
    );
    let verified = unverified
        .verify(
            &view,
            &Address::primary(code("MD")),
            t0(),
            &OpenPolicy::default(),
        )
        .unwrap();
    assert_eq!(verified.sender(), Address::primary(code("FR")));
}

fn payload(from: PartyCode, to: PartyCode, at: Timestamp) -> Payload {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    Payload {
        header: Header {
            message_id: MessageId::generate(at, &mut rng),
            ticket: TicketId::generate(from, at, &mut rng),
            message_type: MessageType::parse("preservation_request").unwrap(),
            sender: Address::primary(from),
            recipient: Address::primary(to),
            created_at: Instant::utc(at),
            urgency: Urgency::Urgent,
            handling: Handling {
                confidential: true,
                marking: None,
            },
        },
        body: serde_json::json!({"kind": "art29"}),
        attachments: Vec::new(),
    }
}

#[test]
fn a_suspended_party_cannot_send() {
    let w = world();
    let mut draft = w.draft.clone();
    draft
        .set_status(
            code("FR"),
            None,
            Status::Suspended(Standing {
                since: Instant::utc(t0()),
                reason: reason("Audit of the node's key handling."),
            }),
        )
        .unwrap();
    let mut s = state(&w);
    s.offer(&sign_with(&w.authority, &draft, 1, t0(), 30 * DAY), t0())
        .unwrap();
    let now = t0() + SignedDuration::from_hours(1);
    let view = s.traffic(now).unwrap();
    let sealed = seal(
        &payload(code("FR"), code("MD"), now),
        &w.fr,
        &w.md.cert(),
        now,
    )
    .unwrap();
    let e = open(sealed.as_bytes(), &w.md, &Limits::default())
        .unwrap()
        .verify(
            &view,
            &Address::primary(code("MD")),
            now,
            &OpenPolicy::default(),
        )
        .unwrap_err();
    assert!(matches!(e, OpenError::KeySuspended { .. }), "{e}");
}

#[test]
fn drafts_are_signed_only_when_complete() {
    let w = world();
    let mut draft = w.draft.clone();
    draft
        .add_party(code("GE"), Text::parse("Georgia").unwrap())
        .unwrap();
    draft
        .set_contact_point(
            code("GE"),
            ContactPointRole::Alternate,
            ContactPointUpdate {
                unit: Some(Text::parse("Cybercrime division").unwrap()),
                ..ContactPointUpdate::default()
            },
        )
        .unwrap();
    let problems = draft
        .to_directory(1, Instant::utc(t0()), Instant::utc(t0() + DAY))
        .unwrap_err();
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let joined = text.join("\n");
    for needle in [
        "GE.primary: the Party has no primary contact point",
        "GE.alternate.duty_phones",
        "GE.alternate.channel",
        "GE.alternate.time_zone",
        "GE.alternate.languages",
    ] {
        assert!(joined.contains(needle), "{needle} not in\n{joined}");
    }
    assert_eq!(
        draft.add_party(code("GE"), Text::parse("Georgia").unwrap()),
        Err(DraftError::DuplicateParty(code("GE")))
    );
    assert_eq!(
        draft.add_party(code("INTERPOL"), Text::parse("Interpol").unwrap()),
        Err(DraftError::Organisation(code("INTERPOL")))
    );
    // A key without a channel.
    let e = draft
        .set_contact_point(
            code("GE"),
            ContactPointRole::Primary,
            ContactPointUpdate {
                set_cert: Some(ListedCert::from_cert(w.fr.cert())),
                ..ContactPointUpdate::default()
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("channel first"), "{e}");
    // The same key for two contact points.
    let mut twice = w.draft.clone();
    twice
        .set_contact_point(
            code("MD"),
            ContactPointRole::Alternate,
            node_update(&w.fr, "alt.example.md", "Europe/Chisinau"),
        )
        .unwrap();
    let problems = twice
        .to_directory(1, Instant::utc(t0()), Instant::utc(t0() + DAY))
        .unwrap_err();
    assert!(
        problems[0].message.contains("more than once"),
        "{problems:?}"
    );
    // An expired certificate is refused at signing.
    let old = NodeKey::generate(
        "cp247 old",
        t0() - 100 * DAY,
        Some(SignedDuration::from_hours(24 * 10)),
    )
    .unwrap();
    let mut expired = w.draft.clone();
    expired
        .set_contact_point(
            code("FR"),
            ContactPointRole::Primary,
            ContactPointUpdate {
                set_cert: Some(ListedCert::from_cert(old.cert())),
                ..ContactPointUpdate::default()
            },
        )
        .unwrap();
    let problems = expired
        .to_directory(1, Instant::utc(t0()), Instant::utc(t0() + DAY))
        .unwrap_err();
    assert!(
        problems[0].path == "FR.primary.channel.keys[0]" && problems[0].message.contains("expired"),
        "{problems:?}"
    );
}

#[test]
fn drafts_round_trip_as_json() {
    let w = world();
    let json = w.draft.to_json();
    assert_eq!(Draft::from_json(&json).unwrap(), w.draft);
    let bad = String::from_utf8(json)
        .unwrap()
        .replace("+33140978800", "0140978800");
    let e = Draft::from_json(bad.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("duty_phones[0]"), "{e}");
}

#[test]
fn office_hours_through_the_contact_point() {
    let w = world();
    let dir = w
        .draft
        .to_directory(1, Instant::utc(t0()), Instant::utc(t0() + DAY))
        .unwrap();
    let md = dir.contact_point(&Address::primary(code("MD"))).unwrap();
    // Chisinau is UTC+2 in winter: Monday 2026-11-02 08:00 local = 06:00Z.
    assert!(!md.is_in_office_hours("2026-11-02T05:59:00Z".parse().unwrap()));
    assert!(md.is_in_office_hours("2026-11-02T06:00:00Z".parse().unwrap()));
    assert_eq!(
        md.next_office_opening("2026-10-31T12:00:00Z".parse().unwrap()),
        Some("2026-11-02T06:00:00Z".parse().unwrap())
    );
}
