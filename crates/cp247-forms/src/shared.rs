//! Types shared by every request document (fields.md §10.1 and §10.13).
//!
//! Every newtype here is valid by construction: its constructor parses and refuses what is not
//! well-formed, and its inner value is private. Types that may hold case data (names, addresses,
//! identifiers, free text) print a redacted `Debug`, so case plaintext never reaches a log.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use cp247_domain::{Channel, Instant, PartyCode, TicketId, ZoneName};
use jiff::civil::Date;

use crate::field::{Applicable, Field, NonEmpty};

/// Longest [`Text`], in characters.
pub const MAX_TEXT_CHARS: usize = 500;
/// Longest [`LongText`], in characters.
pub const MAX_LONG_TEXT_CHARS: usize = 20_000;

/// Why a text is not a [`Text`] or [`LongText`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Empty or only blanks.
    #[error("the text is blank")]
    Blank,
    /// Longer than the limit.
    #[error("the text is longer than {max} characters")]
    TooLong {
        /// The limit, in characters.
        max: usize,
    },
    /// Contains a control character (a one-line text allows none; a long text allows line
    /// breaks and tabs only).
    #[error("the text contains a control character")]
    ControlCharacter,
}

fn check_text(text: &str, max: usize, multiline: bool) -> Result<(), TextError> {
    if text.trim().is_empty() {
        return Err(TextError::Blank);
    }
    if text.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(TextError::ControlCharacter);
    }
    Ok(())
}

/// A one-line text of at most [`MAX_TEXT_CHARS`] characters, never blank.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(String);

impl Text {
    /// Checks `text`.
    pub fn new(text: impl Into<String>) -> Result<Self, TextError> {
        let text = text.into();
        check_text(&text, MAX_TEXT_CHARS, false)?;
        Ok(Self(text))
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A text of several lines (at most [`MAX_LONG_TEXT_CHARS`] characters), never blank.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LongText(String);

impl LongText {
    /// Checks `text`.
    pub fn new(text: impl Into<String>) -> Result<Self, TextError> {
        let text = text.into();
        check_text(&text, MAX_LONG_TEXT_CHARS, true)?;
        Ok(Self(text))
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Display and redacted Debug for a newtype over a `String` in field 0.
macro_rules! text_like {
    ($($t:ident),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $t {
            // Case data: never in Debug output.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($t), "(<{} chars>)"), self.0.chars().count())
            }
        }
    )*};
}

text_like!(Text, LongText, Email, Phone, Url);

/// Why a text is not a well-formed contact or network value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Not an e-mail address.
    #[error("not an e-mail address (local-part@domain, e.g. duty@example.org)")]
    Email,
    /// Not an E.164 number.
    #[error("not an E.164 phone number (+, country code, number, digits only, e.g. +33140000000)")]
    Phone,
    /// Not an absolute URL with a host.
    #[error("not an absolute URL with a host (e.g. https://example.com/page)")]
    Url,
    /// Not a domain name.
    #[error("not a domain name (IDNA, at least two labels, e.g. example.org or bücher.example)")]
    Domain,
    /// Not a BCP 47 language tag.
    #[error("not a BCP 47 language tag (e.g. fr, en-GB)")]
    Language,
    /// Not a SHA-256 digest in hexadecimal.
    #[error("not a SHA-256 digest (64 lower-case hexadecimal digits)")]
    Sha256,
    /// Not an IMEI.
    #[error("not an IMEI (15 digits with a valid check digit, or a 16-digit IMEISV)")]
    Imei,
    /// Not an IMSI.
    #[error("not an IMSI (6 to 15 digits)")]
    Imsi,
    /// Not an ICCID.
    #[error("not an ICCID (18 to 22 digits starting with 89)")]
    Iccid,
    /// Not a MAC address.
    #[error("not a MAC address (six hexadecimal pairs separated by ':' or '-')")]
    Mac,
}

/// An e-mail address (RFC 5322 addr-spec without comments or quoted local parts), kept as
/// written. The domain part must be a valid IDNA domain name.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        let (local, domain) = text.rsplit_once('@').ok_or(FormatError::Email)?;
        const ATEXT_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";
        let atom_ok = |a: &str| {
            !a.is_empty()
                && a.chars().all(|c| {
                    c.is_ascii_alphanumeric() || ATEXT_SPECIALS.contains(c) || !c.is_ascii()
                })
                && a.chars().all(|c| !c.is_control() && !c.is_whitespace())
        };
        if local.is_empty() || local.len() > 64 || !local.split('.').all(atom_ok) {
            return Err(FormatError::Email);
        }
        DomainName::parse(domain).map_err(|_| FormatError::Email)?;
        Ok(Self(text.to_owned()))
    }

    /// The address as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 form: `+`, then 8 to 15 digits, the first not 0.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Parses an E.164 number. Spaces, dots and dashes are refused rather than removed: the
    /// number is an identifier and is kept exactly as checked.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        let digits = text.strip_prefix('+').ok_or(FormatError::Phone)?;
        if !(8..=15).contains(&digits.len())
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || digits.starts_with('0')
        {
            return Err(FormatError::Phone);
        }
        Ok(Self(text.to_owned()))
    }

    /// The number, `+` and digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An absolute URL with a host (WHATWG URL Standard), kept as written.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Url(String);

