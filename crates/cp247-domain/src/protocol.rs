//! The formats nodes exchange, their versions, and the protocol level a node reads: the one
//! table of what each level means (ADR 0028).
//!
//! A network of about eighty nodes is upgraded one node at a time, and every format refuses
//! unknown fields. So each format carries its version in its `format` member
//! (`cp247-envelope/1`, `cp247-receipt/2`), and each node reads a *protocol level*: level `N`
//! reads every version that the rows up to `N` of [`LEVELS`] name. A node says which level it
//! reads in its identity document (`"protocol": "cp247-federation/N"`) and the directory may
//! list it (`reads` on a node channel); a node that says nothing reads level 1, what every node
//! read before levels existed.
//!
//! Writers choose, per peer, the lowest version that carries what they have to say and that
//! the peer reads. A field that only informs (such as a receipt's `ack_due`) is left out for a
//! peer that cannot read it; content the peer cannot read without losing meaning is refused
//! by the writer before anything is sealed (`peer_cannot_read` in case work).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A format nodes exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// The sealed message's payload: header, body, attachments (`cp247-envelope/N`).
    Envelope,
    /// The receiver's signed receipt (`cp247-receipt/N`).
    Receipt,
    /// The signed network directory (`cp247-directory/N`), written by the authority.
    Directory,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::Envelope, Format::Receipt, Format::Directory];

    /// The name in the format marker (`envelope`, `receipt`, `directory`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Envelope => "envelope",
            Format::Receipt => "receipt",
            Format::Directory => "directory",
        }
    }

    /// The marker of `version` of this format, e.g. `cp247-receipt/2`.
    pub fn marker(self, version: u16) -> String {
        format!("cp247-{}/{version}", self.as_str())
    }

    /// The version a marker names, if it is a marker of this format at all (`cp247-receipt/7`
    /// → 7; another format's marker or another text → `None`).
    pub fn version_of(self, marker: &str) -> Option<u16> {
        let prefix = format!("cp247-{}/", self.as_str());
        let digits = marker.strip_prefix(&prefix)?;
        if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<u16>().ok().filter(|v| *v >= 1)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What each protocol level adds: the highest version of each format a node at that level
/// reads (and may be sent). A level reads every lower version too: nodes keep reading old
/// versions for as long as the directory lists a node that writes them.
///
/// - Level 1: what every node read before levels existed — `cp247-envelope/1`,
///   `cp247-receipt/1`, `cp247-directory/1`.
/// - Level 2: `cp247-receipt/2`, a receipt that may state `ack_due`, the instant by which the
///   receiver owes the human acknowledgement of the request it acknowledges (computed by the
///   receiver, in its own calendar, from its `received_at`).
pub const LEVELS: &[(u16, [(Format, u16); 3])] = &[
    (
        1,
        [
            (Format::Envelope, 1),
            (Format::Receipt, 1),
            (Format::Directory, 1),
        ],
    ),
    (
        2,
        [
            (Format::Envelope, 1),
            (Format::Receipt, 2),
            (Format::Directory, 1),
        ],
    ),
];

/// Why a text or number is not a protocol level this build knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a protocol level this node knows: expected 1 to {highest} (or cp247-federation/1 to cp247-federation/{highest})",
    highest = ProtocolLevel::HIGHEST.0
)]
pub struct ProtocolLevelError(String);

/// A protocol level: which versions of each [`Format`] a node reads ([`LEVELS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtocolLevel(u16);

/// The protocol name in the identity document, before the level.
const PROTOCOL_PREFIX: &str = "cp247-federation/";

impl ProtocolLevel {
    /// Level 1: what a node that advertises nothing reads.
    pub const V1: ProtocolLevel = ProtocolLevel(1);
    /// The highest level this build reads and writes.
    pub const HIGHEST: ProtocolLevel = ProtocolLevel(2);

    /// The level `n`, if this build knows it (1 to [`ProtocolLevel::HIGHEST`]).
    pub fn new(n: u16) -> Result<Self, ProtocolLevelError> {
        if (1..=Self::HIGHEST.0).contains(&n) {
            Ok(Self(n))
        } else {
            Err(ProtocolLevelError(n.to_string()))
        }
    }

    /// The level a peer advertises, as far as this build can use it: a level above this
    /// build's is read as [`ProtocolLevel::HIGHEST`] (the peer reads everything we write);
    /// 0 is refused.
    pub fn from_peer(n: u64) -> Result<Self, ProtocolLevelError> {
        match n {
            0 => Err(ProtocolLevelError(n.to_string())),
            n => Ok(u16::try_from(n)
                .ok()
                .and_then(|n| Self::new(n).ok())
                .unwrap_or(Self::HIGHEST)),
        }
    }

    /// The number.
    pub fn get(self) -> u16 {
        self.0
    }

    /// The `protocol` member of the identity document: `cp247-federation/N`.
    pub fn protocol(self) -> String {
        format!("{PROTOCOL_PREFIX}{}", self.0)
    }

