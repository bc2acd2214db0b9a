//! From typed documents to views, section by section as template-sections.md lists them.
//!
//! Each `*_view` function prints every section of its template, in order, with the template's
//! number and heading (catalogue keys `art29-s1` … `art35-s8`). Items of the model that the
//! template has no section for are placed where a reader looks for them, and said so here:
//!
//! * Art. 29: `prosecution_or_court` in §7 (the Art. 31 template's §8 by analogy);
//!   `requested_period` in §13 (necessity and retention period).
//! * Art. 31: `procedures_requested` and `results_channel` in §14; `judicial_decisions` listed
//!   in §8 and described in full in §17 (Annexes).
//! * Art. 30 and Art. 35: their section lists have no date, reference or authorisation section;
//!   these are printed in the identifying lines under the title. Art. 35 `offences` are part of
//!   §5 (context).
//!
//! A field without a value prints its statement ("Not applicable — reason", "Unknown — reason");
//! a section whose whole content does not apply prints that one statement.

use cp247_domain::{Channel, PartyCode, Urgency};
use cp247_forms::field::{Applicable, Field, NonEmpty};
use cp247_forms::shared::{
    AuthorisingOfficial, Authority, CaseOffice, Choice, Condition, ContactPerson, DataItem,
    DateTimeTz, DocumentRef, Identifier, IdentifierValue, Offence, ProviderRef, RequestedAuthority,
    SocketAddress, TicketRef, TimeRange, TrafficRecord,
};
use cp247_forms::{
    AssistanceRequest, Document, PreservationRequest, PreservationStatus, SubscriberInfoRequest,
    SubscriberRequestStatus, TrafficDisclosure, UrgencyStatement,
};
use cp247_i18n::{Lang, text, text_args};
use jiff::civil::Date;

use crate::format;
use crate::view::{DocumentView, Row, SectionView, Value};

/// The view of `doc` in `lang`.
pub fn view(doc: &Document, lang: Lang) -> DocumentView {
    match doc {
        Document::Art29(d) => art29(d, lang),
        Document::Art30(d) => art30(d, lang),
        Document::Art31(d) => art31(d, lang),
        Document::Art35(d) => art35(d, lang),
    }
}

/// The document's own date: the date of the request or of the disclosure.
pub fn document_date(doc: &Document) -> Date {
    match doc {
        Document::Art29(d) => d.request_date,
        Document::Art30(d) => d.disclosure_date,
        Document::Art31(d) => d.request_date,
        Document::Art35(d) => d.request_date,
    }
}

/// Builds the rows of a view in one language.
struct M {
    lang: Lang,
}

impl M {
    fn t(&self, key: &str) -> String {
        text(self.lang, key)
    }

    fn row(&self, key: &str, value: Value) -> Row {
        Row::new(self.t(key), value)
    }

    fn text(&self, s: &str) -> Value {
        Value::text(self.lang, s)
    }

    fn long(&self, s: &str) -> Value {
        Value::long(self.lang, s)
    }

    fn date(&self, d: Date) -> Value {
        Value::Text(format::date(d))
    }

    fn yes_no(&self, b: bool) -> Value {
        Value::yes_no(self.lang, b)
    }

    fn party(&self, p: PartyCode) -> Value {
        Value::Text(p.as_str().to_owned())
    }

    /// The catalogue's name for an enumeration value: `<prefix>-<wire name with dashes>`.
    fn choice<C: Choice>(&self, prefix: &str, c: C) -> String {
        self.t(&choice_key(prefix, c.as_str()))
    }

    fn channel(&self, c: Channel) -> Value {
        Value::Text(self.choice("channel", c))
    }

    fn urgency(&self, u: Urgency) -> Value {
        Value::Text(self.t(&choice_key("urgency", u.as_str())))
    }

    /// A [`Field`]: its value through `f`, or its statement.
    fn field<T>(&self, f: &Field<T>, map: impl FnOnce(&T) -> Value) -> Value {
        match f {
            Field::Value(v) => map(v),
            Field::NotApplicable(r) => Value::not_applicable(self.lang, r.as_str()),
            Field::Unknown(r) => Value::unknown(self.lang, r.as_str()),
        }
    }