impl Url {
    /// Parses an absolute URL.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        if text.len() > 2048 || text.trim() != text || text.chars().any(char::is_control) {
            return Err(FormatError::Url);
        }
        let parsed = url::Url::parse(text).map_err(|_| FormatError::Url)?;
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(FormatError::Url);
        }
        Ok(Self(text.to_owned()))
    }

    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A domain name, checked with IDNA (UTS #46, strict): both the A-label form
/// (`xn--bcher-kva.example`) and the U-label form (`bücher.example`) are kept, and the form the
/// author wrote is remembered so that a round trip gives back the same text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DomainName {
    ascii: String,
    unicode: String,
    written_unicode: bool,
}

impl DomainName {
    /// Parses a domain name in either form. At least two labels; no trailing dot; the last
    /// label is not numeric (that would be an IPv4 address).
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        if text.is_empty() || text.len() > 253 * 4 || text.ends_with('.') {
            return Err(FormatError::Domain);
        }
        let ascii = idna::domain_to_ascii_strict(text).map_err(|_| FormatError::Domain)?;
        let labels: Vec<&str> = ascii.split('.').collect();
        if labels.len() < 2
            || ascii.len() > 253
            || labels.iter().any(|l| l.is_empty() || l.len() > 63)
            || labels
                .last()
                .is_none_or(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(FormatError::Domain);
        }
        let (unicode, result) = idna::domain_to_unicode(&ascii);
        result.map_err(|_| FormatError::Domain)?;
        let written_unicode = text != ascii;
        if written_unicode && text != unicode {
            // Written in a non-canonical form (upper case, full-width dots…): not as an
            // identifier would be recorded.
            return Err(FormatError::Domain);
        }
        Ok(Self {
            ascii,
            unicode,
            written_unicode,
        })
    }

    /// The A-label (ASCII, Punycode) form.
    pub fn ascii(&self) -> &str {
        &self.ascii
    }

    /// The U-label (Unicode) form.
    pub fn unicode(&self) -> &str {
        &self.unicode
    }

    /// The form the author wrote.
    pub fn as_written(&self) -> &str {
        if self.written_unicode {
            &self.unicode
        } else {
            &self.ascii
        }
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_written())
    }
}

impl fmt::Debug for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DomainName(<{} chars>)", self.ascii.len())
    }
}

/// A BCP 47 language tag (`fr`, `en-GB`, `sr-Latn`), syntax-checked.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LanguageTag(String);

impl LanguageTag {
    /// Parses a tag: a primary language of 2–3 letters, then subtags of 1–8 letters or digits.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        let mut parts = text.split('-');
        let primary = parts.next().unwrap_or_default();
        if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(FormatError::Language);
        }
        let mut count = 0;
        for sub in parts {
            count += 1;
            if count > 8 || !(1..=8).contains(&sub.len()) {
                return Err(FormatError::Language);
            }
            if !sub.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(FormatError::Language);
            }
        }
        Ok(Self(text.to_owned()))
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LanguageTag({})", self.0)
    }
}

/// A SHA-256 digest, 64 lower-case hexadecimal digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Sha256(String);

impl Sha256 {
    /// Parses a digest.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        if text.len() != 64 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(FormatError::Sha256);
        }
        Ok(Self(text.to_owned()))
    }

    /// The digest in hexadecimal.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.0)
    }
}

/// Why a code is not a [`Country`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is an organisation code; a country (ISO 3166-1 alpha-2) is required here")]
pub struct NotACountry(pub PartyCode);

