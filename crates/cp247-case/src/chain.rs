//! Ticket chains: a preservation request, its extensions and the follow-up requests for
//! subscriber information each name the earlier ticket (template §3, §§9–10), and the case view
//! shows them together, oldest first.
//!
//! [`order_chain`] takes the links a node knows (one per case) and a ticket, walks up the
//! `previous` links to the oldest known ticket, then lists the whole tree below it depth-first,
//! siblings in the order they were opened. Tickets named but not known on this node (an earlier
//! request made by e-mail, a case of another node) are reported as missing. A cycle — which
//! honest peers cannot create, since a ticket names only earlier ones — is an error, so hostile
//! data cannot make the walk loop.

use std::collections::BTreeSet;

use cp247_domain::TicketId;
use jiff::Timestamp;

use crate::case::Case;
use crate::kind::MessageKind;

/// What a node knows of one case for its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    /// The ticket.
    pub ticket: TicketId,
    /// The request's kind.
    pub kind: MessageKind,
    /// The earlier ticket it extends or follows up.
    pub previous: Option<TicketId>,
    /// Other tickets it names.
    pub related: Vec<TicketId>,
    /// When the case was opened.
    pub opened_at: Timestamp,
}

impl From<&Case> for ChainLink {
    fn from(case: &Case) -> Self {
        Self {
            ticket: case.ticket().clone(),
            kind: case.opening().kind,
            previous: case.previous_ticket().cloned(),
            related: case.related_tickets().to_vec(),
            opened_at: case.opening().opened_at,
        }
    }
}

/// One ticket of an ordered chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainEntry {
    /// The ticket.
    pub ticket: TicketId,
    /// The request's kind.
    pub kind: MessageKind,
    /// The ticket it extends or follows up (`None` for the first).
    pub parent: Option<TicketId>,
    /// 0 for the first ticket, 1 for those that follow it up, …
    pub depth: usize,
    /// When it was opened.
    pub opened_at: Timestamp,
}

/// A chain, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// The tickets, depth-first from the oldest, siblings by opening time.
    pub entries: Vec<ChainEntry>,
    /// Tickets named by the chain (as previous or related) that this node does not know.
    pub missing: Vec<TicketId>,
}

/// Why a chain cannot be ordered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The ticket asked for is not among the links.
    #[error("ticket {0} is not known to this node")]
    Unknown(TicketId),
    /// Two links for one ticket.
    #[error("ticket {0} is listed twice")]
    Duplicate(TicketId),
    /// The previous links loop.
    #[error("the tickets before {0} name each other in a loop")]
    Cycle(TicketId),
}