    /// An [`Applicable`]: its value through `f`, or its statement.
    fn applicable<T>(&self, a: &Applicable<T>, map: impl FnOnce(&T) -> Value) -> Value {
        match a {
            Applicable::Value(v) => map(v),
            Applicable::NotApplicable(r) => Value::not_applicable(self.lang, r.as_str()),
        }
    }

    fn list<T>(&self, items: &NonEmpty<T>, map: impl Fn(&T) -> Value) -> Value {
        Value::list(self.lang, items.iter().map(map).collect())
    }

    fn record(&self, rows: Vec<Row>) -> Value {
        Value::record(self.lang, rows)
    }

    /// A section whose content is the rows of a [`Field`]'s value, or its statement.
    fn section_of<T>(
        &self,
        number: u8,
        heading: String,
        f: &Field<T>,
        rows: impl FnOnce(&T) -> Vec<Row>,
    ) -> SectionView {
        let rows = match f {
            Field::Value(v) => rows(v),
            Field::NotApplicable(_) | Field::Unknown(_) => {
                vec![self.row(
                    "render-content",
                    self.field(f, |_| Value::nothing_recorded(self.lang)),
                )]
            }
        };
        SectionView::new(self.lang, number, heading, rows)
    }

    fn section(&self, number: u8, heading: String, rows: Vec<Row>) -> SectionView {
        SectionView::new(self.lang, number, heading, rows)
    }

    // ----- shared records -------------------------------------------------------------------

    fn authority_rows(&self, a: &Authority) -> Vec<Row> {
        vec![
            self.row("label-party", self.party(a.party)),
            self.row("label-organisation", self.text(a.organisation.as_str())),
            self.row(
                "label-person-in-charge",
                self.field(&a.person_in_charge, |v| self.text(v.as_str())),
            ),
            self.row(
                "label-address",
                self.field(&a.address, |v| self.long(v.as_str())),
            ),
            self.row(
                "label-phone",
                self.field(&a.phone, |v| self.text(v.as_str())),
            ),
            self.row(
                "label-mobile",
                self.field(&a.mobile, |v| self.text(v.as_str())),
            ),
            self.row(
                "label-email",
                self.field(&a.email, |v| self.text(v.as_str())),
            ),
            self.row("label-fax", self.field(&a.fax, |v| self.text(v.as_str()))),
            self.row(
                "label-office-hours",
                self.field(&a.office_hours, |v| self.text(v.as_str())),
            ),
            self.row("label-time-zone", self.text(a.time_zone.as_str())),
            self.row(
                "label-expedited-response",
                self.yes_no(a.response_by_expedited_means),
            ),
            self.row(
                "label-preferred-channel",
                self.field(&a.preferred_response_channel, |c| self.channel(*c)),
            ),
        ]
    }

    fn requested_rows(&self, r: &RequestedAuthority) -> Vec<Row> {
        vec![
            self.row("label-requested-party", self.party(r.party.code())),
            self.row("label-contact-point", self.text(r.name.as_str())),
        ]
    }

    fn contact_rows(&self, c: &ContactPerson) -> Vec<Row> {
        vec![
            self.row("label-name", self.text(c.name.as_str())),
            self.row(
                "label-job-title",
                self.field(&c.job_title, |v| self.text(v.as_str())),
            ),
            self.row(
                "label-function",
                self.field(&c.function, |v| self.text(v.as_str())),
            ),
            self.row(
                "label-phone",
                self.field(&c.phone, |v| self.text(v.as_str())),
            ),
            self.row(
                "label-mobile",
                self.field(&c.mobile, |v| self.text(v.as_str())),
            ),
            self.row(
                "label-email",
                self.field(&c.email, |v| self.text(v.as_str())),
            ),
        ]
    }

    fn offence(&self, o: &Offence) -> Value {
        self.record(vec![
            self.row("label-offence", self.text(o.name.as_str())),
            self.row(
                "label-legal-provision",
                self.text(o.legal_provision.as_str()),
            ),
            self.row(
                "label-max-penalty",
                self.field(&o.max_penalty, |p| match &p.months {
                    Field::Value(m) => Value::Text(text_args(
                        self.lang,
                        "value-penalty-months",
                        &[("penalty", p.text.as_str()), ("months", &m.to_string())],
                    )),
                    Field::NotApplicable(_) | Field::Unknown(_) => self.text(p.text.as_str()),
                }),
            ),
            self.row(
                "label-convention-offence",
                self.applicable(&o.convention_offence, |a| {
                    Value::Text(self.choice("convention", *a))
                }),
            ),
            self.row(
                "label-description",
                self.field(&o.description, |v| self.long(v.as_str())),
            ),
        ])
    }

