//! proptest strategies that generate valid documents of every kind (feature `strategies`).
//!
//! Every generated document decodes without error from its own encoding; tests of other
//! crates (XML, rendering) use them for their own round trips. Values stay inside the rules:
//! instants carry the offset of their zone, ranges are ordered, IP identifiers carry
//! connection details and other identifiers do not, statuses carry the tickets they need.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use cp247_domain::{Channel, Instant, PartyCode, TicketId, ZoneName};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::Offset;
use proptest::prelude::*;
use proptest::sample::select;

use crate::documents::{
    Art30Ground, AssistanceRequest, AssistanceType, Document, MlaIntention, PreservationRequest,
    PreservationStatus, SubscriberElement, SubscriberInfoRequest, SubscriberRequestStatus,
    TrafficDisclosure, UrgencyStatement, Withholding,
};
use crate::field::{Applicable, Field, NonEmpty, Reason};
use crate::shared::{
    Asn, AttachmentKind, AuthorisingOfficial, Authority, CaseOffice, Choice, Condition,
    ConditionKind, Connection, ContactPerson, ConventionArticle, Country, Custodian, DataCategory,
    DataItem, DateTimeTz, DeviceCode, Direction, DocumentRef, DomainName, Email, Identifier,
    IdentifierKind, IdentifierValue, LanguageTag, LongText, Offence, Penalty, Phone, Port,
    PreservationPeriod, Protocol, ProviderRef, RequestedAuthority, Sha256, SocketAddress,
    SourceClock, Text, TicketRef, TimeRange, TrafficRecord, Url,
};

/// Words to build texts from (with accents, apostrophes and signs that need escaping in JSON,
/// XML and typst).
const WORDS: &[&str] = &[
    "police",
    "serveur",
    "Chișinău",
    "données",
    "l'hôpital",
    "œuvre",
    "«",
    "»",
    "<tag>",
    "&",
    "\"quoted\"",
    "#import",
    "]",
    "\\",
    "attack",
    "provider",
    "ExampleHost",
    "2026",
    "log",
    "façade",
    "Ελλάδα",
    "日本",
    "x-y",
    "$path",
    "{brace}",
    "50%",
    "a*b",
    "_under_",
];

fn words(min: usize, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(select(WORDS), min..=max).prop_map(|w| w.join(" "))
}

/// A one-line text.
pub fn text() -> BoxedStrategy<Text> {
    words(1, 8)
        .prop_filter_map("not a text", |s| Text::new(s).ok())
        .boxed()
}

/// A text of several lines.
pub fn long_text() -> BoxedStrategy<LongText> {
    prop::collection::vec(words(1, 10), 1..4)
        .prop_filter_map("not a long text", |lines| {
            LongText::new(lines.join("\n")).ok()
        })
        .boxed()
}

/// A reason (a sentence).
pub fn reason() -> BoxedStrategy<Reason> {
    (
        select(&["No", "The", "This", "Aucune", "Nothing"][..]),
        words(2, 6),
    )
        .prop_filter_map("not a reason", |(a, b)| {
            Reason::new(format!("{a} {b}.")).ok()
        })
        .boxed()
}

/// A [`Field`] over `value`.
pub fn field<T: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = T>,
) -> impl Strategy<Value = Field<T>> {
    prop_oneof![
        3 => value.prop_map(Field::Value),
        1 => reason().prop_map(Field::NotApplicable),
        1 => reason().prop_map(Field::Unknown),
    ]
}

/// An [`Applicable`] over `value`.
pub fn applicable<T: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = T>,
) -> impl Strategy<Value = Applicable<T>> {
    prop_oneof![
        3 => value.prop_map(Applicable::Value),
        1 => reason().prop_map(Applicable::NotApplicable),
    ]
}

/// A non-empty list of 1 to `max` elements.
pub fn non_empty<T: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = T>,
    max: usize,
) -> impl Strategy<Value = NonEmpty<T>> {
    prop::collection::vec(value, 1..=max).prop_filter_map("empty", NonEmpty::new)
}