/// The chain that `ticket` belongs to.
pub fn order_chain(ticket: &TicketId, links: &[ChainLink]) -> Result<Chain, ChainError> {
    let mut seen = BTreeSet::new();
    for l in links {
        if !seen.insert(&l.ticket) {
            return Err(ChainError::Duplicate(l.ticket.clone()));
        }
    }
    let find = |t: &TicketId| links.iter().find(|l| l.ticket == *t);
    let mut root = find(ticket).ok_or_else(|| ChainError::Unknown(ticket.clone()))?;
    let mut missing = Vec::new();
    let mut walked = BTreeSet::new();
    walked.insert(&root.ticket);
    while let Some(prev) = &root.previous {
        match find(prev) {
            Some(p) => {
                if !walked.insert(&p.ticket) {
                    return Err(ChainError::Cycle(ticket.clone()));
                }
                root = p;
            }
            None => {
                missing.push(prev.clone());
                break;
            }
        }
    }
    let mut entries = Vec::new();
    let mut visited = BTreeSet::new();
    // Depth-first with an explicit stack: (link, parent, depth).
    let mut stack: Vec<(&ChainLink, Option<TicketId>, usize)> = vec![(root, None, 0)];
    while let Some((link, parent, depth)) = stack.pop() {
        if !visited.insert(&link.ticket) {
            return Err(ChainError::Cycle(link.ticket.clone()));
        }
        entries.push(ChainEntry {
            ticket: link.ticket.clone(),
            kind: link.kind,
            parent,
            depth,
            opened_at: link.opened_at,
        });
        let mut children: Vec<&ChainLink> = links
            .iter()
            .filter(|l| l.previous.as_ref() == Some(&link.ticket) && l.ticket != link.ticket)
            .collect();
        children.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then(a.ticket.cmp(&b.ticket)));
        // Pushed in reverse so the earliest is visited first.
        for child in children.into_iter().rev() {
            stack.push((child, Some(link.ticket.clone()), depth + 1));
        }
    }
    let known: BTreeSet<&TicketId> = entries.iter().map(|e| &e.ticket).collect();
    for e in &entries {
        if let Some(l) = find(&e.ticket) {
            for r in &l.related {
                if !known.contains(r) && find(r).is_none() && !missing.contains(r) {
                    missing.push(r.clone());
                }
            }
        }
    }
    Ok(Chain { entries, missing })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TicketId {
        TicketId::parse(s).unwrap()
    }

    fn link(ticket: &str, previous: Option<&str>, hour: i64) -> ChainLink {
        ChainLink {
            ticket: t(ticket),
            kind: MessageKind::PreservationRequest,
            previous: previous.map(t),
            related: Vec::new(),
            opened_at: Timestamp::from_second(1_800_000_000 + hour * 3600).unwrap(),
        }
    }

    #[test]
    fn orders_a_tree_from_any_member() {
        let links = vec![
            link("FR-2026-CCCC", Some("FR-2026-AAAA"), 3),
            link("FR-2026-BBBB", Some("FR-2026-AAAA"), 2),
            link("FR-2026-AAAA", None, 1),
            link("FR-2026-DDDD", Some("FR-2026-BBBB"), 4),
            link("FR-2026-ZZZZ", None, 0),
        ];
        for from in ["FR-2026-AAAA", "FR-2026-DDDD", "FR-2026-CCCC"] {
            let chain = order_chain(&t(from), &links).unwrap();
            let order: Vec<(String, usize)> = chain
                .entries
                .iter()
                .map(|e| (e.ticket.to_string(), e.depth))
                .collect();
            assert_eq!(
                order,
                vec![
                    ("FR-2026-AAAA".to_owned(), 0),
                    ("FR-2026-BBBB".to_owned(), 1),
                    ("FR-2026-DDDD".to_owned(), 2),
                    ("FR-2026-CCCC".to_owned(), 1),
                ]
            );
            assert!(chain.missing.is_empty());
        }
    }

    #[test]
    fn reports_missing_tickets_and_refuses_loops_and_duplicates() {
        let mut l = link("FR-2026-BBBB", Some("MD-2026-AAAA"), 2);
        l.related.push(t("MD-2026-CCCC"));
        let chain = order_chain(&t("FR-2026-BBBB"), &[l]).unwrap();
        assert_eq!(chain.entries.len(), 1);
        assert_eq!(chain.missing, vec![t("MD-2026-AAAA"), t("MD-2026-CCCC")]);

        let loop_links = vec![
            link("FR-2026-AAAA", Some("FR-2026-BBBB"), 1),
            link("FR-2026-BBBB", Some("FR-2026-AAAA"), 2),
        ];
        assert!(matches!(
            order_chain(&t("FR-2026-AAAA"), &loop_links),
            Err(ChainError::Cycle(_))
        ));
        let dup = vec![link("FR-2026-AAAA", None, 1), link("FR-2026-AAAA", None, 2)];
        assert!(matches!(
            order_chain(&t("FR-2026-AAAA"), &dup),
            Err(ChainError::Duplicate(_))
        ));
        assert!(matches!(
            order_chain(&t("FR-2026-EEEE"), &dup[..1]),
            Err(ChainError::Unknown(_))
        ));
    }
}
