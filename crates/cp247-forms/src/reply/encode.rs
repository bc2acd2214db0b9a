//! Typed [`Reply`] → [`Node`]: canonical (keys in model order, every field present), the
//! inverse of [`super::decode_reply`].

use crate::Node;
use crate::shared::Choice;
use cp247_domain::Urgency;

use super::{
    Acknowledgement, Answer, ConditionsProposed, ConditionsResponse, DataDelivery, DelayNotice,
    EscalationNotice, Executed, ExtensionConfirmed, Ground, InformationProvided, ItemStatus,
    MediaType, MlaSubmittedNotice, NotExecuted, PartialTrafficDisclosure, PartiallyExecuted,
    Postponed, PreservationConfirmed, PreservationExpiryWarning, PreservationReleased,
    PreservationRiskNotice, Referred, Refused, Reply, RequestForInformation, RequesterDecision,
    Withdrawn,
};
use crate::encode::{Encode, Obj, choice};
use crate::{Applicable, Document};

/// Encodes a reply as a tree: `{"kind": "<message type>", …fields}`.
pub fn encode_reply(reply: &Reply) -> Node {
    let kind = reply.kind().name();
    match reply {
        Reply::Acknowledgement(r) => acknowledgement(Obj::kind(kind), r),
        Reply::RequestForInformation(r) => rfi(Obj::kind(kind), r),
        Reply::InformationProvided(r) => information(Obj::kind(kind), r),
        Reply::PreservationConfirmed(r) => preserved(Obj::kind(kind), r),
        Reply::PreservationRiskNotice(r) => risk(Obj::kind(kind), r),
        Reply::RequesterDecision(r) => decision(Obj::kind(kind), r),
        Reply::PartialTrafficDisclosure(r) => disclosure(Obj::kind(kind), r),
        Reply::Executed(r) => executed(Obj::kind(kind), r),
        Reply::PartiallyExecuted(r) => partially(Obj::kind(kind), r),
        Reply::Refused(r) => refused(Obj::kind(kind), r),
        Reply::Postponed(r) => postponed(Obj::kind(kind), r),
        Reply::ConditionsProposed(r) => conditions(Obj::kind(kind), r),
        Reply::ConditionsResponse(r) => conditions_response(Obj::kind(kind), r),
        Reply::DelayNotice(r) => delay(Obj::kind(kind), r),
        Reply::ExtensionConfirmed(r) => extension(Obj::kind(kind), r),
        Reply::MlaSubmittedNotice(r) => mla(Obj::kind(kind), r),
        Reply::PreservationExpiryWarning(r) => warning(Obj::kind(kind), r),
        Reply::PreservationReleased(r) => released(Obj::kind(kind), r),
        Reply::Referred(r) => referred(Obj::kind(kind), r),
        Reply::Withdrawn(r) => withdrawn(Obj::kind(kind), r),
        Reply::EscalationNotice(r) => escalation(Obj::kind(kind), r),
    }
}

/// The JSON text of a reply: canonical, indented, ends with a newline.
pub fn to_json_string(reply: &Reply) -> String {
    encode_reply(reply).to_json_pretty()
}

impl Encode for Ground {
    fn encode(&self) -> Node {
        Obj::new()
            .put("ground", &choice(self.0))
            .put("kind", &choice(self.0.kind()))
            .done()
    }
}

impl Encode for MediaType {
    fn encode(&self) -> Node {
        Node::string(self.as_str())
    }
}

impl Encode for Answer {
    fn encode(&self) -> Node {
        Obj::new()
            .put("question", &self.question)
            .put("answer", &self.answer)
            .done()
    }
}

impl Encode for ItemStatus {
    fn encode(&self) -> Node {
        Obj::new()
            .put("item", &self.item)
            .put("status", &choice(self.status))
            .put("ground", &self.ground)
            .put("note", &self.note)
            .done()
    }
}

impl Encode for DataDelivery {
    fn encode(&self) -> Node {
        let categories = Node::Array(
            self.categories
                .iter()
                .map(|c| Node::string(c.as_str()))
                .collect(),
        );
        Obj::new()
            .put("package_id", &self.package_id)
            .put("sha256", &self.sha256)
            .put("format", &self.format)
            .put("size_bytes", &self.size_bytes)
            .node("categories", categories)
            .put("chain_of_custody", &self.chain_of_custody)
            .done()
    }
}

impl Encode for NotExecuted {
    fn encode(&self) -> Node {
        Obj::new()
            .put("item", &self.item)
            .put("ground", &self.ground)
            .put("explanation", &self.explanation)
            .done()
    }
}

fn acknowledgement(o: Obj, r: &Acknowledgement) -> Node {
    o.put("received_at", &r.received_at)
        .put("receiver_reference", &r.receiver_reference)
        .put("assigned_handler", &r.assigned_handler)
        .put("next_step_eta", &r.next_step_eta)
        .done()
}