fn choice<C: Choice + std::fmt::Debug>() -> impl Strategy<Value = C> {
    select(C::ALL)
}

/// A calendar date.
pub fn date() -> BoxedStrategy<Date> {
    (2000i16..2040, 1i8..=12, 1i8..=28)
        .prop_filter_map("not a date", |(y, m, d)| Date::new(y, m, d).ok())
        .boxed()
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (946_684_800i64..2_208_988_800, 0i32..1_000_000_000)
        .prop_filter_map("not a timestamp", |(s, n)| {
            Timestamp::new(s, n - n % 1_000_000).ok()
        })
}

/// An instant with an offset that is a multiple of 15 minutes.
pub fn instant() -> BoxedStrategy<Instant> {
    (timestamp(), -48i32..=56)
        .prop_filter_map("not an offset", |(t, q)| {
            Offset::from_seconds(q * 15 * 60)
                .ok()
                .map(|o| Instant::new(t, o))
        })
        .boxed()
}

const ZONES: &[&str] = &[
    "Europe/Paris",
    "Europe/Chisinau",
    "Europe/London",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Adelaide",
    "UTC",
];

/// An observed instant; when it names a zone, its offset is that zone's at that instant.
pub fn date_time_tz() -> BoxedStrategy<DateTimeTz> {
    (
        timestamp(),
        prop::option::of(select(ZONES)),
        instant(),
        reason(),
        prop::bool::ANY,
        field(text()),
        choice::<SourceClock>(),
    )
        .prop_map(
            |(t, zone, other, why, unknown, original_text, source_clock)| match zone
                .and_then(|z| ZoneName::parse(z).ok())
            {
                Some(z) => DateTimeTz {
                    instant: Instant::new(t, z.time_zone().to_offset(t)),
                    zone: Field::Value(z),
                    original_text,
                    source_clock,
                },
                None => DateTimeTz {
                    instant: other,
                    zone: if unknown {
                        Field::Unknown(why)
                    } else {
                        Field::NotApplicable(why)
                    },
                    original_text,
                    source_clock,
                },
            },
        )
        .boxed()
}

/// An ordered time range (possibly open, possibly a single instant).
pub fn time_range() -> BoxedStrategy<TimeRange> {
    (date_time_tz(), field(date_time_tz()), 0i64..10_000_000)
        .prop_map(|(start, end, gap)| {
            let end = end.map(|mut e| {
                let at = start
                    .instant
                    .timestamp()
                    .checked_add(jiff::SignedDuration::from_secs(gap))
                    .unwrap_or(start.instant.timestamp());
                let offset = match &e.zone {
                    Field::Value(z) => z.time_zone().to_offset(at),
                    Field::NotApplicable(_) | Field::Unknown(_) => e.instant.offset(),
                };
                e.instant = Instant::new(at, offset);
                e
            });
            TimeRange { start, end }
        })
        .boxed()
}

fn port() -> impl Strategy<Value = Port> {
    (1u16..=u16::MAX).prop_filter_map("port 0", Port::new)
}

fn label() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,9}"
}

/// A domain name, ASCII or Unicode.
pub fn domain() -> BoxedStrategy<DomainName> {
    prop_oneof![
        (
            label(),
            select(&["example.org", "example.com", "example.net"][..])
        )
            .prop_map(|(l, d)| format!("{l}.{d}")),
        select(
            &[
                "bücher.example",
                "xn--bcher-kva.example",
                "société.example.org"
            ][..]
        )
        .prop_map(str::to_owned),
    ]
    .prop_filter_map("not a domain", |s| DomainName::parse(&s).ok())
    .boxed()
}

