//! The one error of case work. Each variant has a stable machine code ([`Error::code`]) and a
//! kind ([`Error::kind`]) that the HTTP API, the federation wire and the web pages each map
//! once; messages never contain case plaintext or secrets.

use cp247_case::TransitionError;
use cp247_store::StoreError;

use crate::attachments::AttachmentProblem;

/// What was asked that case work refuses to do, with a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refused {
    /// A node does not send requests to itself.
    RecipientIsSelf,
    /// The document names another requested Party than the recipient.
    RecipientMismatch,
    /// The recipient's contact point cannot take traffic now (absent, suspended, no key).
    RecipientUnavailable,
    /// The recipient is reached by e-mail, which this node does not send for this message.
    RecipientHasNoNode,
    /// The document is not a request (an Art. 30 disclosure is a reply).
    NotARequest,
    /// A request opens its own ticket.
    TicketNotAllowed,
    /// Only the scheduler sends this kind of message.
    NotSentByOfficers,
    /// The reference text is not acceptable.
    InvalidReference,
    /// The reply names no known reply kind, or cannot be read.
    UnreadableReply,
    /// Two messages of a ticket share one id.
    AmbiguousMessage,
    /// The recipient's node does not read the format version the message needs (ADR 0028).
    PeerCannotRead,
}

impl Refused {
    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            Refused::RecipientIsSelf => "recipient_is_self",
            Refused::RecipientMismatch => "recipient_mismatch",
            Refused::RecipientUnavailable => "recipient_unavailable",
            Refused::RecipientHasNoNode => "recipient_has_no_node",
            Refused::NotARequest => "not_a_request",
            Refused::TicketNotAllowed => "ticket_not_allowed",
            Refused::NotSentByOfficers => "not_sent_by_officers",
            Refused::InvalidReference => "invalid_reference",
            Refused::UnreadableReply => "invalid_reply",
            Refused::AmbiguousMessage => "ambiguous_message",
            Refused::PeerCannotRead => "peer_cannot_read",
        }
    }
}

/// What could not be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Missing {
    /// A ticket (case) of this node.
    Ticket,
    /// A message of a ticket.
    Message,
    /// A file of a message.
    Attachment,
}

impl Missing {
    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            Missing::Ticket => "ticket_not_found",
            Missing::Message => "message_not_found",
            Missing::Attachment => "attachment_not_found",
        }
    }
}

/// How an [`Error`] is answered, whatever the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input has problems (listed); nothing was done.
    Invalid,
    /// The input is larger than the node's limits; nothing was done.
    TooLarge,
    /// What was asked cannot be done.
    Refused,
    /// The case does not allow it now, or not from this side.
    Transition,
    /// No such thing on this node.
    NotFound,
    /// Something changed meanwhile; read again and retry.
    Conflict,
    /// The node cannot serve now; retry later.
    Unavailable,
    /// The node failed; the cause is in its log.
    Internal,
}

/// Why a case-work operation did nothing. Nothing was sent or stored in any case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A reply with problems (every one with its code, path and en/fr text).
    #[error("the reply has {} problem(s); nothing was sent", .0.errors().count())]
    InvalidReply(cp247_case::Report),
    /// Files with problems (`too_large`: over the node's limits, checked before decoding).
    #[error("the attachments have {} problem(s); nothing was sent", problems.len())]
    Attachments {
        /// Every problem, with its field path.
        problems: Vec<AttachmentProblem>,
        /// The files are over the limits (nothing was decoded).
        too_large: bool,
    },
    /// What was asked cannot be done.
    #[error("{message}")]
    Refused {
        /// Why, as a code.
        code: Refused,
        /// Why, in a sentence.
        message: String,
    },
    /// The case refuses the event in its current state, or from this side.
    #[error("{0}")]
    Transition(TransitionError),
    /// No such ticket, message or file on this node.
    #[error("there is no {} {key} on this node", what.as_str().trim_end_matches("_not_found"))]
    NotFound {
        /// What.
        what: Missing,
        /// Which.
        key: String,
    },
    /// The case changed meanwhile.
    #[error("the case changed meanwhile; read it again and retry")]
    Conflict,
    /// The directory or the store cannot serve now.
    #[error("{message}")]
    Unavailable {
        /// `directory_unusable` or `store_unavailable`.
        code: &'static str,
        /// Why, in a sentence.
        message: String,
    },
    /// The node failed; the cause is in its log.
    #[error("the node failed to process the request; the cause is in its log")]
    Internal,
}