fn rfi(o: Obj, r: &RequestForInformation) -> Node {
    o.put("questions", &r.questions)
        .put("blocking", &r.blocking)
        .put("respond_by", &r.respond_by)
        .done()
}

fn information(o: Obj, r: &InformationProvided) -> Node {
    o.put("answers", &r.answers)
        .put("updated_request", &r.updated_request)
        .done()
}

fn preserved(o: Obj, r: &PreservationConfirmed) -> Node {
    let disclosure: Applicable<Document> = match &r.traffic_disclosure {
        Applicable::Value(d) => Applicable::Value(Document::Art30(d.clone())),
        Applicable::NotApplicable(reason) => Applicable::NotApplicable(reason.clone()),
    };
    o.put("preserved_at", &r.preserved_at)
        .put("preserved_until", &r.preserved_until)
        .put("providers", &r.providers)
        .put("items", &r.items)
        .put("notes", &r.notes)
        .put("traffic_disclosure", &disclosure)
        .done()
}

fn risk(o: Obj, r: &PreservationRiskNotice) -> Node {
    o.put("risk", &choice(r.risk))
        .put("details", &r.details)
        .put("decision_needed_by", &r.decision_needed_by)
        .done()
}

fn decision(o: Obj, r: &RequesterDecision) -> Node {
    o.node("decision", Node::string(r.decision.as_str()))
        .put("modification", &r.decision.modification())
        .put("explanation", &r.explanation)
        .done()
}

fn disclosure(o: Obj, r: &PartialTrafficDisclosure) -> Node {
    o.put("disclosure", &Document::Art30(r.disclosure.clone()))
        .done()
}

fn executed(o: Obj, r: &Executed) -> Node {
    o.put("executed_at", &r.executed_at)
        .put("data_delivery", &r.data_delivery)
        .put("answer", &r.answer)
        .put("conditions", &r.conditions)
        .done()
}

fn partially(o: Obj, r: &PartiallyExecuted) -> Node {
    o.put("executed_at", &r.executed_at)
        .put("data_delivery", &r.data_delivery)
        .put("answer", &r.answer)
        .put("not_executed", &r.not_executed)
        .put("conditions", &r.conditions)
        .done()
}

fn refused(o: Obj, r: &Refused) -> Node {
    o.put("grounds", &r.grounds)
        .put("explanation", &r.explanation)
        .put("alternatives", &r.alternatives)
        .done()
}

fn postponed(o: Obj, r: &Postponed) -> Node {
    o.put("reason", &r.reason)
        .put("expected_date", &r.expected_date)
        .done()
}

fn conditions(o: Obj, r: &ConditionsProposed) -> Node {
    o.put("conditions", &r.conditions)
        .put("explanation", &r.explanation)
        .done()
}

fn conditions_response(o: Obj, r: &ConditionsResponse) -> Node {
    match r {
        ConditionsResponse::Accepted { note } => {
            o.put("accepted", &true).put("explanation", note).done()
        }
        ConditionsResponse::CannotComply { explanation } => o
            .put("accepted", &false)
            .put("explanation", explanation)
            .done(),
    }
}

fn delay(o: Obj, r: &DelayNotice) -> Node {
    o.put("reason", &r.reason).put("new_eta", &r.new_eta).done()
}

fn extension(o: Obj, r: &ExtensionConfirmed) -> Node {
    o.put("previous_preserved_until", &r.previous_preserved_until)
        .put("new_preserved_until", &r.new_preserved_until)
        .done()
}

fn mla(o: Obj, r: &MlaSubmittedNotice) -> Node {
    o.put("mla_ticket", &r.mla_ticket)
        .put("submitted_at", &r.submitted_at)
        .put("channel", &choice(r.channel))
        .put("central_authority", &r.central_authority)
        .done()
}

fn warning(o: Obj, r: &PreservationExpiryWarning) -> Node {
    o.put("warned_at", &r.warned_at)
        .put("expires_at", &r.expires_at)
        .put("days_left", &r.days_left)
        .done()
}

fn released(o: Obj, r: &PreservationReleased) -> Node {
    o.put("reason", &choice(r.reason))
        .put("released_at", &r.released_at)
        .put("explanation", &r.explanation)
        .done()
}

fn referred(o: Obj, r: &Referred) -> Node {
    o.put("referred_to", &r.referred_to)
        .put("referred_at", &r.referred_at)
        .put("contact", &r.contact)
        .put("explanation", &r.explanation)
        .done()
}

fn withdrawn(o: Obj, r: &Withdrawn) -> Node {
    o.put("reason", &r.reason).done()
}

fn escalation(o: Obj, r: &EscalationNotice) -> Node {
    o.put("original_message", &r.original_message)
        .put("original_sent_at", &r.original_sent_at)
        .put("acknowledgement_due_at", &r.acknowledgement_due_at)
        .put("escalated_at", &r.escalated_at)
        .put("urgency", &choice::<Urgency>(r.urgency))
        .put("request", &r.request)
        .done()
}