/// An e-mail address.
pub fn email() -> BoxedStrategy<Email> {
    (label(), prop::option::of(label()), domain())
        .prop_filter_map("not an e-mail", |(a, b, d)| {
            let local = match b {
                Some(b) => format!("{a}.{b}"),
                None => a,
            };
            Email::parse(&format!("{local}@{d}")).ok()
        })
        .boxed()
}

/// An E.164 phone number.
pub fn phone() -> BoxedStrategy<Phone> {
    "\\+[1-9][0-9]{7,14}"
        .prop_filter_map("not a phone", |s| Phone::parse(&s).ok())
        .boxed()
}

/// A URL.
pub fn url() -> BoxedStrategy<Url> {
    (domain(), "[a-z0-9/]{0,12}")
        .prop_filter_map("not a url", |(d, p)| {
            Url::parse(&format!("https://{}/{p}", d.ascii())).ok()
        })
        .boxed()
}

fn imei() -> impl Strategy<Value = DeviceCode> {
    prop::collection::vec(0u8..10, 14).prop_filter_map("not an IMEI", |digits| {
        // Luhn check digit.
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| {
                let d = u32::from(*d);
                if i % 2 == 0 {
                    let dd = d * 2;
                    if dd > 9 { dd - 9 } else { dd }
                } else {
                    d
                }
            })
            .sum();
        let check = (10 - sum % 10) % 10;
        let text: String = digits
            .iter()
            .map(|d| char::from(b'0' + d))
            .chain(std::iter::once(char::from_digit(check, 10).unwrap_or('0')))
            .collect();
        DeviceCode::imei(&text).ok()
    })
}

/// An identifier of any kind; IP identifiers carry connection details, others do not.
pub fn identifier() -> BoxedStrategy<Identifier> {
    let ip_value = prop_oneof![
        any::<Ipv4Addr>().prop_map(IdentifierValue::Ipv4),
        any::<Ipv6Addr>().prop_map(IdentifierValue::Ipv6),
    ];
    let other_value = prop_oneof![
        email().prop_map(IdentifierValue::Email),
        phone().prop_map(IdentifierValue::Phone),
        url().prop_map(IdentifierValue::Url),
        domain().prop_map(IdentifierValue::DomainName),
        imei().prop_map(IdentifierValue::Imei),
        "[0-9]{6,15}".prop_filter_map("imsi", |s| DeviceCode::imsi(&s)
            .ok()
            .map(IdentifierValue::Imsi)),
        "89[0-9]{16,20}".prop_filter_map("iccid", |s| DeviceCode::iccid(&s)
            .ok()
            .map(IdentifierValue::Iccid)),
        "([0-9a-f]{2}:){5}[0-9a-f]{2}".prop_filter_map("mac", |s| DeviceCode::mac(&s)
            .ok()
            .map(IdentifierValue::Mac)),
        (
            select(
                &[
                    IdentifierKind::Username,
                    IdentifierKind::AccountId,
                    IdentifierKind::DeviceId,
                    IdentifierKind::PaymentReference,
                    IdentifierKind::CryptoAddress,
                    IdentifierKind::TxHash,
                    IdentifierKind::Other,
                ][..]
            ),
            text()
        )
            .prop_map(|(k, t)| IdentifierValue::Text(k, t)),
    ];
    let connection = (
        field(port()),
        field(choice::<Protocol>()),
        field(choice::<Direction>()),
    )
        .prop_map(|(port, protocol, direction)| Connection {
            port,
            protocol,
            direction,
        });
    let ip = (ip_value, field(connection));
    let other = (
        other_value,
        prop_oneof![
            reason().prop_map(Field::NotApplicable),
            reason().prop_map(Field::Unknown)
        ],
    );
    (
        prop_oneof![ip, other],
        field(time_range()),
        field(text()),
        field(long_text()),
    )
        .prop_map(
            |((value, connection), observed, service, note)| Identifier {
                value,
                connection,
                observed,
                service,
                note,
            },
        )
        .boxed()
}