/// A Party that is a State: an ISO 3166-1 alpha-2 code, never an organisation code (EU,
/// INTERPOL, EUROPOL, EUROJUST). Requested Parties, requesting authorities and providers'
/// countries are countries.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country(PartyCode);

impl Country {
    /// The country, or an error for an organisation code.
    pub fn new(code: PartyCode) -> Result<Self, NotACountry> {
        if code.is_organisation() {
            Err(NotACountry(code))
        } else {
            Ok(Self(code))
        }
    }

    /// The Party code.
    pub fn code(&self) -> PartyCode {
        self.0
    }

    /// The code as text.
    pub fn as_str(&self) -> &'static str {
        self.0.as_str()
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Country({})", self.0.as_str())
    }
}

/// An enumeration with a fixed snake_case wire name per value (JSON, XML, catalogue keys).
pub trait Choice: Sized + Copy + 'static {
    /// Every value, in the order forms list them.
    const ALL: &'static [Self];
    /// The wire name.
    fn as_str(&self) -> &'static str;
    /// The value with wire name `name`.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == name)
    }
}

/// Declares a `Choice` enum with its wire names.
macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant,)* }

        impl Choice for $name {
            const ALL: &'static [Self] = &[$($name::$variant,)*];
            fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $wire,)* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    // The same, with serde (snake_case) for values that cases keep.
    (@serde $(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant,)* }

        impl Choice for $name {
            const ALL: &'static [Self] = &[$($name::$variant,)*];
            fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $wire,)* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use choice;

impl Choice for cp247_domain::Urgency {
    const ALL: &'static [Self] = &cp247_domain::Urgency::ALL;
    fn as_str(&self) -> &'static str {
        cp247_domain::Urgency::as_str(self)
    }
}

impl Choice for Channel {
    const ALL: &'static [Self] = &Channel::ALL;
    fn as_str(&self) -> &'static str {
        Channel::as_str(self)
    }
}

choice! {
    /// Who kept the clock an instant was read from (fields.md §10.1 `source_clock`).
    SourceClock {
        /// The requesting authority's own clock.
        Requester = "requester",
        /// The service provider's systems.
        Provider = "provider",
        /// A log file (of the victim, a server, a device).
        Log = "log",
        /// Not known.
        Unknown = "unknown",
    }
}

choice! {
    /// Transport protocol of a connection.
    Protocol {
        /// TCP.
        Tcp = "tcp",
        /// UDP.
        Udp = "udp",
    }
}

choice! {
    /// Whether an IP address was the source or the destination of the connection.
    Direction {
        /// The address the connection came from.
        Source = "source",
        /// The address the connection went to.
        Destination = "destination",
    }
}

choice! {
    /// Kinds of identifier (fields.md §10.13 `IdentifierKind`).
    IdentifierKind {
        /// IPv4 address.
        Ipv4 = "ipv4",
        /// IPv6 address.
        Ipv6 = "ipv6",
        /// E-mail address.
        Email = "email",
        /// Phone number (E.164).
        Phone = "phone",
        /// User name on a service.
        Username = "username",
        /// Account id on a service.
        AccountId = "account_id",
        /// URL.
        Url = "url",
        /// Domain name.
        DomainName = "domain_name",
        /// IMEI of a handset.
        Imei = "imei",
        /// IMSI of a SIM.
        Imsi = "imsi",
        /// ICCID of a SIM card.
        Iccid = "iccid",
        /// MAC address.
        Mac = "mac",
        /// Other device id.
        DeviceId = "device_id",
        /// Payment reference (IBAN, card token, transaction id of a payment).
        PaymentReference = "payment_reference",
        /// Crypto-currency address.
        CryptoAddress = "crypto_address",
        /// Crypto-currency transaction hash.
        TxHash = "tx_hash",
        /// Anything else (described in the note).
        Other = "other",
    }
}

choice! {
    /// Categories of data (fields.md §10.13 `DataCategory`).
    DataCategory {
        /// Subscriber information (Art. 18(3)).
        Subscriber = "subscriber",
        /// Data only to identify the user: IP address, port and instant.
        IdentificationOnly = "identification_only",
        /// Traffic data (Art. 1(d)).
        Traffic = "traffic",
        /// Content data.
        Content = "content",
        /// Domain name registration data.
        DomainRegistration = "domain_registration",
    }
}