    fn provider(&self, p: &ProviderRef) -> Value {
        self.record(vec![
            self.row("label-provider", self.text(p.name.as_str())),
            self.row(
                "label-legal-entity",
                self.field(&p.legal_entity, |v| self.text(v.as_str())),
            ),
            self.row(
                "label-country",
                self.field(&p.country, |c| self.party(c.code())),
            ),
            self.row(
                "label-address",
                self.field(&p.address, |v| self.long(v.as_str())),
            ),
            self.row(
                "label-service",
                self.field(&p.service, |v| self.text(v.as_str())),
            ),
            self.row(
                "label-provider-reference",
                self.field(&p.provider_reference, |v| self.text(v.as_str())),
            ),
            self.row(
                "label-le-contact",
                self.field(&p.contact, |v| self.text(v.as_str())),
            ),
        ])
    }

    fn ticket_rows(&self, t: &TicketRef) -> Vec<Row> {
        vec![
            self.row(
                "label-ticket",
                self.field(&t.ticket_id, |v| self.text(&v.to_string())),
            ),
            self.row(
                "label-counterpart-reference",
                self.field(&t.counterpart_reference, |v| self.text(v.as_str())),
            ),
            self.row("label-date", self.date(t.date)),
            self.row("label-channel", self.channel(t.channel)),
            self.row(
                "label-requesting-contact",
                self.long(t.requesting_contact.as_str()),
            ),
            self.row(
                "label-executing-contact",
                self.field(&t.executing_contact, |v| self.long(v.as_str())),
            ),
        ]
    }

    fn document_ref(&self, d: &DocumentRef) -> Value {
        self.record(vec![
            self.row("label-document-id", self.text(d.id.as_str())),
            self.row("label-title", self.text(d.title.as_str())),
            self.row("label-kind", Value::Text(self.choice("attachment", d.kind))),
            self.row("label-language", self.text(d.language.as_str())),
            self.row(
                "label-sha256",
                self.field(&d.sha256, |v| self.text(v.as_str())),
            ),
            self.row("label-issued-by", self.text(d.issued_by.as_str())),
            self.row(
                "label-issued-on",
                self.field(&d.issued_at, |v| self.date(*v)),
            ),
        ])
    }

    fn condition(&self, c: &Condition) -> Value {
        self.record(vec![
            self.row("label-kind", Value::Text(self.choice("condition", c.kind))),
            self.row("label-condition", self.long(c.text.as_str())),
            self.row(
                "label-basis",
                self.field(&c.basis, |v| self.text(v.as_str())),
            ),
        ])
    }

    fn conditions(&self, f: &Field<NonEmpty<Condition>>) -> Value {
        self.field(f, |cs| self.list(cs, |c| self.condition(c)))
    }

    fn official_rows(&self, o: &AuthorisingOfficial) -> Vec<Row> {
        vec![
            self.row("label-name", self.text(o.name.as_str())),
            self.row("label-function", self.text(o.function.as_str())),
            self.row("label-date", self.date(o.date)),
        ]
    }

    fn official_line(&self, o: &AuthorisingOfficial) -> Value {
        Value::Text(text_args(
            self.lang,
            "value-authorised-by",
            &[
                ("name", o.name.as_str()),
                ("function", o.function.as_str()),
                ("date", &format::date(o.date)),
            ],
        ))
    }

    /// An observed instant: the instant with its offset and zone, how it was recorded, and
    /// whose clock it came from.
    fn datetime(&self, d: &DateTimeTz) -> Value {
        let mut rows = vec![self.row(
            "label-instant",
            Value::Text(format::instant(&d.instant, d.zone.value())),
        )];
        if !d.zone.is_value() {
            rows.push(self.row(
                "label-time-zone",
                self.field(&d.zone, |_| Value::nothing_recorded(self.lang)),
            ));
        }
        rows.push(self.row(
            "label-as-recorded",
            self.field(&d.original_text, |v| self.text(v.as_str())),
        ));
        rows.push(self.row(
            "label-clock",
            Value::Text(self.choice("clock", d.source_clock)),
        ));
        self.record(rows)
    }