/// A country.
pub fn country() -> impl Strategy<Value = Country> {
    let countries: Vec<PartyCode> = PartyCode::countries().collect();
    select(countries).prop_filter_map("organisation", |p| Country::new(p).ok())
}

fn organisation() -> impl Strategy<Value = PartyCode> {
    select(&["EU", "INTERPOL", "EUROPOL", "EUROJUST"][..])
        .prop_filter_map("not a code", |c| PartyCode::parse(c).ok())
}

fn zone_name() -> impl Strategy<Value = ZoneName> {
    select(ZONES).prop_filter_map("not a zone", |z| ZoneName::parse(z).ok())
}

fn authority_with(party: impl Strategy<Value = PartyCode> + 'static) -> BoxedStrategy<Authority> {
    (
        (
            party,
            text(),
            field(text()),
            field(long_text()),
            field(phone()),
        ),
        (
            field(phone()),
            field(email()),
            field(phone()),
            field(text()),
        ),
        (zone_name(), any::<bool>(), field(choice::<Channel>())),
    )
        .prop_map(
            |(
                (party, organisation, person_in_charge, address, phone),
                (mobile, email, fax, office_hours),
                (time_zone, response_by_expedited_means, preferred_response_channel),
            )| Authority {
                party,
                organisation,
                person_in_charge,
                address,
                phone,
                mobile,
                email,
                fax,
                office_hours,
                time_zone,
                response_by_expedited_means,
                preferred_response_channel,
            },
        )
        .boxed()
}

/// An authority of a country.
pub fn authority() -> impl Strategy<Value = Authority> {
    authority_with(country().prop_map(|c| c.code()))
}

/// An investigative authority: a country or an organisation.
pub fn investigative_authority() -> impl Strategy<Value = Authority> {
    authority_with(prop_oneof![3 => country().prop_map(|c| c.code()), 1 => organisation()])
}

fn requested_authority() -> BoxedStrategy<RequestedAuthority> {
    (country(), text())
        .prop_map(|(party, name)| RequestedAuthority { party, name })
        .boxed()
}

fn contact_person() -> BoxedStrategy<ContactPerson> {
    (
        text(),
        field(text()),
        field(text()),
        field(phone()),
        field(phone()),
        field(email()),
    )
        .prop_map(
            |(name, job_title, function, phone, mobile, email)| ContactPerson {
                name,
                job_title,
                function,
                phone,
                mobile,
                email,
            },
        )
        .boxed()
}

/// An offence.
pub fn offence() -> BoxedStrategy<Offence> {
    let penalty = (text(), field(1u32..=1200)).prop_map(|(text, months)| Penalty { text, months });
    (
        text(),
        text(),
        field(penalty),
        applicable(choice::<ConventionArticle>()),
        field(long_text()),
    )
        .prop_map(
            |(name, legal_provision, max_penalty, convention_offence, description)| Offence {
                name,
                legal_provision,
                max_penalty,
                convention_offence,
                description,
            },
        )
        .boxed()
}

/// A provider; `country_known` forces its country to be a value (Art. 30).
pub fn provider(country_known: bool) -> BoxedStrategy<ProviderRef> {
    let country_field = if country_known {
        country().prop_map(Field::Value).boxed()
    } else {
        field(country()).boxed()
    };
    (
        text(),
        field(text()),
        country_field,
        field(long_text()),
        field(text()),
        field(text()),
        field(text()),
    )
        .prop_map(
            |(name, legal_entity, country, address, service, provider_reference, contact)| {
                ProviderRef {
                    name,
                    legal_entity,
                    country,
                    address,
                    service,
                    provider_reference,
                    contact,
                }
            },
        )
        .boxed()
}

fn ticket_id() -> impl Strategy<Value = TicketId> {
    (country(), 2000u16..2100, "[0-9A-HJKMNP-TV-Z]{4,12}")
        .prop_filter_map("not a ticket", |(p, y, c)| {
            TicketId::parse(&format!("{p}-{y}-{c}")).ok()
        })
}