choice! {
    /// The Convention offences (Articles 2–11) an offence corresponds to. Art. 29(4) lets a
    /// Party refuse preservation on dual criminality only for other offences.
    ConventionArticle {
        /// Art. 2, illegal access.
        Art2 = "art2",
        /// Art. 3, illegal interception.
        Art3 = "art3",
        /// Art. 4, data interference.
        Art4 = "art4",
        /// Art. 5, system interference.
        Art5 = "art5",
        /// Art. 6, misuse of devices.
        Art6 = "art6",
        /// Art. 7, computer-related forgery.
        Art7 = "art7",
        /// Art. 8, computer-related fraud.
        Art8 = "art8",
        /// Art. 9, offences related to child sexual abuse material.
        Art9 = "art9",
        /// Art. 10, infringements of copyright and related rights.
        Art10 = "art10",
        /// Art. 11, attempt and aiding or abetting.
        Art11 = "art11",
    }
}

choice! {
    /// What an attached document is (fields.md §10.1 `DocumentRef.kind`).
    AttachmentKind {
        /// A court order.
        CourtOrder = "court_order",
        /// A prosecutor's decision.
        ProsecutorDecision = "prosecutor_decision",
        /// A translation.
        Translation = "translation",
        /// Evidence.
        Evidence = "evidence",
        /// Anything else.
        Other = "other",
    }
}

choice! {
    /// Kinds of handling condition (fields.md §10.1 `Condition.kind`).
    ConditionKind {
        /// Keep the request or the data confidential.
        Confidentiality = "confidentiality",
        /// Use only for the stated investigation (Art. 28(2)(b)).
        UseLimitation = "use_limitation",
        /// Do not transfer onward.
        NoOnwardTransfer = "no_onward_transfer",
        /// Retention limit.
        Retention = "retention",
        /// Anything else.
        Other = "other",
    }
}

/// A TCP/UDP port, 1–65535 (port 0 is not a port a connection uses).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Port(u16);

impl Port {
    /// The port, or `None` for 0.
    pub fn new(port: u16) -> Option<Self> {
        (port != 0).then_some(Self(port))
    }

    /// The number.
    pub fn get(&self) -> u16 {
        self.0
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Port({})", self.0)
    }
}

/// An autonomous system number (1–4294967294).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Asn(u32);

impl Asn {
    /// The ASN, or `None` for 0 and 4294967295 (reserved).
    pub fn new(n: u32) -> Option<Self> {
        (n != 0 && n != u32::MAX).then_some(Self(n))
    }

    /// The number.
    pub fn get(&self) -> u32 {
        self.0
    }
}

/// How long preservation is asked for, in days: at least 60 (Art. 29(7)).
///
/// Written as an ISO 8601 duration in days (`P90D`); months and years are refused because
/// they have no fixed length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PreservationPeriod(u32);

/// Why a duration is not a [`PreservationPeriod`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// Not `P<n>D`.
    #[error("not an ISO 8601 duration in days (e.g. P90D)")]
    Malformed,
    /// Fewer than 60 days.
    #[error("{0} days is shorter than the 60 days of Art. 29(7)")]
    TooShort(u32),
}

impl PreservationPeriod {
    /// The minimum of Art. 29(7).
    pub const MIN_DAYS: u32 = 60;
    /// The longest period accepted (ten years): longer is a typing error.
    pub const MAX_DAYS: u32 = 3_650;

    /// A period of `days` days.
    pub fn from_days(days: u32) -> Result<Self, PeriodError> {
        if days < Self::MIN_DAYS {
            Err(PeriodError::TooShort(days))
        } else if days > Self::MAX_DAYS {
            Err(PeriodError::Malformed)
        } else {
            Ok(Self(days))
        }
    }

    /// Parses `P<n>D`.
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        let digits = text
            .strip_prefix('P')
            .and_then(|t| t.strip_suffix('D'))
            .ok_or(PeriodError::Malformed)?;
        if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PeriodError::Malformed);
        }
        let days: u32 = digits.parse().map_err(|_| PeriodError::Malformed)?;
        Self::from_days(days)
    }

    /// The number of days.
    pub fn days(&self) -> u32 {
        self.0
    }
}

impl fmt::Display for PreservationPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}D", self.0)
    }
}