    fn time_range(&self, r: &TimeRange) -> Value {
        if r.end.value() == Some(&r.start) {
            return self.record(vec![self.row("label-at", self.datetime(&r.start))]);
        }
        self.record(vec![
            self.row("label-from", self.datetime(&r.start)),
            self.row("label-to", self.field(&r.end, |e| self.datetime(e))),
        ])
    }

    fn identifier_value(&self, v: &IdentifierValue) -> Value {
        match v {
            IdentifierValue::DomainName(d) if d.unicode() != d.ascii() => Value::Text(format!(
                "{} ({})",
                d.as_written(),
                if d.as_written() == d.ascii() {
                    d.unicode()
                } else {
                    d.ascii()
                }
            )),
            other => self.text(&other.to_text()),
        }
    }

    fn identifier(&self, i: &Identifier) -> Value {
        let mut rows = vec![
            self.row(
                "label-kind",
                Value::Text(self.choice("identifier", i.value.kind())),
            ),
            self.row("label-value", self.identifier_value(&i.value)),
        ];
        if i.value.ip().is_some() || i.connection.is_value() {
            rows.push(self.row(
                "label-connection",
                self.field(&i.connection, |c| {
                    self.record(vec![
                        self.row(
                            "label-port",
                            self.field(&c.port, |p| Value::Text(p.to_string())),
                        ),
                        self.row(
                            "label-protocol",
                            self.field(&c.protocol, |p| Value::Text(self.choice("protocol", *p))),
                        ),
                        self.row(
                            "label-direction",
                            self.field(&c.direction, |d| Value::Text(self.choice("direction", *d))),
                        ),
                    ])
                }),
            ));
        }
        rows.push(self.row(
            "label-observed",
            self.field(&i.observed, |r| self.time_range(r)),
        ));
        rows.push(self.row(
            "label-service",
            self.field(&i.service, |v| self.text(v.as_str())),
        ));
        rows.push(self.row("label-note", self.field(&i.note, |v| self.long(v.as_str()))));
        self.record(rows)
    }

    fn identifiers(&self, ids: &NonEmpty<Identifier>) -> Value {
        self.list(ids, |i| self.identifier(i))
    }

    fn data_item_rows(&self, d: &DataItem) -> Vec<Row> {
        let categories: Vec<String> = d
            .categories
            .iter()
            .map(|c| self.choice("category", *c))
            .collect();
        vec![
            self.row("label-categories", Value::Text(categories.join(", "))),
            self.row("label-identifiers", self.identifiers(&d.identifiers)),
            self.row(
                "label-period",
                self.field(&d.time_range, |r| self.time_range(r)),
            ),
            self.row(
                "label-service",
                self.field(&d.service, |v| self.text(v.as_str())),
            ),
            self.row("label-description", self.long(d.description.as_str())),
        ]
    }

    fn socket(&self, s: &SocketAddress) -> Value {
        match &s.port {
            Field::Value(p) => Value::Text(match s.address {
                std::net::IpAddr::V4(a) => format!("{a}:{p}"),
                std::net::IpAddr::V6(a) => format!("[{a}]:{p}"),
            }),
            Field::NotApplicable(_) | Field::Unknown(_) => self.record(vec![
                self.row("label-address", Value::Text(s.address.to_string())),
                self.row(
                    "label-port",
                    self.field(&s.port, |_| Value::nothing_recorded(self.lang)),
                ),
            ]),
        }
    }

    fn traffic_record(&self, r: &TrafficRecord) -> Value {
        self.record(vec![
            self.row("label-at", self.datetime(&r.at)),
            self.row("label-source", self.socket(&r.source)),
            self.row("label-destination", self.socket(&r.destination)),
            self.row(
                "label-protocol",
                self.field(&r.protocol, |p| Value::Text(self.choice("protocol", *p))),
            ),
            self.row(
                "label-destination-host",
                self.field(&r.destination_hostname, |d| {
                    self.identifier_value(&IdentifierValue::DomainName(d.clone()))
                }),
            ),
            self.row(
                "label-source-asn",
                self.field(&r.source_asn, |a| Value::Text(format!("AS{}", a.get()))),
            ),
            self.row(
                "label-destination-asn",
                self.field(&r.destination_asn, |a| {
                    Value::Text(format!("AS{}", a.get()))
                }),
            ),
            self.row(
                "label-service",
                self.field(&r.service, |v| self.text(v.as_str())),
            ),
        ])
    }