/// A ticket reference (with a ticket id or a counterpart reference, or both).
pub fn ticket_ref() -> BoxedStrategy<TicketRef> {
    let ids = prop_oneof![
        (ticket_id(), field(text())).prop_map(|(t, c)| (Field::Value(t), c)),
        (field(ticket_id()), text()).prop_map(|(t, c)| (t, Field::Value(c))),
    ];
    (
        ids,
        date(),
        choice::<Channel>(),
        long_text(),
        field(long_text()),
    )
        .prop_map(
            |(
                (ticket_id, counterpart_reference),
                date,
                channel,
                requesting_contact,
                executing_contact,
            )| {
                TicketRef {
                    ticket_id,
                    counterpart_reference,
                    date,
                    channel,
                    requesting_contact,
                    executing_contact,
                }
            },
        )
        .boxed()
}

fn document_ref() -> BoxedStrategy<DocumentRef> {
    (
        text(),
        text(),
        choice::<AttachmentKind>(),
        select(&["fr", "en", "ro", "en-GB", "sr-Latn-RS"][..])
            .prop_filter_map("not a tag", |t| LanguageTag::parse(t).ok()),
        field("[0-9a-f]{64}".prop_filter_map("not a digest", |s| Sha256::parse(&s).ok())),
        text(),
        field(date()),
    )
        .prop_map(
            |(id, title, kind, language, sha256, issued_by, issued_at)| DocumentRef {
                id,
                title,
                kind,
                language,
                sha256,
                issued_by,
                issued_at,
            },
        )
        .boxed()
}

fn condition() -> BoxedStrategy<Condition> {
    (choice::<ConditionKind>(), long_text(), field(text()))
        .prop_map(|(kind, text, basis)| Condition { kind, text, basis })
        .boxed()
}

fn official() -> BoxedStrategy<AuthorisingOfficial> {
    (text(), text(), date())
        .prop_map(|(name, function, date)| AuthorisingOfficial {
            name,
            function,
            date,
        })
        .boxed()
}

fn set<C: Choice + std::fmt::Debug + PartialEq>() -> impl Strategy<Value = NonEmpty<C>> {
    prop::sample::subsequence(C::ALL.to_vec(), 1..=C::ALL.len())
        .prop_shuffle()
        .prop_filter_map("empty", NonEmpty::new)
}

fn data_item() -> BoxedStrategy<DataItem> {
    (
        set::<DataCategory>(),
        non_empty(identifier(), 3),
        field(time_range()),
        field(text()),
        long_text(),
    )
        .prop_map(
            |(categories, identifiers, time_range, service, description)| DataItem {
                categories,
                identifiers,
                time_range,
                service,
                description,
            },
        )
        .boxed()
}

fn urgency() -> BoxedStrategy<UrgencyStatement> {
    prop_oneof![
        applicable(long_text())
            .prop_map(|justification| UrgencyStatement::Routine { justification }),
        long_text().prop_map(|justification| UrgencyStatement::Urgent { justification }),
        long_text().prop_map(|justification| UrgencyStatement::Emergency { justification }),
    ]
    .boxed()
}

fn socket_address() -> impl Strategy<Value = SocketAddress> {
    (any::<IpAddr>(), field(port())).prop_map(|(address, port)| SocketAddress { address, port })
}

fn traffic_record() -> BoxedStrategy<TrafficRecord> {
    let asn = || (1u32..u32::MAX - 1).prop_filter_map("reserved", Asn::new);
    (
        date_time_tz(),
        socket_address(),
        socket_address(),
        field(choice::<Protocol>()),
        field(domain()),
        field(asn()),
        field(asn()),
        field(text()),
    )
        .prop_map(
            |(
                at,
                source,
                destination,
                protocol,
                destination_hostname,
                source_asn,
                destination_asn,
                service,
            )| TrafficRecord {
                at,
                source,
                destination,
                protocol,
                destination_hostname,
                source_asn,
                destination_asn,
                service,
            },
        )
        .boxed()
}