/// An instant as recorded for an identifier or a traffic record (fields.md §10.1 `DateTimeTz`):
/// RFC 3339 with an explicit offset, the IANA zone where it was observed, the text exactly as
/// a provider's log supplied it, and whose clock it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTimeTz {
    /// The instant, with the offset it was written with.
    pub instant: Instant,
    /// The IANA zone of the place or system where it was observed.
    pub zone: Field<ZoneName>,
    /// The text as supplied (e.g. `20/Feb/2026:13:28:00 +0100` from an access log), kept
    /// verbatim: it is the only text in a document allowed to lack an offset.
    pub original_text: Field<Text>,
    /// Whose clock.
    pub source_clock: SourceClock,
}

/// A period between two instants; a single instant has `end == start`; an open period has no
/// end value (with the reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeRange {
    /// The first instant.
    pub start: DateTimeTz,
    /// The last instant.
    pub end: Field<DateTimeTz>,
}

/// Port, protocol and direction of the connection an IP address was seen in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The port (with carrier-grade NAT, the address alone does not identify a subscriber).
    pub port: Field<Port>,
    /// TCP or UDP.
    pub protocol: Field<Protocol>,
    /// Whether the address was the source or the destination.
    pub direction: Field<Direction>,
}

/// An IMEI, IMSI, ICCID or MAC address, kept as written after checking.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DeviceCode(String);

impl DeviceCode {
    /// An IMEI (15 digits, Luhn check digit) or an IMEISV (16 digits).
    pub fn imei(text: &str) -> Result<Self, FormatError> {
        let digits_only = text.bytes().all(|b| b.is_ascii_digit());
        let ok = digits_only && (text.len() == 16 || (text.len() == 15 && luhn_ok(text)));
        ok.then(|| Self(text.to_owned())).ok_or(FormatError::Imei)
    }

    /// An IMSI (6–15 digits).
    pub fn imsi(text: &str) -> Result<Self, FormatError> {
        let ok = (6..=15).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| Self(text.to_owned())).ok_or(FormatError::Imsi)
    }

    /// An ICCID (18–22 digits, starting with the telecom industry identifier 89).
    pub fn iccid(text: &str) -> Result<Self, FormatError> {
        let ok = (18..=22).contains(&text.len())
            && text.starts_with("89")
            && text.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| Self(text.to_owned())).ok_or(FormatError::Iccid)
    }

    /// A MAC address: six hexadecimal pairs separated by `:` or `-` (one separator throughout).
    pub fn mac(text: &str) -> Result<Self, FormatError> {
        let sep = if text.contains('-') { '-' } else { ':' };
        let parts: Vec<&str> = text.split(sep).collect();
        let ok = parts.len() == 6
            && parts
                .iter()
                .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
        ok.then(|| Self(text.to_owned())).ok_or(FormatError::Mac)
    }

    /// The code as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

text_like!(DeviceCode);

/// The value of an identifier, parsed according to its kind.
#[derive(Clone, PartialEq, Eq)]
pub enum IdentifierValue {
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address.
    Ipv6(Ipv6Addr),
    /// An e-mail address.
    Email(Email),
    /// A phone number.
    Phone(Phone),
    /// A URL.
    Url(Url),
    /// A domain name.
    DomainName(DomainName),
    /// An IMEI.
    Imei(DeviceCode),
    /// An IMSI.
    Imsi(DeviceCode),
    /// An ICCID.
    Iccid(DeviceCode),
    /// A MAC address.
    Mac(DeviceCode),
    /// A free-form identifier of the given kind (user name, account id, device id, payment
    /// reference, crypto address, transaction hash, other). The kind is never one of the kinds
    /// above.
    Text(IdentifierKind, Text),
}

impl IdentifierValue {
    /// The kind of identifier.
    pub fn kind(&self) -> IdentifierKind {
        match self {
            IdentifierValue::Ipv4(_) => IdentifierKind::Ipv4,
            IdentifierValue::Ipv6(_) => IdentifierKind::Ipv6,
            IdentifierValue::Email(_) => IdentifierKind::Email,
            IdentifierValue::Phone(_) => IdentifierKind::Phone,
            IdentifierValue::Url(_) => IdentifierKind::Url,
            IdentifierValue::DomainName(_) => IdentifierKind::DomainName,
            IdentifierValue::Imei(_) => IdentifierKind::Imei,
            IdentifierValue::Imsi(_) => IdentifierKind::Imsi,
            IdentifierValue::Iccid(_) => IdentifierKind::Iccid,
            IdentifierValue::Mac(_) => IdentifierKind::Mac,
            IdentifierValue::Text(kind, _) => *kind,
        }
    }