    fn case_office(&self, c: &CaseOffice) -> Value {
        self.record(vec![
            self.row("label-name", self.text(c.name.as_str())),
            self.row(
                "label-case-number",
                self.field(&c.case_number, |v| self.text(v.as_str())),
            ),
        ])
    }

    fn urgency_rows(&self, u: &UrgencyStatement, confidential: bool) -> Vec<Row> {
        vec![
            self.row("label-urgency", self.urgency(u.level())),
            self.row(
                "label-urgency-justification",
                self.applicable(&u.justification(), |j| self.long(j.as_str())),
            ),
            self.row("label-confidential", self.yes_no(confidential)),
        ]
    }

    fn offences_rows(&self, offences: &NonEmpty<Offence>, facts: &str) -> Vec<Row> {
        vec![
            self.row("label-offences", self.list(offences, |o| self.offence(o))),
            self.row("label-summary-of-facts", self.long(facts)),
        ]
    }

    fn meta(
        &self,
        reference: &str,
        from: Option<&Authority>,
        to: Option<&RequestedAuthority>,
        urgency: Option<Urgency>,
    ) -> Vec<Row> {
        let mut rows = vec![self.row("label-reference", self.text(reference))];
        if let Some(a) = from {
            rows.push(self.row(
                "label-from-party",
                Value::Text(format!(
                    "{} — {}",
                    a.party.as_str(),
                    a.organisation.as_str()
                )),
            ));
        }
        if let Some(r) = to {
            rows.push(self.row(
                "label-to-party",
                Value::Text(format!("{} — {}", r.party.as_str(), r.name.as_str())),
            ));
        }
        if let Some(u) = urgency {
            rows.push(self.row("label-urgency", self.urgency(u)));
        }
        rows
    }

    fn heading(&self, kind: &str, n: u8) -> String {
        self.t(&format!("{kind}-s{n}"))
    }

    fn frame(
        &self,
        kind: &str,
        reference: &str,
        meta: Vec<Row>,
        sections: Vec<SectionView>,
    ) -> DocumentView {
        DocumentView {
            lang: self.lang,
            title: self.t(&format!("{kind}-title")),
            basis: self.t(&format!("{kind}-basis")),
            meta,
            sections,
            footer: self.t("render-footer"),
            running_head: format!("{} — {}", self.t(&format!("{kind}-short")), reference),
        }
    }
}

/// The catalogue key of an enumeration value: `<prefix>-<wire name, underscores as dashes>`.
pub fn choice_key(prefix: &str, wire: &str) -> String {
    format!("{prefix}-{}", wire.replace('_', "-"))
}