    /// The level an identity document's `protocol` names (`cp247-federation/1` → 1); a level
    /// above this build's counts as [`ProtocolLevel::HIGHEST`].
    pub fn from_protocol(text: &str) -> Result<Self, ProtocolLevelError> {
        let refused = || ProtocolLevelError(text.chars().take(40).collect());
        let digits = text.strip_prefix(PROTOCOL_PREFIX).ok_or_else(refused)?;
        if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refused());
        }
        let n: u64 = digits.parse().map_err(|_| refused())?;
        Self::from_peer(n).map_err(|_| refused())
    }

    /// The highest version of `format` a node at this level reads.
    pub fn reads(self, format: Format) -> u16 {
        LEVELS
            .iter()
            .take_while(|(level, _)| *level <= self.0)
            .flat_map(|(_, versions)| versions.iter())
            .filter(|(f, _)| *f == format)
            .map(|(_, v)| *v)
            .max()
            .unwrap_or(1)
    }

    /// Whether a node at this level reads `version` of `format`.
    pub fn can_read(self, format: Format, version: u16) -> bool {
        (1..=self.reads(format)).contains(&version)
    }

    /// The lowest level that reads `version` of `format`, if any level does.
    pub fn lowest_reading(format: Format, version: u16) -> Option<ProtocolLevel> {
        LEVELS
            .iter()
            .find(|(_, versions)| versions.iter().any(|(f, v)| *f == format && *v >= version))
            .map(|(level, _)| ProtocolLevel(*level))
    }
}

impl Default for ProtocolLevel {
    /// [`ProtocolLevel::V1`]: a node that says nothing reads level 1.
    fn default() -> Self {
        Self::V1
    }
}

impl fmt::Display for ProtocolLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for ProtocolLevel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u16(self.0)
    }
}

impl<'de> Deserialize<'de> for ProtocolLevel {
    /// A number this build knows (1 to [`ProtocolLevel::HIGHEST`]); configuration and
    /// directories name a level strictly. (A peer's higher level read from its identity
    /// document goes through [`ProtocolLevel::from_protocol`].)
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(deserializer)?;
        u16::try_from(n)
            .map_err(|_| ProtocolLevelError(n.to_string()))
            .and_then(Self::new)
            .map_err(serde::de::Error::custom)
    }
}

/// A protocol level as another node or the directory states it: any level from 1 to 999,
/// including levels later than this build's, kept exactly as written (a directory is checked
/// byte for byte against its signature). [`AdvertisedLevel::level`] is what this build makes
/// of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AdvertisedLevel(u16);

impl AdvertisedLevel {
    /// The highest level a peer may state.
    pub const MAX: u16 = 999;

    /// The level `n` as stated (1 to [`AdvertisedLevel::MAX`]).
    pub fn new(n: u16) -> Result<Self, ProtocolLevelError> {
        if (1..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(ProtocolLevelError(n.to_string()))
        }
    }

    /// The number as stated.
    pub fn get(self) -> u16 {
        self.0
    }

    /// What this build makes of it: the same level, or [`ProtocolLevel::HIGHEST`] for a later
    /// one (that node reads everything this build writes).
    pub fn level(self) -> ProtocolLevel {
        ProtocolLevel::new(self.0).unwrap_or(ProtocolLevel::HIGHEST)
    }
}

impl From<ProtocolLevel> for AdvertisedLevel {
    fn from(level: ProtocolLevel) -> Self {
        Self(level.0)
    }
}

impl fmt::Display for AdvertisedLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for AdvertisedLevel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u16(self.0)
    }
}

impl<'de> Deserialize<'de> for AdvertisedLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(deserializer)?;
        u16::try_from(n)
            .map_err(|_| ProtocolLevelError(n.to_string()))
            .and_then(Self::new)
            .map_err(serde::de::Error::custom)
    }
}

/// Why a document's version cannot be read at a level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{marker} is not read at protocol level {level} (it reads {format} versions 1 to {highest}); the writer must send a version the reader advertises"
)]
pub struct UnreadableVersion {
    /// The format.
    pub format: Format,
    /// The marker found, e.g. `cp247-receipt/2`.
    pub marker: String,
    /// The reader's level.
    pub level: ProtocolLevel,
    /// The highest version of the format the reader reads.
    pub highest: u16,
}