    /// The IP address, for the two IP kinds.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            IdentifierValue::Ipv4(a) => Some(IpAddr::V4(*a)),
            IdentifierValue::Ipv6(a) => Some(IpAddr::V6(*a)),
            _ => None,
        }
    }

    /// The value as text, as it appears in JSON and XML.
    pub fn to_text(&self) -> String {
        match self {
            IdentifierValue::Ipv4(a) => a.to_string(),
            IdentifierValue::Ipv6(a) => a.to_string(),
            IdentifierValue::Email(e) => e.as_str().to_owned(),
            IdentifierValue::Phone(p) => p.as_str().to_owned(),
            IdentifierValue::Url(u) => u.as_str().to_owned(),
            IdentifierValue::DomainName(d) => d.as_written().to_owned(),
            IdentifierValue::Imei(c)
            | IdentifierValue::Imsi(c)
            | IdentifierValue::Iccid(c)
            | IdentifierValue::Mac(c) => c.as_str().to_owned(),
            IdentifierValue::Text(_, t) => t.as_str().to_owned(),
        }
    }
}

impl fmt::Debug for IdentifierValue {
    // Identifiers are case data: only the kind is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdentifierValue({}, <redacted>)", self.kind())
    }
}

/// An identifier of a person, account, device or connection (fields.md §10.1 `Identifier`).
///
/// In a decoded document, `connection` holds a value only for the IP kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    /// The value, whose variant gives the kind.
    pub value: IdentifierValue,
    /// Port, protocol and direction, for an IP address.
    pub connection: Field<Connection>,
    /// When the identifier was observed in use.
    pub observed: Field<TimeRange>,
    /// The service it was used on (e.g. "ExampleMail webmail").
    pub service: Field<Text>,
    /// Anything else the reader needs to know.
    pub note: Field<LongText>,
}

/// An authority with its contact details (template §5 and §7; fields.md `Authority`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// The Party it belongs to: a country, or an organisation code where the role allows it
    /// (only an investigative authority may be EUROPOL, EUROJUST, INTERPOL or EU).
    pub party: PartyCode,
    /// Name of the organisation or unit.
    pub organisation: Text,
    /// Person in charge of the request (or of the case).
    pub person_in_charge: Field<Text>,
    /// Postal address.
    pub address: Field<LongText>,
    /// Telephone.
    pub phone: Field<Phone>,
    /// Mobile telephone.
    pub mobile: Field<Phone>,
    /// E-mail.
    pub email: Field<Email>,
    /// Fax.
    pub fax: Field<Phone>,
    /// Office hours, in words (e.g. "24/7" or "Mon–Fri 08:00–18:00").
    pub office_hours: Field<Text>,
    /// IANA time zone of the office.
    pub time_zone: ZoneName,
    /// Response by e-mail or other expedited means preferred.
    pub response_by_expedited_means: bool,
    /// Preferred channel for the response.
    pub preferred_response_channel: Field<Channel>,
}

/// The requested Party and its contact point or authority (template §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedAuthority {
    /// The requested Party: always a country.
    pub party: Country,
    /// Name of the 24/7 contact point or authority.
    pub name: Text,
}

/// A person to contact for confirmation (template §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPerson {
    /// Name.
    pub name: Text,
    /// Job title (rank, grade).
    pub job_title: Field<Text>,
    /// Function in the case.
    pub function: Field<Text>,
    /// Telephone.
    pub phone: Field<Phone>,
    /// Mobile telephone.
    pub mobile: Field<Phone>,
    /// E-mail.
    pub email: Field<Email>,
}

/// The maximum penalty for an offence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Penalty {
    /// As the law states it (e.g. "5 years' imprisonment and a fine of EUR 150,000").
    pub text: Text,
    /// The maximum term of imprisonment in months (1–1200), for comparison across Parties.
    pub months: Field<u32>,
}

/// An offence under investigation (fields.md §10.1 `Offence`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offence {
    /// Name of the offence.
    pub name: Text,
    /// Citation of the legal provision (e.g. "Code pénal, art. 323-1").
    pub legal_provision: Text,
    /// Maximum penalty.
    pub max_penalty: Field<Penalty>,
    /// The Convention article (2–11) it corresponds to, or why it corresponds to none.
    pub convention_offence: Applicable<ConventionArticle>,
    /// Description.
    pub description: Field<LongText>,
}

