//! Which format versions this node writes for a peer, and what it reads itself (ADR 0028).
//!
//! A peer reads the protocol level its directory entry lists (`reads` on its node channel),
//! or level 1 when the directory says nothing. Before anything is sealed, the writer takes
//! the lowest version that carries what it has to say: a field that only informs is left out
//! for a peer that cannot read it (a receipt's `ack_due`, [`cp247_seal::Receipt::for_reader`]);
//! content that needs a version the peer does not read is refused here, locally, with
//! `peer_cannot_read` — never sent to meet a permanent refusal at the peer.

use cp247_directory::Channel;
use cp247_domain::{Address, Format, ProtocolLevel};

use crate::CaseWork;
use crate::error::{Error, Refused};

/// The level a peer contact point reads, as the directory `directory` lists it: level 1 when
/// it lists none, the contact point is absent, or it is reached by e-mail (which carries no
/// receipts and reads today's envelope).
pub fn listed_level(
    directory: Option<&cp247_directory::Directory>,
    peer: &Address,
) -> ProtocolLevel {
    match directory
        .and_then(|d| d.contact_point(peer))
        .map(|cp| &cp.channel)
    {
        Some(Channel::Node(node)) => node.protocol_level(),
        Some(Channel::Email(_)) | None => ProtocolLevel::V1,
    }
}

/// Refuses `version` of `format` for a peer at `level` that does not read it.
pub fn check_readable(
    peer: &Address,
    level: ProtocolLevel,
    format: Format,
    version: u16,
) -> Result<(), Error> {
    if level.can_read(format, version) {
        return Ok(());
    }
    let needed = ProtocolLevel::lowest_reading(format, version)
        .map_or_else(|| "a later release".to_owned(), |l| format!("level {l}"));
    Err(Error::refused(
        Refused::PeerCannotRead,
        format!(
            "{peer} reads protocol level {level} (the directory lists what each node reads), which does not read {}; this message needs {needed}. Nothing was sent: send it once {peer} has upgraded and the directory lists its new level, or send it without what needs the later version",
            format.marker(version)
        ),
    ))
}

impl CaseWork {
    /// The protocol level this node reads (its `[federation] reads`).
    pub fn level(&self) -> ProtocolLevel {
        self.level
    }

    /// This case work reading `level` (default: this release's highest).
    #[must_use]
    pub fn reading(mut self, level: ProtocolLevel) -> Self {
        self.level = level;
        self
    }

    /// The level `peer` reads, from the directory in force.
    pub fn peer_level(&self, peer: &Address) -> ProtocolLevel {
        let snapshot = self.directory.snapshot();
        listed_level(snapshot.current().map(|c| c.directory()), peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cp247_domain::PartyCode;

    fn md() -> Address {
        Address::primary(PartyCode::parse("MD").unwrap())
    }

    #[test]
    fn a_version_the_peer_reads_passes_and_one_it_does_not_is_refused_locally() {
        let two = ProtocolLevel::new(2).unwrap();
        assert!(check_readable(&md(), ProtocolLevel::V1, Format::Envelope, 1).is_ok());
        assert!(check_readable(&md(), two, Format::Receipt, 2).is_ok());
        let e = check_readable(&md(), ProtocolLevel::V1, Format::Receipt, 2).unwrap_err();
        assert_eq!(e.code(), "peer_cannot_read");
        assert_eq!(e.kind(), crate::error::ErrorKind::Refused);
        let text = e.to_string();
        assert!(text.contains("MD/primary") || text.contains("MD"), "{text}");
        assert!(
            text.contains("cp247-receipt/2") && text.contains("level 2"),
            "{text}"
        );
        // A version no level of this release reads.
        let e = check_readable(&md(), two, Format::Envelope, 2).unwrap_err();
        assert!(e.to_string().contains("a later release"), "{e}");
    }

    #[test]
    fn an_unlisted_peer_reads_level_1() {
        assert_eq!(listed_level(None, &md()), ProtocolLevel::V1);
    }
}