/// A valid Art. 29 preservation request.
pub fn preservation_request() -> BoxedStrategy<PreservationRequest> {
    let status = prop_oneof![
        reason().prop_map(|no_previous_ticket| PreservationStatus::New { no_previous_ticket }),
        ticket_ref().prop_map(|previous_ticket| PreservationStatus::Extension { previous_ticket }),
    ];
    let custodian = (field(non_empty(provider(false), 2)), field(long_text())).prop_map(
        |(providers, location_of_system)| Custodian {
            providers,
            location_of_system,
        },
    );
    let period =
        (60u32..=3650).prop_filter_map("too short", |d| PreservationPeriod::from_days(d).ok());
    (
        (date(), text(), status, requested_authority(), authority()),
        (
            field(contact_person()),
            field(investigative_authority()),
            field(text()),
            urgency(),
            any::<bool>(),
            any::<bool>(),
        ),
        (
            non_empty(offence(), 2),
            long_text(),
            non_empty(data_item(), 2),
            long_text(),
            custodian,
            long_text(),
        ),
        (
            field(date()),
            field(choice::<Channel>()),
            any::<bool>(),
            applicable(period),
            official(),
        ),
    )
        .prop_map(
            |(
                (
                    request_date,
                    requesting_reference,
                    request_status,
                    requested_authority,
                    requesting_authority,
                ),
                (
                    confirmation_contact,
                    investigative_authority,
                    prosecution_or_court,
                    urgency,
                    request_confidential,
                    no_user_notification,
                ),
                (
                    offences,
                    summary_of_facts,
                    data_items,
                    relationship_to_offence,
                    custodian,
                    necessity,
                ),
                (
                    planned_mla_by,
                    planned_mla_channel,
                    request_partial_traffic_disclosure,
                    requested_period,
                    authorising_official,
                ),
            )| PreservationRequest {
                request_date,
                requesting_reference,
                request_status,
                requested_authority,
                requesting_authority,
                confirmation_contact,
                investigative_authority,
                prosecution_or_court,
                urgency,
                request_confidential,
                no_user_notification,
                offences,
                summary_of_facts,
                data_items,
                relationship_to_offence,
                custodian,
                necessity,
                mla_intention: MlaIntention,
                planned_mla_by,
                planned_mla_channel,
                request_partial_traffic_disclosure,
                requested_period,
                authorising_official,
            },
        )
        .boxed()
}

/// A valid Art. 30 disclosure.
pub fn traffic_disclosure() -> BoxedStrategy<TrafficDisclosure> {
    let withholding = applicable((choice::<Art30Ground>(), long_text()).prop_map(
        |(ground, explanation)| Withholding {
            ground,
            explanation,
        },
    ));
    (
        (date(), text(), ticket_ref(), data_item()),
        (
            non_empty(provider(true), 2),
            non_empty(traffic_record(), 3),
            field(long_text()),
            field(any::<bool>()),
            withholding,
            field(non_empty(condition(), 2)),
            official(),
        ),
    )
        .prop_map(
            |(
                (disclosure_date, disclosing_reference, preservation_ticket, communication),
                (
                    other_state_providers,
                    traffic_data_disclosed,
                    path_description,
                    looped_back_to_requester,
                    withholding,
                    conditions,
                    authorising_official,
                ),
            )| TrafficDisclosure {
                disclosure_date,
                disclosing_reference,
                preservation_ticket,
                communication,
                other_state_providers,
                traffic_data_disclosed,
                path_description,
                looped_back_to_requester,
                withholding,
                conditions,
                authorising_official,
            },
        )
        .boxed()
}

