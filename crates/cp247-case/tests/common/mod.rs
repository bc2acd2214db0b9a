//! Helpers shared by the integration tests: instants, example requests, a real directory with
//! real keys, calendars.

#![allow(dead_code)] // each test binary uses a different part of these helpers

use std::collections::BTreeSet;

use cp247_case::{Calendars, OfficeCalendar};
use cp247_directory::contact::{AuthorityKind, ParentAuthority};
use cp247_directory::draft::{ContactPointUpdate, Draft};
use cp247_directory::hours::OfficeHours;
use cp247_directory::status::{Standing, Status};
use cp247_directory::text::{Reason, Text};
use cp247_directory::{AuthorityRef, Directory, ListedCert};
use cp247_domain::{ContactPointRole, Instant, PartyCode, TicketId, ZoneName};
use cp247_forms::{Document, Kind};
use cp247_seal::NodeKey;
use jiff::{SignedDuration, Timestamp};

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub fn instant(s: &str) -> Instant {
    Instant::parse(s).unwrap()
}

pub fn party(s: &str) -> PartyCode {
    PartyCode::parse(s).unwrap()
}

pub fn ticket(s: &str) -> TicketId {
    TicketId::parse(s).unwrap()
}

pub fn example(kind: Kind) -> Document {
    cp247_forms::examples::example(kind).unwrap()
}

pub fn calendar(zone: &str, hours: &str) -> OfficeCalendar {
    OfficeCalendar::new(
        ZoneName::parse(zone).unwrap(),
        OfficeHours::parse_weekly(hours).unwrap(),
    )
}

/// France (Paris) requests, Moldova (Chișinău) is requested; both work Mon–Fri 08:00–18:00.
pub fn calendars() -> Calendars {
    Calendars {
        requester: calendar("Europe/Paris", "Mon-Fri 08:00-18:00"),
        requested: calendar("Europe/Chisinau", "Mon-Fri 08:00-18:00"),
    }
}

/// What the Moldovan alternate contact point is in a test world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternate {
    /// None listed.
    Missing,
    /// Reached through its own node.
    Node,
    /// Reached by OpenPGP e-mail.
    Email,
    /// E-mail, but suspended since before the test.
    Suspended,
}

fn update(
    key: &NodeKey,
    node_host: Option<&str>,
    email: Option<&str>,
    phone: &str,
    tz: &str,
) -> ContactPointUpdate {
    ContactPointUpdate {
        unit: Some(Text::parse("Cybercrime 24/7 unit").unwrap()),
        parent_authority: Some(ParentAuthority {
            kind: AuthorityKind::Police,
            name: Text::parse("National police").unwrap(),
        }),
        mla_authority: Some(false),
        capabilities: Some(BTreeSet::new()),
        node: node_host.map(|h| {
            (
                format!("https://{h}/").parse().unwrap(),
                "ab".repeat(32).parse().unwrap(),
            )
        }),
        email_channel: email.map(|e| e.parse().unwrap()),
        set_cert: Some(ListedCert::from_cert(key.cert())),
        duty_phones: Some(vec![phone.parse().unwrap()]),
        languages: Some(vec!["en".parse().unwrap()]),
        time_zone: Some(tz.parse().unwrap()),
        office_hours: Some(OfficeHours::parse_weekly("Mon-Fri 08:00-18:00").unwrap()),
        ..ContactPointUpdate::default()
    }
}

/// A signed-shape directory (not signed: the case crate only reads it) with France and
/// Moldova, real OpenPGP keys, and Moldova's alternate as asked.
pub fn directory(alternate: Alternate) -> Directory {
    let created = ts("2025-12-01T00:00:00Z");
    let authority = NodeKey::generate("cp247 directory authority", created, None).unwrap();
    let fr = NodeKey::generate("cp247 node FR", created, None).unwrap();
    let md = NodeKey::generate("cp247 node MD", created, None).unwrap();
    let md_alt = NodeKey::generate("cp247 MD alternate", created, None).unwrap();
    let mut draft = Draft::new(AuthorityRef {
        name: Text::parse("Secretariat of the 24/7 Network").unwrap(),
        fingerprint: authority.fingerprint(),
    });
    draft
        .add_party(party("FR"), Text::parse("France").unwrap())
        .unwrap();
    draft
        .add_party(party("MD"), Text::parse("Republic of Moldova").unwrap())
        .unwrap();
    draft
        .set_contact_point(
            party("FR"),
            ContactPointRole::Primary,
            update(
                &fr,
                Some("cp247.police.example.fr"),
                None,
                "+33140978800",
                "Europe/Paris",
            ),
        )
        .unwrap();
    draft
        .set_contact_point(
            party("MD"),
            ContactPointRole::Primary,
            update(
                &md,
                Some("cp247.police.example.md"),
                None,
                "+37322000000",
                "Europe/Chisinau",
            ),
        )
        .unwrap();
    let alt = |node: Option<&str>, email: Option<&str>| {
        update(&md_alt, node, email, "+37322000001", "Europe/Chisinau")
    };
    match alternate {
        Alternate::Missing => {}
        Alternate::Node => draft
            .set_contact_point(
                party("MD"),
                ContactPointRole::Alternate,
                alt(Some("cp247.procuratura.example.md"), None),
            )
            .unwrap(),
        Alternate::Email | Alternate::Suspended => draft
            .set_contact_point(
                party("MD"),
                ContactPointRole::Alternate,
                alt(None, Some("cyber-247@procuratura.example.md")),
            )
            .unwrap(),
    }
    if alternate == Alternate::Suspended {
        draft
            .set_status(
                party("MD"),
                Some(ContactPointRole::Alternate),
                Status::Suspended(Standing {
                    since: instant("2026-01-05T10:00:00+02:00"),
                    reason: Reason::parse("The unit is being reorganised.").unwrap(),
                }),
            )
            .unwrap();
    }
    draft
        .to_directory(
            1,
            Instant::utc(created),
            Instant::utc(created + SignedDuration::from_hours(24 * 365)),
        )
        .unwrap()
}