fn art29(d: &PreservationRequest, lang: Lang) -> DocumentView {
    let m = M { lang };
    let h = |n| m.heading("art29", n);
    let status = match &d.request_status {
        PreservationStatus::New { .. } => m.t("value-status-new"),
        PreservationStatus::Extension { .. } => m.t("value-status-extension"),
    };
    let previous = match d.request_status.previous_ticket() {
        Applicable::Value(t) => m.record(m.ticket_rows(t)),
        Applicable::NotApplicable(r) => Value::not_applicable(lang, r.as_str()),
    };
    let items: Vec<Row> = d
        .data_items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            Row::new(
                text_args(lang, "label-item-n", &[("n", &(i + 1).to_string())]),
                m.record(m.data_item_rows(item)),
            )
        })
        .collect();
    let sections = vec![
        m.section(
            1,
            h(1),
            vec![m.row("label-request-date", m.date(d.request_date))],
        ),
        m.section(
            2,
            h(2),
            vec![m.row("label-reference", m.text(d.requesting_reference.as_str()))],
        ),
        m.section(
            3,
            h(3),
            vec![
                m.row("label-status", Value::Text(status)),
                m.row("label-previous-request", previous),
            ],
        ),
        m.section(4, h(4), m.requested_rows(&d.requested_authority)),
        m.section(5, h(5), m.authority_rows(&d.requesting_authority)),
        m.section_of(6, h(6), &d.confirmation_contact, |c| m.contact_rows(c)),
        m.section(
            7,
            h(7),
            vec![
                m.row(
                    "label-investigative-authority",
                    m.field(&d.investigative_authority, |a| {
                        m.record(m.authority_rows(a))
                    }),
                ),
                m.row(
                    "label-prosecution-or-court",
                    m.field(&d.prosecution_or_court, |v| m.text(v.as_str())),
                ),
            ],
        ),
        m.section(8, h(8), {
            let mut rows = m.urgency_rows(&d.urgency, d.request_confidential);
            rows.push(m.row(
                "label-no-user-notification",
                m.yes_no(d.no_user_notification),
            ));
            rows
        }),
        m.section(
            9,
            h(9),
            m.offences_rows(&d.offences, d.summary_of_facts.as_str()),
        ),
        m.section(10, h(10), items),
        m.section(
            11,
            h(11),
            vec![m.row(
                "label-relationship",
                m.long(d.relationship_to_offence.as_str()),
            )],
        ),
        m.section(
            12,
            h(12),
            vec![
                m.row(
                    "label-providers",
                    m.field(&d.custodian.providers, |ps| m.list(ps, |p| m.provider(p))),
                ),
                m.row(
                    "label-location-of-system",
                    m.field(&d.custodian.location_of_system, |v| m.long(v.as_str())),
                ),
            ],
        ),
        m.section(
            13,
            h(13),
            vec![
                m.row("label-necessity", m.long(d.necessity.as_str())),
                m.row(
                    "label-requested-period",
                    m.applicable(&d.requested_period, |p| {
                        Value::Text(text_args(
                            lang,
                            "value-period-days",
                            &[("days", &p.days().to_string())],
                        ))
                    }),
                ),
            ],
        ),
        m.section(
            14,
            h(14),
            vec![
                m.row("label-statement", Value::Text(m.t("value-mla-intention"))),
                m.row(
                    "label-planned-mla-by",
                    m.field(&d.planned_mla_by, |v| m.date(*v)),
                ),
                m.row(
                    "label-planned-mla-channel",
                    m.field(&d.planned_mla_channel, |c| m.channel(*c)),
                ),
            ],
        ),
        m.section(
            15,
            h(15),
            vec![m.row(
                "label-art30-requested",
                Value::Text(m.t(if d.request_partial_traffic_disclosure {
                    "value-art30-requested"
                } else {
                    "value-art30-not-requested"
                })),
            )],
        ),
        m.section(16, h(16), m.official_rows(&d.authorising_official)),
    ];
    let meta = m.meta(
        d.requesting_reference.as_str(),
        Some(&d.requesting_authority),
        Some(&d.requested_authority),
        Some(d.urgency.level()),
    );
    m.frame("art29", d.requesting_reference.as_str(), meta, sections)
}

fn art30(d: &TrafficDisclosure, lang: Lang) -> DocumentView {
    let m = M { lang };
    let h = |n| m.heading("art30", n);
    let sections = vec![
        m.section(1, h(1), m.ticket_rows(&d.preservation_ticket)),
        m.section(2, h(2), m.data_item_rows(&d.communication)),
        m.section(
            3,
            h(3),
            vec![m.row(
                "label-providers",
                m.list(&d.other_state_providers, |p| m.provider(p)),
            )],
        ),
        m.section(
            4,
            h(4),
            vec![m.row(
                "label-traffic-records",
                m.list(&d.traffic_data_disclosed, |r| m.traffic_record(r)),
            )],
        ),
        m.section(
            5,
            h(5),
            vec![
                m.row(
                    "label-path",
                    m.field(&d.path_description, |v| m.long(v.as_str())),
                ),
                m.row(
                    "label-looped-back",
                    m.field(&d.looped_back_to_requester, |b| m.yes_no(*b)),
                ),
            ],
        ),
        m.section(
            6,
            h(6),
            match &d.withholding {
                Applicable::Value(w) => vec![
                    m.row("label-ground", Value::Text(m.choice("ground", w.ground))),
                    m.row("label-explanation", m.long(w.explanation.as_str())),
                ],
                Applicable::NotApplicable(r) => {
                    vec![m.row("label-withheld", Value::not_applicable(lang, r.as_str()))]
                }
            },
        ),
        m.section(
            7,
            h(7),
            vec![m.row("label-conditions", m.conditions(&d.conditions))],
        ),
    ];
    let meta = vec![
        m.row("label-reference", m.text(d.disclosing_reference.as_str())),
        m.row("label-disclosure-date", m.date(d.disclosure_date)),
        m.row(
            "label-authorised-by",
            m.official_line(&d.authorising_official),
        ),
    ];
    m.frame("art30", d.disclosing_reference.as_str(), meta, sections)
}

