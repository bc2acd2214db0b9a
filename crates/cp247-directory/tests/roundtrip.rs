#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests may unwrap: a failure is a test failure with its message.

//! Round trips of the signed form: any valid directory encodes to canonical JSON that parses
//! back to the same directory and re-encodes to the same bytes; and a snapshot of the format.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use cp247_directory::contact::{
    AuthorityKind, Capability, EmailAddress, Endpoint, LanguageTag, ParentAuthority, Phone,
    TlsSha256,
};
use cp247_directory::hours::OfficeHours;
use cp247_directory::model::{Bounded, EmailChannel, Keys, NodeChannel};
use cp247_directory::status::{Standing, Status};
use cp247_directory::text::{Reason, Text};
use cp247_directory::{
    AuthorityRef, Channel, ContactPoint, Directory, ListedCert, ListedKey, PartyEntry,
};
use cp247_domain::{Instant, PartyCode, ZoneName};
use cp247_seal::NodeKey;
use jiff::Timestamp;
use proptest::prelude::*;

fn keys() -> &'static Vec<NodeKey> {
    static KEYS: OnceLock<Vec<NodeKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let created: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        (0..14)
            .map(|i| NodeKey::generate(&format!("cp247 test key {i}"), created, None).unwrap())
            .collect()
    })
}

fn instant() -> impl Strategy<Value = Instant> {
    (1_750_000_000i64..1_900_000_000, -720i32..=840).prop_map(|(s, m)| {
        Instant::new(
            Timestamp::from_second(s).unwrap(),
            jiff::tz::Offset::from_seconds(m / 15 * 15 * 60).unwrap(),
        )
    })
}

fn text() -> impl Strategy<Value = Text> {
    "[A-Za-zÀ-ÿ][A-Za-z0-9À-ÿ ,.'()-]{0,40}[a-z]".prop_map(|s| Text::parse(&s).unwrap())
}

fn standing() -> impl Strategy<Value = Standing> {
    (instant(), "[A-Z][a-z]{3,12} [a-z]{3,12}[.]").prop_map(|(since, r)| Standing {
        since,
        reason: Reason::parse(&r).unwrap(),
    })
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        Just(Status::Active),
        standing().prop_map(Status::Suspended),
        standing().prop_map(Status::Revoked),
    ]
}

/// A contact point whose keys are filled in later (they must be unique in the directory).
fn contact_point() -> impl Strategy<Value = (ContactPoint, usize, Option<Instant>)> {
    let channel = prop_oneof![
        ("[a-z]{1,12}", any::<[u8; 32]>()).prop_map(|(host, pin)| {
            (
                Some((
                    Endpoint::parse(&format!("https://{host}.example/")).unwrap(),
                    TlsSha256::parse(&hex::encode(pin)).unwrap(),
                )),
                None,
            )
        }),
        "[a-z]{1,8}".prop_map(|l| (
            None,
            Some(EmailAddress::parse(&format!("{l}@cyber.example")).unwrap())
        )),
    ];
    (
        text(),
        (prop::sample::select(AuthorityKind::ALL.to_vec()), text()),
        any::<bool>(),
        prop::sample::subsequence(Capability::ALL.to_vec(), 0..=4),
        channel,
        prop::collection::vec("\\+[1-9][0-9]{6,14}", 1..4),
        prop::collection::vec("[a-z]{1,6}@[a-z]{1,6}\\.example", 0..3),
        prop::sample::subsequence(vec!["en", "fr", "ro-MD", "ka", "sr-Latn-RS", "de"], 1..4),
        prop::sample::select(vec![
            "Europe/Paris",
            "Europe/Chisinau",
            "Asia/Tbilisi",
            "America/Sao_Paulo",
            "UTC",
        ]),
        prop::sample::select(vec![
            "Mon-Fri 08:00-18:00",
            "24/7",
            "Mon-Thu 08:00-12:00,13:00-17:00; Fri 08:00-15:00",
            "Sun 10:00-24:00",
        ]),
        status(),
        (1usize..3, prop::option::of(instant())),
    )
        .prop_map(
            |(
                unit,
                (kind, name),
                mla,
                caps,
                (node, email),
                phones,
                emails,
                langs,
                tz,
                hours,
                status,
                (nkeys, retired),
            )| {
                let placeholder = Keys::new(vec![ListedKey::new(
                    ListedCert::from_cert(keys()[0].cert()),
                    None,
                )])
                .unwrap();
                let channel = match (node, email) {
                    (Some((endpoint, tls_sha256)), _) => Channel::Node(NodeChannel {
                        endpoint,
                        tls_sha256,
                        keys: placeholder,
                        reads: None,
                    }),
                    (None, Some(address)) => Channel::Email(EmailChannel {
                        address,
                        keys: placeholder,
                    }),
                    (None, None) => unreachable!(),
                };
                (
                    ContactPoint {
                        unit,
                        parent_authority: ParentAuthority { kind, name },
                        mla_authority: mla,
                        capabilities: caps.into_iter().collect::<BTreeSet<_>>(),
                        channel,
                        duty_phones: Bounded::new(
                            phones.iter().map(|p| Phone::parse(p).unwrap()).collect(),
                        )
                        .unwrap(),
                        emails: Bounded::new(
                            emails
                                .iter()
                                .map(|e| EmailAddress::parse(e).unwrap())
                                .collect(),
                        )
                        .unwrap(),
                        languages: Bounded::new(
                            langs
                                .iter()
                                .map(|l| LanguageTag::parse(l).unwrap())
                                .collect(),
                        )
                        .unwrap(),
                        time_zone: ZoneName::parse(tz).unwrap(),
                        office_hours: OfficeHours::parse_weekly(hours).unwrap(),
                        status,
                    },
                    nkeys,
                    retired,
                )
            },
        )
}