/// A service provider (fields.md §10.1 `ProviderRef`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRef {
    /// Commercial name.
    pub name: Text,
    /// Legal entity.
    pub legal_entity: Field<Text>,
    /// Country of establishment.
    pub country: Field<Country>,
    /// Postal address.
    pub address: Field<LongText>,
    /// Service or product concerned.
    pub service: Field<Text>,
    /// The provider's own reference (their ticket).
    pub provider_reference: Field<Text>,
    /// Law-enforcement contact (portal, e-mail, phone), as text.
    pub contact: Field<Text>,
}

/// Who holds the data and where the system is (Art. 29(2)(d)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Custodian {
    /// Service providers holding the data.
    pub providers: Field<NonEmpty<ProviderRef>>,
    /// Location of the computer system, as far as known.
    pub location_of_system: Field<LongText>,
}

/// A reference to an earlier request (template §§9–10; fields.md `TicketRef`).
///
/// In a decoded document, at least one of `ticket_id` and `counterpart_reference` is a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRef {
    /// The cp247 ticket.
    pub ticket_id: Field<TicketId>,
    /// The other side's own reference number.
    pub counterpart_reference: Field<Text>,
    /// Date of that request.
    pub date: Date,
    /// How it was transmitted.
    pub channel: Channel,
    /// Contact details of the authority that made it.
    pub requesting_contact: LongText,
    /// Contact details of the authority that executed or answered it.
    pub executing_contact: Field<LongText>,
}

/// An attached or referenced document (fields.md `DocumentRef`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    /// Its number or reference.
    pub id: Text,
    /// Title.
    pub title: Text,
    /// Kind.
    pub kind: AttachmentKind,
    /// Language.
    pub language: LanguageTag,
    /// Digest of the file, when attached.
    pub sha256: Field<Sha256>,
    /// Who issued it.
    pub issued_by: Text,
    /// When.
    pub issued_at: Field<Date>,
}

/// A condition on handling or use (fields.md `Condition`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Kind.
    pub kind: ConditionKind,
    /// The condition.
    pub text: LongText,
    /// Its legal basis (e.g. "Art. 28(2)(b) Budapest Convention").
    pub basis: Field<Text>,
}

/// The official who approved the request: recorded in the document (the node's signature
/// authenticates the message; this says who authorised it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorisingOfficial {
    /// Name.
    pub name: Text,
    /// Function (e.g. "Head of the 24/7 contact point", "Deputy prosecutor").
    pub function: Text,
    /// Date of approval.
    pub date: Date,
}

/// A prosecution office or court with its case number (Art. 31 template §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOffice {
    /// Name of the office or court.
    pub name: Text,
    /// Its case number.
    pub case_number: Field<Text>,
}

/// One set of data to preserve or disclose (fields.md §10.3 `data_items`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataItem {
    /// Categories of data (no duplicates).
    pub categories: NonEmpty<DataCategory>,
    /// Identifiers that select the data.
    pub identifiers: NonEmpty<Identifier>,
    /// Period of the data.
    pub time_range: Field<TimeRange>,
    /// Service concerned.
    pub service: Field<Text>,
    /// What data, in words.
    pub description: LongText,
}

/// An IP address and port, one end of a traced communication.
#[derive(Clone, PartialEq, Eq)]
pub struct SocketAddress {
    /// The address.
    pub address: IpAddr,
    /// The port.
    pub port: Field<Port>,
}

impl fmt::Debug for SocketAddress {
    // Addresses are case data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketAddress")
            .field("address", &"<redacted>")
            .field("port", &self.port)
            .finish()
    }
}