fn art31(d: &SubscriberInfoRequest, lang: Lang) -> DocumentView {
    let m = M { lang };
    let h = |n| m.heading("art31", n);
    let status = match &d.request_status {
        SubscriberRequestStatus::New { .. } => m.t("value-status-new"),
        SubscriberRequestStatus::FollowUpMla { .. } => m.t("value-status-follow-up-mla"),
        SubscriberRequestStatus::FollowUpPreservation { .. } => {
            m.t("value-status-follow-up-preservation")
        }
    };
    let ticket_section = |n: u8, t: Applicable<&cp247_forms::shared::TicketRef>| match t {
        Applicable::Value(t) => m.section(n, h(n), m.ticket_rows(t)),
        Applicable::NotApplicable(r) => SectionView::not_applicable(lang, n, h(n), r.as_str()),
    };
    let decisions_short = m.field(&d.judicial_decisions, |ds| {
        m.list(ds, |doc| {
            Value::Text(text_args(
                lang,
                "value-see-annex",
                &[("id", doc.id.as_str()), ("title", doc.title.as_str())],
            ))
        })
    });
    let elements: Vec<Value> = d
        .elements_requested
        .iter()
        .map(|e| Value::Text(m.choice("element", *e)))
        .collect();
    let sections = vec![
        m.section(
            1,
            h(1),
            vec![m.row("label-request-date", m.date(d.request_date))],
        ),
        m.section(
            2,
            h(2),
            vec![m.row("label-reference", m.text(d.requesting_reference.as_str()))],
        ),
        m.section(3, h(3), vec![m.row("label-status", Value::Text(status))]),
        m.section(4, h(4), m.requested_rows(&d.requested_authority)),
        m.section(5, h(5), m.authority_rows(&d.requesting_authority)),
        m.section_of(6, h(6), &d.confirmation_contact, |c| m.contact_rows(c)),
        m.section(
            7,
            h(7),
            vec![m.row(
                "label-investigative-authority",
                m.field(&d.investigative_authority, |a| {
                    m.record(m.authority_rows(a))
                }),
            )],
        ),
        m.section(
            8,
            h(8),
            vec![
                m.row(
                    "label-prosecution-office",
                    m.field(&d.prosecution_office, |c| m.case_office(c)),
                ),
                m.row("label-court", m.field(&d.court, |c| m.case_office(c))),
                m.row("label-decisions", decisions_short),
            ],
        ),
        ticket_section(9, d.request_status.previous_mla()),
        ticket_section(10, d.request_status.previous_preservation()),
        m.section(
            11,
            h(11),
            vec![m.row(
                "label-domestic-legal-basis",
                m.field(&d.domestic_legal_basis, |v| m.long(v.as_str())),
            )],
        ),
        m.section(
            12,
            h(12),
            m.urgency_rows(&d.urgency, d.request_confidential),
        ),
        m.section(
            13,
            h(13),
            m.offences_rows(&d.offences, d.summary_of_facts.as_str()),
        ),
        m.section(
            14,
            h(14),
            vec![
                m.row("label-identifiers", m.identifiers(&d.subscriber_targets)),
                m.row("label-elements-requested", Value::list(lang, elements)),
                m.row(
                    "label-dynamic-ip",
                    Value::Text(m.t(if d.is_dynamic_ip_resolution() {
                        "value-dynamic-ip-yes"
                    } else {
                        "value-dynamic-ip-no"
                    })),
                ),
                m.row(
                    "label-procedures-requested",
                    m.field(&d.procedures_requested, |v| m.long(v.as_str())),
                ),
                m.row(
                    "label-results-channel",
                    m.field(&d.results_channel, |c| m.channel(*c)),
                ),
            ],
        ),
        m.section(
            15,
            h(15),
            vec![m.row("label-relevance", m.long(d.relevance.as_str()))],
        ),
        m.section(
            16,
            h(16),
            vec![
                m.row("label-use-limitation", m.long(d.use_limitation.as_str())),
                m.row("label-conditions", m.conditions(&d.conditions)),
            ],
        ),
        m.section(
            17,
            h(17),
            vec![m.row(
                "label-annexes",
                m.field(&d.judicial_decisions, |ds| {
                    m.list(ds, |doc| m.document_ref(doc))
                }),
            )],
        ),
        m.section(18, h(18), m.official_rows(&d.authorising_official)),
    ];
    let meta = m.meta(
        d.requesting_reference.as_str(),
        Some(&d.requesting_authority),
        Some(&d.requested_authority),
        Some(d.urgency.level()),
    );
    m.frame("art31", d.requesting_reference.as_str(), meta, sections)
}

