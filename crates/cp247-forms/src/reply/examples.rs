//! A complete, valid, realistic example of every reply, on the forms crate's example case (a
//! ransomware attack on a hospital in Lyon: France asks the Republic of Moldova to preserve
//! data, then for subscriber information).
//!
//! The examples are canonical JSON under `data/replies/`, embedded at compile time; the tests
//! check that each decodes without any problem in its context and that its text is exactly
//! what [`super::to_json_string`] writes. They document the wire format and feed the
//! command line's `example` commands.

use crate::{Kind, Node};

use super::{ParsedReply, ReplyContext, decode_reply};
use crate::kind::MessageKind;
use crate::problem::Report;

/// Why an embedded example does not decode (a bug in cp247, caught by its tests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExampleError {
    /// Requests have their examples in the forms crate.
    #[error("{0} is a request: its example is the forms crate's")]
    Request(MessageKind),
    /// The example is not valid.
    #[error(
        "the built-in {kind} example is not a valid reply ({count} problems): this is a bug in cp247"
    )]
    Invalid {
        /// Which example.
        kind: MessageKind,
        /// How many problems.
        count: usize,
        /// The problems.
        report: Report,
    },
}

/// The canonical JSON text of the example reply of `kind`; `None` for a request kind.
pub fn json(kind: MessageKind) -> Option<&'static str> {
    Some(match kind {
        MessageKind::PreservationRequest
        | MessageKind::ExtensionRequest
        | MessageKind::SubscriberInfoRequest
        | MessageKind::AssistanceRequest => return None,
        MessageKind::Acknowledgement => include_str!("../../data/replies/acknowledgement.json"),
        MessageKind::RequestForInformation => {
            include_str!("../../data/replies/request_for_information.json")
        }
        MessageKind::InformationProvided => {
            include_str!("../../data/replies/information_provided.json")
        }
        MessageKind::PreservationConfirmed => {
            include_str!("../../data/replies/preservation_confirmed.json")
        }
        MessageKind::PreservationRiskNotice => {
            include_str!("../../data/replies/preservation_risk_notice.json")
        }
        MessageKind::RequesterDecision => {
            include_str!("../../data/replies/requester_decision.json")
        }
        MessageKind::PartialTrafficDisclosure => {
            include_str!("../../data/replies/partial_traffic_disclosure.json")
        }
        MessageKind::Executed => include_str!("../../data/replies/executed.json"),
        MessageKind::PartiallyExecuted => {
            include_str!("../../data/replies/partially_executed.json")
        }
        MessageKind::Refused => include_str!("../../data/replies/refused.json"),
        MessageKind::Postponed => include_str!("../../data/replies/postponed.json"),
        MessageKind::ConditionsProposed => {
            include_str!("../../data/replies/conditions_proposed.json")
        }
        MessageKind::ConditionsResponse => {
            include_str!("../../data/replies/conditions_response.json")
        }
        MessageKind::DelayNotice => include_str!("../../data/replies/delay_notice.json"),
        MessageKind::ExtensionConfirmed => {
            include_str!("../../data/replies/extension_confirmed.json")
        }
        MessageKind::MlaSubmittedNotice => {
            include_str!("../../data/replies/mla_submitted_notice.json")
        }
        MessageKind::PreservationExpiryWarning => {
            include_str!("../../data/replies/preservation_expiry_warning.json")
        }
        MessageKind::PreservationReleased => {
            include_str!("../../data/replies/preservation_released.json")
        }
        MessageKind::Referred => include_str!("../../data/replies/referred.json"),
        MessageKind::Withdrawn => include_str!("../../data/replies/withdrawn.json"),
        MessageKind::EscalationNotice => include_str!("../../data/replies/escalation_notice.json"),
    })
}

/// The context of the example reply of `kind`: the forms crate's Art. 29 example request,
/// its extension (for `extension_confirmed`), or its Art. 31 example (for the replies that
/// Art. 29 does not have, and for conditions and referral).
pub fn context(kind: MessageKind) -> Result<ReplyContext, ExampleError> {
    let article = match kind {
        MessageKind::Executed
        | MessageKind::PartiallyExecuted
        | MessageKind::Postponed
        | MessageKind::ConditionsProposed
        | MessageKind::ConditionsResponse
        | MessageKind::Referred => Kind::Art31,
        MessageKind::PreservationRequest
        | MessageKind::ExtensionRequest
        | MessageKind::SubscriberInfoRequest
        | MessageKind::AssistanceRequest => return Err(ExampleError::Request(kind)),
        MessageKind::Acknowledgement
        | MessageKind::RequestForInformation
        | MessageKind::InformationProvided
        | MessageKind::PreservationConfirmed
        | MessageKind::PreservationRiskNotice
        | MessageKind::RequesterDecision
        | MessageKind::PartialTrafficDisclosure
        | MessageKind::Refused
        | MessageKind::DelayNotice
        | MessageKind::ExtensionConfirmed
        | MessageKind::MlaSubmittedNotice
        | MessageKind::PreservationExpiryWarning
        | MessageKind::PreservationReleased
        | MessageKind::Withdrawn
        | MessageKind::EscalationNotice => Kind::Art29,
    };
    let invalid = |report: Report| ExampleError::Invalid {
        kind,
        count: report.problems().len(),
        report,
    };
    let request = crate::examples::example(article).map_err(|_| invalid(Report::new()))?;
    let mut ctx = ReplyContext::for_request(&request).ok_or_else(|| invalid(Report::new()))?;
    ctx.extension = kind == MessageKind::ExtensionConfirmed;
    Ok(ctx)
}

/// The example reply of `kind`, decoded in its context.
pub fn example(kind: MessageKind) -> Result<ParsedReply, ExampleError> {
    let text = json(kind).ok_or(ExampleError::Request(kind))?;
    let ctx = context(kind)?;
    let invalid = |report: Report| ExampleError::Invalid {
        kind,
        count: report.problems().len(),
        report,
    };
    let node = Node::from_json(text.as_bytes()).map_err(|_| invalid(Report::new()))?;
    let parsed = decode_reply(&node, &ctx);
    if parsed.reply.is_some() && parsed.report.problems().is_empty() {
        Ok(parsed)
    } else {
        Err(invalid(parsed.report))
    }
}