/// One hop of a traced communication, disclosed under Art. 30.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficRecord {
    /// When.
    pub at: DateTimeTz,
    /// Where the communication came from.
    pub source: SocketAddress,
    /// Where it went.
    pub destination: SocketAddress,
    /// TCP or UDP.
    pub protocol: Field<Protocol>,
    /// Host name of the destination.
    pub destination_hostname: Field<DomainName>,
    /// Autonomous system of the source.
    pub source_asn: Field<Asn>,
    /// Autonomous system of the destination.
    pub destination_asn: Field<Asn>,
    /// Type of service (e.g. "SMTP submission").
    pub service: Field<Text>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "duty@example.org",
            "jean.dupont+247@example.com",
            "o'brien@bücher.example",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "duty",
            "@example.org",
            "duty@",
            "duty@example",
            "du ty@example.org",
            "a..b@example.org",
            "duty@@example.org",
            "duty@exa mple.org",
            "duty@-example.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert!(Phone::parse("+33140000000").is_ok());
        assert!(Phone::parse("+37322000000").is_ok());
        for bad in [
            "",
            "0140000000",
            "+33 1 40 00 00 00",
            "+0140000000",
            "+331",
            "+1234567890123456",
            "+33-140000000",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert!(Url::parse("https://example.com/leak?id=4").is_ok());
        assert!(Url::parse("http://[2001:db8::1]:8080/").is_ok());
        for bad in [
            "",
            "example.com",
            "/relative/path",
            "https://",
            "mailto:duty@example.org",
            " https://example.com",
            "https://exa mple.com/",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domains_keep_both_labels() {
        let d = DomainName::parse("bücher.example").unwrap();
        assert_eq!(d.ascii(), "xn--bcher-kva.example");
        assert_eq!(d.unicode(), "bücher.example");
        assert_eq!(d.as_written(), "bücher.example");
        let a = DomainName::parse("xn--bcher-kva.example").unwrap();
        assert_eq!(a.as_written(), "xn--bcher-kva.example");
        assert_eq!(a.unicode(), "bücher.example");
        for bad in [
            "",
            "example",
            "example.org.",
            "-bad.example",
            "exa mple.org",
            "a..b.org",
            "192.0.2.1",
            "EXAMPLE.ORG",
            "under_score.example",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad}");
        }
        assert!(DomainName::parse(&format!("{}.example", "a".repeat(64))).is_err());
    }

    #[test]
    fn device_codes() {
        assert!(DeviceCode::imei("490154203237518").is_ok());
        assert!(DeviceCode::imei("490154203237519").is_err());
        assert!(DeviceCode::imei("4901542032375101").is_ok());
        assert!(DeviceCode::imsi("208011234567890").is_ok());
        assert!(DeviceCode::iccid("8933150319000000001").is_ok());
        assert!(DeviceCode::iccid("1933150319000000001").is_err());
        assert!(DeviceCode::mac("00:1a:2b:3c:4d:5e").is_ok());
        assert!(DeviceCode::mac("00-1A-2B-3C-4D-5E").is_ok());
        assert!(DeviceCode::mac("00:1a:2b:3c:4d").is_err());
        assert!(DeviceCode::mac("00:1a-2b:3c:4d:5e").is_err());
    }

    #[test]
    fn periods_and_languages() {
        assert_eq!(PreservationPeriod::parse("P90D").unwrap().days(), 90);
        assert_eq!(
            PreservationPeriod::parse("P30D"),
            Err(PeriodError::TooShort(30))
        );
        for bad in ["", "90", "P3M", "P1Y", "PT90H", "P-90D", "p90d", "P99999D"] {
            assert_eq!(
                PreservationPeriod::parse(bad),
                Err(PeriodError::Malformed),
                "{bad}"
            );
        }
        assert!(LanguageTag::parse("fr").is_ok());
        assert!(LanguageTag::parse("sr-Latn-RS").is_ok());
        assert!(LanguageTag::parse("French").is_err());
        assert!(LanguageTag::parse("fr_FR").is_err());
    }

    #[test]
    fn texts() {
        assert_eq!(Text::new("  "), Err(TextError::Blank));
        assert_eq!(Text::new("a\nb"), Err(TextError::ControlCharacter));
        assert!(LongText::new("a\nb\tc").is_ok());
        assert!(LongText::new("a\u{7}b").is_err());
        assert_eq!(
            Text::new("x".repeat(501)),
            Err(TextError::TooLong { max: 500 })
        );
        assert!(!format!("{:?}", Text::new("Jean Dupont").unwrap()).contains("Jean"));
    }

    #[test]
    fn countries_refuse_organisations() {
        assert!(Country::new(PartyCode::parse("MD").unwrap()).is_ok());
        assert!(Country::new(PartyCode::parse("EUROPOL").unwrap()).is_err());
    }

    #[test]
    fn choices_round_trip() {
        for k in IdentifierKind::ALL {
            assert_eq!(IdentifierKind::from_name(k.as_str()), Some(*k));
        }
        assert_eq!(ConventionArticle::from_name("art12"), None);
    }
}