fn directory() -> impl Strategy<Value = Directory> {
    let party = (
        prop::sample::select(vec!["FR", "MD", "GE", "BR", "JP", "RO"]),
        text(),
        status(),
        contact_point(),
        prop::option::of(contact_point()),
    );
    (
        any::<u64>(),
        instant(),
        1i64..1_000_000,
        text(),
        prop::collection::vec(party, 1..4),
    )
        .prop_map(|(serial, issued, secs, name, parties)| {
            let mut next_key = 0usize;
            let mut take = |n: usize, retired: Option<Instant>| {
                let list: Vec<ListedKey> = (0..n)
                    .map(|i| {
                        let k = &keys()[next_key];
                        next_key += 1;
                        ListedKey::new(
                            ListedCert::from_cert(k.cert()),
                            if i == 0 { retired } else { None },
                        )
                    })
                    .collect();
                Keys::new(list).unwrap()
            };
            let mut fill = |(mut cp, n, retired): (ContactPoint, usize, Option<Instant>)| {
                let keys = take(n, retired);
                match &mut cp.channel {
                    Channel::Node(c) => c.keys = keys,
                    Channel::Email(c) => c.keys = keys,
                }
                cp
            };
            let mut entries: Vec<PartyEntry> = Vec::new();
            let mut seen = BTreeSet::new();
            for (code, pname, status, primary, alternate) in parties {
                if !seen.insert(code) {
                    continue;
                }
                entries.push(PartyEntry {
                    party: PartyCode::parse(code).unwrap(),
                    name: pname,
                    status,
                    primary: fill(primary),
                    alternate: alternate.map(&mut fill),
                });
            }
            entries.sort_by_key(|e| e.party);
            let expires = Instant::utc(issued.timestamp() + jiff::SignedDuration::from_secs(secs));
            Directory::new(
                serial,
                issued,
                expires,
                AuthorityRef {
                    name,
                    fingerprint: keys()[13].fingerprint(),
                },
                entries,
            )
            .unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn canonical_json_round_trips(dir in directory()) {
        let bytes = dir.to_canonical_json();
        let back = Directory::from_canonical_json(&bytes).unwrap();
        prop_assert_eq!(&back, &dir);
        prop_assert_eq!(back.to_canonical_json(), bytes);
    }
}

#[test]
fn the_signed_form_looks_like_this() {
    let key = &keys()[1];
    let cp = ContactPoint {
        unit: Text::parse("Centre for Combating Cyber Crimes").unwrap(),
        parent_authority: ParentAuthority {
            kind: AuthorityKind::Police,
            name: Text::parse("General Police Inspectorate").unwrap(),
        },
        mla_authority: false,
        capabilities: [Capability::OrdersPreservation].into_iter().collect(),
        channel: Channel::Node(NodeChannel {
            endpoint: Endpoint::parse("https://cp247.police.example.md").unwrap(),
            tls_sha256: TlsSha256::parse(&"5e".repeat(32)).unwrap(),
            keys: Keys::new(vec![ListedKey::new(
                ListedCert::from_cert(key.cert()),
                None,
            )])
            .unwrap(),
            reads: None,
        }),
        duty_phones: Bounded::new(vec![Phone::parse("+37322577277").unwrap()]).unwrap(),
        emails: Bounded::new(vec![
            EmailAddress::parse("cyber@police.example.md").unwrap(),
        ])
        .unwrap(),
        languages: Bounded::new(vec![
            LanguageTag::parse("ro").unwrap(),
            LanguageTag::parse("en").unwrap(),
        ])
        .unwrap(),
        time_zone: ZoneName::parse("Europe/Chisinau").unwrap(),
        office_hours: OfficeHours::parse_weekly("Mon-Fri 08:00-17:00")
            .unwrap()
            .with_closed_days(vec!["2026-12-25".parse().unwrap()])
            .unwrap(),
        status: Status::Active,
    };
    let dir = Directory::new(
        7,
        Instant::parse("2026-11-02T10:00:00+01:00").unwrap(),
        Instant::parse("2026-12-02T10:00:00+01:00").unwrap(),
        AuthorityRef {
            name: Text::parse("Secretariat of the 24/7 Network").unwrap(),
            fingerprint: keys()[13].fingerprint(),
        },
        vec![PartyEntry {
            party: PartyCode::parse("MD").unwrap(),
            name: Text::parse("Republic of Moldova").unwrap(),
            status: Status::Active,
            primary: cp,
            alternate: None,
        }],
    )
    .unwrap();
    // Keys are generated per run: replace them by stable markers.
    let text = String::from_utf8(dir.to_canonical_json())
        .unwrap()
        .replace(
            &serde_json::to_string(&key.cert().armored()).unwrap(),
            "\"<ARMORED CERTIFICATE>\"",
        )
        .replace(&key.fingerprint().to_string(), "<NODE FINGERPRINT>")
        .replace(
            &keys()[13].fingerprint().to_string(),
            "<AUTHORITY FINGERPRINT>",
        );
    insta::assert_snapshot!(text);
    reads_is_optional_and_canonical(&dir);
}

/// A node channel may list the protocol level it reads (ADR 0028): absent, the canonical text
/// is the one above (so directories signed before levels existed read the same); present, it
/// sits in its sorted place, round-trips byte for byte and is what `protocol_level` reports;
/// a level this build does not know yet is kept as written.
fn reads_is_optional_and_canonical(dir: &Directory) {
    let bytes = dir.to_canonical_json();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let at = text.find("\"tls_sha256\"").unwrap();
    let indent = &text[text[..at].rfind('\n').unwrap() + 1..at];
    for (n, expect) in [("2", 2), ("7", 2), ("1", 1)] {
        let listed = format!("{}\"reads\": {n},\n{indent}{}", &text[..at], &text[at..]);
        let back = Directory::from_canonical_json(listed.as_bytes()).unwrap();
        assert_eq!(back.to_canonical_json(), listed.as_bytes());
        let cp = back
            .contact_point(&cp247_domain::Address::primary(
                PartyCode::parse("MD").unwrap(),
            ))
            .unwrap();
        let Channel::Node(node) = &cp.channel else {
            panic!("a node")
        };
        assert_eq!(node.protocol_level().get(), expect);
    }
    let zero = format!("{}\"reads\": 0,\n{indent}{}", &text[..at], &text[at..]);
    assert!(Directory::from_canonical_json(zero.as_bytes()).is_err());
    let back = Directory::from_canonical_json(&bytes).unwrap();
    let Channel::Node(node) = &back.parties()[0].primary.channel else {
        panic!("a node")
    };
    assert_eq!(node.protocol_level(), cp247_domain::ProtocolLevel::V1);
}