/// A valid Art. 31 request.
pub fn subscriber_info_request() -> BoxedStrategy<SubscriberInfoRequest> {
    let status = prop_oneof![
        (reason(), reason()).prop_map(|(no_previous_mla, no_previous_preservation)| {
            SubscriberRequestStatus::New {
                no_previous_mla,
                no_previous_preservation,
            }
        }),
        (ticket_ref(), applicable(ticket_ref())).prop_map(
            |(previous_mla, previous_preservation)| {
                SubscriberRequestStatus::FollowUpMla {
                    previous_mla,
                    previous_preservation,
                }
            }
        ),
        (ticket_ref(), applicable(ticket_ref())).prop_map(
            |(previous_preservation, previous_mla)| {
                SubscriberRequestStatus::FollowUpPreservation {
                    previous_preservation,
                    previous_mla,
                }
            }
        ),
    ];
    let office =
        || (text(), field(text())).prop_map(|(name, case_number)| CaseOffice { name, case_number });
    (
        (date(), text(), status, requested_authority(), authority()),
        (
            field(contact_person()),
            field(investigative_authority()),
            field(office()),
            field(office()),
            field(non_empty(document_ref(), 2)),
            field(long_text()),
        ),
        (
            urgency(),
            any::<bool>(),
            non_empty(offence(), 2),
            long_text(),
            non_empty(identifier(), 3),
            set::<SubscriberElement>(),
        ),
        (
            long_text(),
            field(long_text()),
            long_text(),
            field(non_empty(condition(), 2)),
            field(choice::<Channel>()),
            official(),
        ),
    )
        .prop_map(
            |(
                (
                    request_date,
                    requesting_reference,
                    request_status,
                    requested_authority,
                    requesting_authority,
                ),
                (
                    confirmation_contact,
                    investigative_authority,
                    prosecution_office,
                    court,
                    judicial_decisions,
                    domestic_legal_basis,
                ),
                (
                    urgency,
                    request_confidential,
                    offences,
                    summary_of_facts,
                    subscriber_targets,
                    elements_requested,
                ),
                (
                    relevance,
                    procedures_requested,
                    use_limitation,
                    conditions,
                    results_channel,
                    authorising_official,
                ),
            )| SubscriberInfoRequest {
                request_date,
                requesting_reference,
                request_status,
                requested_authority,
                requesting_authority,
                confirmation_contact,
                investigative_authority,
                prosecution_office,
                court,
                judicial_decisions,
                domestic_legal_basis,
                urgency,
                request_confidential,
                offences,
                summary_of_facts,
                subscriber_targets,
                elements_requested,
                relevance,
                procedures_requested,
                use_limitation,
                conditions,
                results_channel,
                authorising_official,
            },
        )
        .boxed()
}

/// A valid Art. 35 request.
pub fn assistance_request() -> BoxedStrategy<AssistanceRequest> {
    (
        (
            date(),
            text(),
            requested_authority(),
            authority(),
            choice::<AssistanceType>(),
        ),
        (
            long_text(),
            field(long_text()),
            field(non_empty(identifier(), 3)),
            field(non_empty(offence(), 2)),
            field(instant()),
        ),
        (urgency(), any::<bool>(), official()),
    )
        .prop_map(
            |(
                (
                    request_date,
                    requesting_reference,
                    requested_authority,
                    requesting_authority,
                    assistance_type,
                ),
                (question, context, identifiers, offences, answer_needed_by),
                (urgency, request_confidential, authorising_official),
            )| AssistanceRequest {
                request_date,
                requesting_reference,
                requested_authority,
                requesting_authority,
                assistance_type,
                question,
                context,
                identifiers,
                offences,
                answer_needed_by,
                urgency,
                request_confidential,
                authorising_official,
            },
        )
        .boxed()
}

/// A valid document of any kind.
pub fn document() -> impl Strategy<Value = Document> {
    prop_oneof![
        preservation_request().prop_map(Document::Art29),
        traffic_disclosure().prop_map(Document::Art30),
        subscriber_info_request().prop_map(Document::Art31),
        assistance_request().prop_map(Document::Art35),
    ]
}