/// Checks a document's format `marker` against what `level` reads: `Ok(version)` for a
/// version read at that level; `Err(Some(_))` for a version of the right format that this
/// level does not read (a newer writer, or a writer that ignored what this node advertises);
/// `Err(None)` for a marker that is not of this format at all.
pub fn check_marker(
    format: Format,
    marker: &str,
    level: ProtocolLevel,
) -> Result<u16, Option<UnreadableVersion>> {
    let version = format.version_of(marker).ok_or(None::<UnreadableVersion>)?;
    if level.can_read(format, version) {
        Ok(version)
    } else {
        Err(Some(UnreadableVersion {
            format,
            marker: format.marker(version),
            level,
            highest: level.reads(format),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_table_is_ordered_and_never_drops_a_version() {
        let mut previous: Option<(u16, [(Format, u16); 3])> = None;
        for (level, versions) in LEVELS {
            for f in Format::ALL {
                assert_eq!(
                    versions.iter().filter(|(g, _)| *g == f).count(),
                    1,
                    "level {level} names {f} once"
                );
            }
            if let Some((prev, prev_versions)) = previous {
                assert_eq!(*level, prev + 1, "levels are consecutive");
                for ((f, v), (g, w)) in versions.iter().zip(prev_versions.iter()) {
                    assert_eq!(f, g);
                    assert!(v >= w, "level {level} reads no less {f} than level {prev}");
                }
            }
            previous = Some((*level, *versions));
        }
        assert_eq!(LEVELS[0].0, 1);
        assert_eq!(
            LEVELS.last().map(|(l, _)| *l),
            Some(ProtocolLevel::HIGHEST.0)
        );
    }

    #[test]
    fn levels_read_versions() {
        let one = ProtocolLevel::V1;
        let two = ProtocolLevel::new(2).unwrap();
        assert_eq!(one.reads(Format::Receipt), 1);
        assert_eq!(two.reads(Format::Receipt), 2);
        assert!(two.can_read(Format::Receipt, 1));
        assert!(!one.can_read(Format::Receipt, 2));
        assert!(!two.can_read(Format::Envelope, 2));
        assert!(!two.can_read(Format::Receipt, 0));
        assert_eq!(ProtocolLevel::lowest_reading(Format::Receipt, 2), Some(two));
        assert_eq!(ProtocolLevel::lowest_reading(Format::Receipt, 1), Some(one));
        assert_eq!(ProtocolLevel::lowest_reading(Format::Envelope, 2), None);
        assert_eq!(ProtocolLevel::default(), one);
    }

    #[test]
    fn markers() {
        assert_eq!(Format::Receipt.marker(2), "cp247-receipt/2");
        assert_eq!(Format::Receipt.version_of("cp247-receipt/2"), Some(2));
        for bad in [
            "cp247-receipt/",
            "cp247-receipt/0",
            "cp247-receipt/+1",
            "cp247-receipt/1 ",
            "cp247-receipt/999999",
            "cp247-envelope/1",
            "receipt/1",
        ] {
            assert_eq!(Format::Receipt.version_of(bad), None, "{bad}");
        }
        let refused = check_marker(Format::Receipt, "cp247-receipt/2", ProtocolLevel::V1)
            .unwrap_err()
            .unwrap();
        assert_eq!(refused.highest, 1);
        assert!(refused.to_string().contains("cp247-receipt/2"), "{refused}");
        assert_eq!(
            check_marker(Format::Receipt, "cp247-envelope/1", ProtocolLevel::V1),
            Err(None)
        );
        assert_eq!(
            check_marker(Format::Envelope, "cp247-envelope/1", ProtocolLevel::HIGHEST),
            Ok(1)
        );
    }

    #[test]
    fn the_identity_protocol_names_the_level() {
        assert_eq!(ProtocolLevel::V1.protocol(), "cp247-federation/1");
        assert_eq!(
            ProtocolLevel::from_protocol("cp247-federation/1"),
            Ok(ProtocolLevel::V1)
        );
        // A later node reads everything this build writes.
        assert_eq!(
            ProtocolLevel::from_protocol("cp247-federation/40"),
            Ok(ProtocolLevel::HIGHEST)
        );
        for bad in [
            "cp247-federation/0",
            "cp247-federation/",
            "other/1",
            "cp247-federation/x",
        ] {
            assert!(ProtocolLevel::from_protocol(bad).is_err(), "{bad}");
        }
        assert!(ProtocolLevel::new(0).is_err());
        assert!(ProtocolLevel::new(ProtocolLevel::HIGHEST.get() + 1).is_err());
        assert_eq!(serde_json::to_string(&ProtocolLevel::V1).unwrap(), "1");
        assert!(serde_json::from_str::<ProtocolLevel>("3").is_err());
        assert!(serde_json::from_str::<ProtocolLevel>("0").is_err());
        let later: AdvertisedLevel = serde_json::from_str("7").unwrap();
        assert_eq!(later.get(), 7);
        assert_eq!(later.level(), ProtocolLevel::HIGHEST);
        assert_eq!(serde_json::to_string(&later).unwrap(), "7");
        assert!(serde_json::from_str::<AdvertisedLevel>("0").is_err());
        assert!(serde_json::from_str::<AdvertisedLevel>("1000").is_err());
        assert_eq!(
            AdvertisedLevel::from(ProtocolLevel::V1).level(),
            ProtocolLevel::V1
        );
    }

    proptest! {
        #[test]
        fn a_reader_reads_exactly_the_versions_up_to_its_level(level in 1u16..=2, version in 0u16..6) {
            let level = ProtocolLevel::new(level).unwrap();
            for format in Format::ALL {
                let marker = format.marker(version);
                match check_marker(format, &marker, level) {
                    Ok(v) => prop_assert!(v == version && version >= 1 && version <= level.reads(format)),
                    Err(Some(e)) => prop_assert!(version > level.reads(format) && e.highest == level.reads(format)),
                    Err(None) => prop_assert_eq!(version, 0),
                }
            }
        }
    }
}
