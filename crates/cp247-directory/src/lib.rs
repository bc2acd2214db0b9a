//! The signed network directory of cp247.
//!
//! The directory authority (the network's secretariat) publishes one signed file listing the
//! Parties, for each a primary and optionally an alternate 24/7 contact point, and for each
//! contact point its channel (its own node: HTTPS endpoint, pinned TLS certificate, OpenPGP
//! keys; or OpenPGP e-mail), unit, duty phones, languages, time zone and office hours. Nodes
//! accept it only under the rules in [`accept`], and derive from it who may send them what:
//! [`TrafficDirectory`] implements the seal layer's [`cp247_seal::KeyDirectory`].
//!
//! # File format
//!
//! `directory.json` is the canonical JSON text of a [`Directory`] (see [`canonical`]: sorted
//! keys, two-space indentation, final line break; `"format": "cp247-directory/1"`), and
//! `directory.json.asc` is the authority's armored OpenPGP detached signature over exactly those
//! bytes. Anyone can check it years later with `gpg --verify directory.json.asc directory.json`.
//! A node parses the file, re-encodes it and refuses it unless the bytes are identical, so what
//! a node acts on is exactly what was signed. The format is described for people in
//! `docs/protocol/directory.md`.
//!
//! # Decisions
//!
//! - **Parties are countries.** The directory lists Parties to the Convention; organisation
//!   codes (EU, INTERPOL, EUROPOL, EUROJUST) are refused as directory entries.
//! - **Keys rotate by overlap.** A contact point lists one to four keys; peers encrypt to the
//!   last listed key not yet retired, and accept signatures from every listed key until its
//!   `retired_at`.
//! - **Statuses have a start.** A suspension or revocation applies from its `since` instant;
//!   a key's status is the earliest restriction of its Party, its contact point and its own
//!   retirement ([`TrafficDirectory`]'s [`cp247_seal::KeyDirectory`] implementation).
//! - **Office hours are civil times** in the contact point's IANA zone ([`hours`]), following
//!   daylight-saving changes; working days are the weekdays with hours, minus closed days.
//! - **The authority works on a draft** ([`draft::Draft`]), which may be incomplete; it cannot
//!   be signed until every Party has a complete primary contact point.
#![warn(missing_docs)]

pub mod accept;
pub mod canonical;
pub mod contact;
pub mod draft;
pub mod hours;
pub mod model;
pub mod status;
pub mod text;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use accept::{
    Acceptance, AcceptancePolicy, AcceptedDirectory, DirectoryHealth, DirectoryState,
    PinnedAuthority, Refusal, SignedDirectory, TrafficDirectory, TrafficRefusal,
};
pub use model::{
    AuthorityRef, Channel, ContactPoint, Directory, DirectoryError, FORMAT, ListedCert, ListedKey,
    PartyEntry,
};