impl Error {
    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidReply(_) => "invalid_reply",
            Error::Attachments {
                too_large: true,
                problems,
            } => problems.first().map_or("too_large", |p| p.code()),
            Error::Attachments {
                too_large: false, ..
            } => "invalid_attachment",
            Error::Refused { code, .. } => code.as_str(),
            Error::Transition(e) => transition_code(e),
            Error::NotFound { what, .. } => what.as_str(),
            Error::Conflict => "case_conflict",
            Error::Unavailable { code, .. } => code,
            Error::Internal => "internal_error",
        }
    }

    /// How it is answered.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidReply(_) => ErrorKind::Invalid,
            Error::Attachments {
                too_large: true, ..
            } => ErrorKind::TooLarge,
            Error::Attachments {
                too_large: false, ..
            } => ErrorKind::Invalid,
            Error::Refused { .. } => ErrorKind::Refused,
            Error::Transition(_) => ErrorKind::Transition,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Conflict => ErrorKind::Conflict,
            Error::Unavailable { .. } => ErrorKind::Unavailable,
            Error::Internal => ErrorKind::Internal,
        }
    }

    /// A refusal.
    pub fn refused(code: Refused, message: impl Into<String>) -> Self {
        Error::Refused {
            code,
            message: message.into(),
        }
    }

    /// A ticket not found.
    pub fn no_ticket(ticket: &cp247_domain::TicketId) -> Self {
        Error::NotFound {
            what: Missing::Ticket,
            key: ticket.to_string(),
        }
    }

    /// The directory is unusable now.
    pub fn directory(message: impl Into<String>) -> Self {
        Error::Unavailable {
            code: "directory_unusable",
            message: message.into(),
        }
    }

    /// An internal failure: `cause` goes to the node's log, not to the caller.
    pub fn internal(context: &str, cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "{context}");
        Error::Internal
    }

    /// A store failure while `context`: a conflict is [`Error::Conflict`], a refused
    /// transition [`Error::Transition`], a missing row [`Error::NotFound`]; other failures
    /// are logged and say only that the store is unavailable.
    pub fn store(context: &str, e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => Error::Conflict,
            StoreError::Transition { error, .. } => Error::Transition(*error),
            StoreError::NotFound { what, key } => Error::NotFound {
                what: match what {
                    "ticket" | "case" => Missing::Ticket,
                    "attachment" => Missing::Attachment,
                    _ => Missing::Message,
                },
                key,
            },
            other => {
                tracing::error!(error = %other, "the store failed while {context}");
                Error::Unavailable {
                    code: "store_unavailable",
                    message: format!(
                        "this node cannot reach its database while {context}; try again shortly"
                    ),
                }
            }
        }
    }
}

/// `wrong_side` or `illegal_transition`.
pub fn transition_code(e: &TransitionError) -> &'static str {
    use cp247_case::state::Why;
    match e.why {
        Why::WrongSide { .. } => "wrong_side",
        Why::NotNow
        | Why::AlreadyPast { .. }
        | Why::NotYetExpired { .. }
        | Why::Frozen
        | Why::NotLater { .. }
        | Why::NothingBlocked
        | Why::ArticleNotAllowed { .. }
        | Why::NotAnExtension
        | Why::ExtensionCase
        | Why::UnknownRequestForInformation
        | Why::UnknownQuestion { .. }
        | Why::Inconsistent
        | Why::NotUrgent
        | Why::SelfReference
        | Why::NoOutcome
        | Why::TooMany { .. } => "illegal_transition",
    }
}