fn art35(d: &AssistanceRequest, lang: Lang) -> DocumentView {
    let m = M { lang };
    let h = |n| m.heading("art35", n);
    let sections = vec![
        m.section(
            1,
            h(1),
            vec![
                m.row("label-request-date", m.date(d.request_date)),
                m.row("label-reference", m.text(d.requesting_reference.as_str())),
            ],
        ),
        m.section(
            2,
            h(2),
            vec![
                m.row(
                    "label-requesting-contact-point",
                    m.record(m.authority_rows(&d.requesting_authority)),
                ),
                m.row(
                    "label-requested-contact-point",
                    m.record(m.requested_rows(&d.requested_authority)),
                ),
            ],
        ),
        m.section(
            3,
            h(3),
            vec![m.row(
                "label-assistance-type",
                Value::Text(m.choice("assistance", d.assistance_type)),
            )],
        ),
        m.section(
            4,
            h(4),
            vec![m.row("label-question", m.long(d.question.as_str()))],
        ),
        m.section(
            5,
            h(5),
            vec![
                m.row("label-context", m.field(&d.context, |v| m.long(v.as_str()))),
                m.row(
                    "label-offences",
                    m.field(&d.offences, |os| m.list(os, |o| m.offence(o))),
                ),
            ],
        ),
        m.section(
            6,
            h(6),
            vec![m.row(
                "label-identifiers",
                m.field(&d.identifiers, |ids| m.identifiers(ids)),
            )],
        ),
        m.section(
            7,
            h(7),
            vec![m.row(
                "label-answer-needed-by",
                m.field(&d.answer_needed_by, |i| {
                    Value::Text(format::instant(i, None))
                }),
            )],
        ),
        m.section(8, h(8), m.urgency_rows(&d.urgency, d.request_confidential)),
    ];
    let mut meta = m.meta(
        d.requesting_reference.as_str(),
        Some(&d.requesting_authority),
        Some(&d.requested_authority),
        Some(d.urgency.level()),
    );
    meta.push(m.row(
        "label-authorised-by",
        m.official_line(&d.authorising_official),
    ));
    m.frame("art35", d.requesting_reference.as_str(), meta, sections)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cp247_forms::shared::{
        AttachmentKind, ConditionKind, ConventionArticle, DataCategory, Direction, IdentifierKind,
        Protocol, SourceClock,
    };
    use cp247_forms::{Art30Ground, AssistanceType, SubscriberElement};

    fn keys<C: Choice>(prefix: &str) -> Vec<String> {
        C::ALL
            .iter()
            .map(|c| choice_key(prefix, c.as_str()))
            .collect()
    }

    #[test]
    fn every_enumeration_value_has_a_name_in_both_languages() {
        let mut all = Vec::new();
        all.extend(keys::<Channel>("channel"));
        all.extend(
            Urgency::ALL
                .iter()
                .map(|u| choice_key("urgency", u.as_str())),
        );
        all.extend(keys::<ConventionArticle>("convention"));
        all.extend(keys::<AttachmentKind>("attachment"));
        all.extend(keys::<ConditionKind>("condition"));
        all.extend(keys::<SourceClock>("clock"));
        all.extend(keys::<IdentifierKind>("identifier"));
        all.extend(keys::<Protocol>("protocol"));
        all.extend(keys::<Direction>("direction"));
        all.extend(keys::<DataCategory>("category"));
        all.extend(keys::<Art30Ground>("ground"));
        all.extend(keys::<SubscriberElement>("element"));
        all.extend(keys::<AssistanceType>("assistance"));
        for kind in ["art29", "art30", "art31", "art35"] {
            for suffix in ["title", "basis", "short"] {
                all.push(format!("{kind}-{suffix}"));
            }
        }
        for key in &all {
            for lang in Lang::ALL {
                assert!(cp247_i18n::has(lang, key), "{key} is missing in {lang}");
            }
        }
    }
}
