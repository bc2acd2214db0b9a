//! [`Node`] → typed [`Reply`], collecting every problem.

use crate::shared::{Choice, DataCategory};
use crate::{Applicable, Document, FieldPath, Kind, Node};
use cp247_domain::{Channel, Instant, Urgency};
use jiff::SignedDuration;

use super::{
    Acknowledgement, Answer, ConditionsProposed, ConditionsResponse, DataDelivery, Decision,
    DelayNotice, EscalationNotice, Executed, ExtensionConfirmed, Ground, InformationProvided,
    ItemStatus, MediaType, Message, MessageError, MlaSubmittedNotice, NotExecuted, ParsedMessage,
    ParsedReply, PartialTrafficDisclosure, PartiallyExecuted, Postponed, PreservationConfirmed,
    PreservationExpiryWarning, PreservationItemStatus, PreservationReleased,
    PreservationRiskNotice, Referred, Refused, ReleaseReason, Reply, ReplyContext,
    RequestForInformation, RequesterDecision, RiskKind, Withdrawn,
};
use crate::decode::{
    Ctx, Obj, boolean, choice, condition, date, embedded_document, instant, invalid_choice,
    long_text, message_id, no_duplicates, provider, ranged, sha256, string, text, ticket_ref,
};
use crate::grounds::{GroundError, GroundKind, RefusalGround};
use crate::kind::{Article, MessageKind};
use crate::problem::{Code, Problem};

const DAY: SignedDuration = SignedDuration::from_hours(24);

/// `n` days of 24 hours (saturating).
fn days(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n.saturating_mul(DAY.as_secs()))
}

/// Reads a JSON reply, refusing input beyond [`crate::MAX_DOCUMENT_BYTES`] or
/// [`crate::MAX_DEPTH`]; a well-formed reply with problems gives `Ok` with the problems.
pub fn parse_reply_json(
    bytes: &[u8],
    ctx: &ReplyContext,
) -> Result<ParsedReply, crate::FormsError> {
    let node = Node::from_json(bytes)?;
    Ok(decode_reply(&node, ctx))
}

/// Decodes a reply on a case whose request gives `ctx`, reporting every problem.
pub fn decode_reply(node: &Node, ctx: &ReplyContext) -> ParsedReply {
    let mut c = Ctx::new();
    let reply = reply(&mut c, node, Some(ctx), None);
    finish(c, reply)
}

/// Decodes a reply without the case it belongs to (a file given on the command line): every
/// rule is checked except those that depend on the request it answers (reply kinds and refusal
/// grounds per article, item numbers, the requested period, extension or not).
pub fn decode_reply_without_case(node: &Node) -> ParsedReply {
    let mut c = Ctx::new();
    let reply = reply(&mut c, node, None, None);
    finish(c, reply)
}

/// Reads a JSON message body for an envelope whose header names `message_type`.
pub fn parse_message_json(
    message_type: &str,
    bytes: &[u8],
    case: Option<&ReplyContext>,
) -> Result<ParsedMessage, MessageError> {
    let node = Node::from_json(bytes)?;
    decode_message(message_type, &node, case)
}

/// Decodes the body of a message whose envelope names `message_type`. A request is decoded by
/// the forms crate and must be of the kind the header names (an `art29_extension_request` is
/// an Art. 29 document with `request_status: extension`); a reply is decoded against `case`,
/// the context of the case it belongs to. Without a case, only a request or an escalation
/// notice can be read.
pub fn decode_message(
    message_type: &str,
    node: &Node,
    case: Option<&ReplyContext>,
) -> Result<ParsedMessage, MessageError> {
    let kind = MessageKind::from_name(message_type)
        .ok_or_else(|| MessageError::UnknownType(message_type.chars().take(64).collect()))?;
    if kind.is_request() {
        let parsed = crate::decode(node);
        let mut report = parsed.report;
        let mut message = None;
        if let Some(doc) = parsed.document {
            match MessageKind::of_request(&doc) {
                Some(found) if found == kind => message = Some(Message::Request(doc)),
                found => {
                    // Same article, other kind: a new request sent as an extension or the
                    // reverse, which `request_status` decides.
                    let same_article =
                        found.and_then(MessageKind::request_article) == kind.request_article();
                    let path = if same_article {
                        FieldPath::root().key("request_status")
                    } else {
                        FieldPath::root().key("kind")
                    };
                    report.push(
                        Problem::new(Code::KindHeaderMismatch, path)
                            .with_arg("header", kind.name()),
                    );
                }
            }
        }
        return Ok(ParsedMessage {
            kind,
            message,
            report,
        });
    }
    if case.is_none() && kind != MessageKind::EscalationNotice {
        return Err(MessageError::NeedsCase(kind));
    }
    let mut c = Ctx::new();
    let reply = reply(&mut c, node, case, Some(kind));
    let parsed = finish(c, reply);
    Ok(ParsedMessage {
        kind,
        message: parsed.reply.map(Message::Reply),
        report: parsed.report,
    })
}

fn finish(c: Ctx, reply: Option<Reply>) -> ParsedReply {
    let reply = if c.report.is_valid() { reply } else { None };
    ParsedReply {
        reply,
        report: c.report,
    }
}

fn reply(
    c: &mut Ctx,
    node: &Node,
    ctx: Option<&ReplyContext>,
    header: Option<MessageKind>,
) -> Option<Reply> {
    let root = FieldPath::root();
    let mut o = c.object(node, &root)?;
    let kind = o.req(c, "kind", |c, n, p| {
        let s = string(c, n, p)?;
        match MessageKind::from_name(s).filter(|k| !k.is_request()) {
            Some(k) => Some(k),
            None => {
                c.problem(Code::UnknownReplyKind, p.clone());
                None
            }
        }
    });
    // Without a kind, the other fields cannot be told known from unknown.
    let kind = kind?;
    let kind_path = root.key("kind");
    if let Some(h) = header
        && h != kind
    {
        c.push(
            Problem::new(Code::KindHeaderMismatch, kind_path.clone()).with_arg("header", h.name()),
        );
    }
    if let Some(ctx) = ctx
        && !kind.allowed_for(ctx.article)
    {
        c.push(
            Problem::new(Code::KindNotAllowedForArticle, kind_path.clone())
                .with_arg("kind", kind.name())
                .with_arg("article", ctx.article.as_str()),
        );
    }
    let r = match kind {
        MessageKind::Acknowledgement => acknowledgement(c, &mut o).map(Reply::Acknowledgement),
        MessageKind::RequestForInformation => {
            request_for_information(c, &mut o).map(Reply::RequestForInformation)
        }
        MessageKind::InformationProvided => {
            information_provided(c, &mut o, ctx).map(|r| Reply::InformationProvided(Box::new(r)))
        }
        MessageKind::PreservationConfirmed => {
            if ctx.is_some_and(|x| x.extension) {
                c.problem(Code::ExtensionNeedsConfirmation, kind_path.clone());
            }
            preservation_confirmed(c, &mut o, ctx)
                .map(|r| Reply::PreservationConfirmed(Box::new(r)))
        }
        MessageKind::PreservationRiskNotice => {
            risk_notice(c, &mut o).map(Reply::PreservationRiskNotice)
        }
        MessageKind::RequesterDecision => {
            requester_decision(c, &mut o).map(Reply::RequesterDecision)
        }
        MessageKind::PartialTrafficDisclosure => partial_traffic_disclosure(c, &mut o)
            .map(|r| Reply::PartialTrafficDisclosure(Box::new(r))),
        MessageKind::Executed => executed(c, &mut o, ctx).map(Reply::Executed),
        MessageKind::PartiallyExecuted => {
            partially_executed(c, &mut o, ctx).map(Reply::PartiallyExecuted)
        }
        MessageKind::Refused => refused(c, &mut o, ctx).map(Reply::Refused),
        MessageKind::Postponed => postponed(c, &mut o).map(Reply::Postponed),
        MessageKind::ConditionsProposed => {
            conditions_proposed(c, &mut o).map(Reply::ConditionsProposed)
        }
        MessageKind::ConditionsResponse => {
            conditions_response(c, &mut o).map(Reply::ConditionsResponse)
        }
        MessageKind::DelayNotice => delay_notice(c, &mut o).map(Reply::DelayNotice),
        MessageKind::ExtensionConfirmed => {
            if let Some(ctx) = ctx
                && ctx.article == Article::Art29
                && !ctx.extension
            {
                c.problem(Code::NotAnExtension, kind_path.clone());
            }
            extension_confirmed(c, &mut o).map(Reply::ExtensionConfirmed)
        }
        MessageKind::MlaSubmittedNotice => mla_submitted(c, &mut o).map(Reply::MlaSubmittedNotice),
        MessageKind::PreservationExpiryWarning => {
            expiry_warning(c, &mut o).map(Reply::PreservationExpiryWarning)
        }
        MessageKind::PreservationReleased => released(c, &mut o).map(Reply::PreservationReleased),
        MessageKind::Referred => referred(c, &mut o).map(Reply::Referred),
        MessageKind::Withdrawn => withdrawn(c, &mut o).map(Reply::Withdrawn),
        MessageKind::EscalationNotice => {
            escalation(c, &mut o, ctx).map(|r| Reply::EscalationNotice(Box::new(r)))
        }
        MessageKind::PreservationRequest
        | MessageKind::ExtensionRequest
        | MessageKind::SubscriberInfoRequest
        | MessageKind::AssistanceRequest => None,
    };
    o.finish(c);
    r
}

// ---------------------------------------------------------------------------------------------
// Rules between fields

/// Reports `later` (at `path`) when it is before `earlier` (the field named `after`).
fn not_before(
    c: &mut Ctx,
    earlier: &Instant,
    later: &Instant,
    path: FieldPath,
    after: &str,
) -> bool {
    if later.timestamp() < earlier.timestamp() {
        c.push(Problem::new(Code::NotLater, path).with_arg("after", after));
        false
    } else {
        true
    }
}

/// Reports `later` (at `path`) unless it is strictly after `earlier`.
fn strictly_after(
    c: &mut Ctx,
    earlier: &Instant,
    later: &Instant,
    path: FieldPath,
    after: &str,
) -> bool {
    if later.timestamp() <= earlier.timestamp() {
        c.push(Problem::new(Code::NotLater, path).with_arg("after", after));
        false
    } else {
        true
    }
}

/// A refusal ground: `{"ground": …, "kind": …}`, checked against the article when the case is
/// known.
fn ground(
    c: &mut Ctx,
    node: &Node,
    path: &FieldPath,
    ctx: Option<&ReplyContext>,
) -> Option<Ground> {
    let mut o = c.object(node, path)?;
    let g = o.req(c, "ground", choice::<RefusalGround>);
    let k = o.req(c, "kind", choice::<GroundKind>);
    o.finish(c);
    let (g, k) = (g?, k?);
    let mut ok = true;
    if g.kind() != k {
        c.push(
            Problem::new(Code::GroundKindMismatch, path.key("kind"))
                .with_arg("expected", g.kind().as_str()),
        );
        ok = false;
    }
    if let Some(ctx) = ctx {
        match g.check(ctx.article, ctx.offences) {
            Ok(()) => {}
            Err(GroundError::NotAllowed { ground, article }) => {
                c.push(
                    Problem::new(Code::GroundNotAllowed, path.key("ground"))
                        .with_arg("ground", ground.as_str())
                        .with_arg("article", article.as_str()),
                );
                ok = false;
            }
            Err(GroundError::ConventionOffencesOnly) => {
                c.problem(Code::DualCriminalityConventionOffence, path.key("ground"));
                ok = false;
            }
        }
    }
    ok.then_some(Ground(g))
}

/// An item number (from 1), checked against the request's items when the case is known.
fn item_number(
    c: &mut Ctx,
    node: &Node,
    path: &FieldPath,
    ctx: Option<&ReplyContext>,
) -> Option<u16> {
    let n = ranged(c, node, path, 1, u64::from(u16::MAX))?;
    let n = u16::try_from(n).ok()?;
    if let Some(ctx) = ctx
        && n > ctx.items
    {
        c.push(
            Problem::new(Code::ItemOutOfRange, path.clone()).with_arg("max", ctx.items.to_string()),
        );
        return None;
    }
    Some(n)
}

fn media_type(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<MediaType> {
    crate::decode::formatted(c, node, path, Code::InvalidMediaType, MediaType::parse)
}

fn data_delivery(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<DataDelivery> {
    let mut o = c.object(node, path)?;
    let package_id = o.req(c, "package_id", text);
    let sha = o.req(c, "sha256", sha256);
    let format = o.req(c, "format", media_type);
    let size = o.req(c, "size_bytes", |c, n, p| {
        ranged(c, n, p, 1, DataDelivery::MAX_SIZE)
    });
    let categories = o.list(c, "categories", choice::<DataCategory>);
    let custody = o.field(c, "chain_of_custody", long_text);
    o.finish(c);
    let categories = categories?;
    if !no_duplicates(c, &categories, &path.key("categories"), |d| *d) {
        return None;
    }
    Some(DataDelivery {
        package_id: package_id?,
        sha256: sha?,
        format: format?,
        size_bytes: size?,
        categories,
        chain_of_custody: custody?,
    })
}

/// The result of an execution: at least a delivery or an answer; a delivery for Art. 31.
fn check_result(
    c: &mut Ctx,
    o: &Obj<'_>,
    delivery: &Applicable<DataDelivery>,
    answer: &Applicable<crate::shared::LongText>,
    ctx: Option<&ReplyContext>,
) -> bool {
    if ctx.is_some_and(|x| x.article == Article::Art31) && !delivery.is_value() {
        c.problem(Code::DataDeliveryRequired, o.path.key("data_delivery"));
        return false;
    }
    if !delivery.is_value() && !answer.is_value() {
        c.problem(Code::ExecutionWithoutResult, o.path.key("data_delivery"));
        return false;
    }
    true
}

// ---------------------------------------------------------------------------------------------
// The replies

fn acknowledgement(c: &mut Ctx, o: &mut Obj<'_>) -> Option<Acknowledgement> {
    let received_at = o.req(c, "received_at", instant);
    let receiver_reference = o.req(c, "receiver_reference", text);
    let assigned_handler = o.field(c, "assigned_handler", text);
    let next_step_eta = o.field(c, "next_step_eta", instant);
    let received_at = received_at?;
    let next_step_eta = next_step_eta?;
    if let Some(eta) = next_step_eta.value()
        && !not_before(
            c,
            &received_at,
            eta,
            o.path.key("next_step_eta"),
            "received_at",
        )
    {
        return None;
    }
    Some(Acknowledgement {
        received_at,
        receiver_reference: receiver_reference?,
        assigned_handler: assigned_handler?,
        next_step_eta,
    })
}

fn request_for_information(c: &mut Ctx, o: &mut Obj<'_>) -> Option<RequestForInformation> {
    let questions = o.list(c, "questions", long_text);
    let blocking = o.req(c, "blocking", boolean);
    let respond_by = o.field(c, "respond_by", instant);
    Some(RequestForInformation {
        questions: questions?,
        blocking: blocking?,
        respond_by: respond_by?,
    })
}

fn information_provided(
    c: &mut Ctx,
    o: &mut Obj<'_>,
    ctx: Option<&ReplyContext>,
) -> Option<InformationProvided> {
    let answers = o.list(c, "answers", |c, n, p| {
        let mut a = c.object(n, p)?;
        let question = a.req(c, "question", |c, n, p| {
            ranged(c, n, p, 1, crate::MAX_LIST_ITEMS as u64)
        });
        let answer = a.req(c, "answer", long_text);
        a.finish(c);
        Some(Answer {
            question: u16::try_from(question?).ok()?,
            answer: answer?,
        })
    });
    let allowed: Vec<Kind> = match ctx {
        Some(ctx) => vec![ctx.article.kind()],
        None => vec![Kind::Art29, Kind::Art31, Kind::Art35],
    };
    let updated = o.applicable(c, "updated_request", |c, n, p| {
        embedded_document(c, n, p, &allowed)
    });
    let answers = answers?;
    if !no_duplicates(c, &answers, &o.path.key("answers"), |a| a.question) {
        return None;
    }
    Some(InformationProvided {
        answers,
        updated_request: updated?,
    })
}

fn item_status(
    c: &mut Ctx,
    node: &Node,
    path: &FieldPath,
    ctx: Option<&ReplyContext>,
) -> Option<ItemStatus> {
    let mut o = c.object(node, path)?;
    let item = o.req(c, "item", |c, n, p| item_number(c, n, p, ctx));
    let status = o.req(c, "status", choice::<PreservationItemStatus>);
    let g = o.applicable(c, "ground", |c, n, p| ground(c, n, p, ctx));
    let note = o.field(c, "note", long_text);
    o.finish(c);
    let (status, g) = (status?, g?);
    let refused = status == PreservationItemStatus::Refused;
    if refused && !g.is_value() {
        c.push(
            Problem::new(Code::DetailRequired, path.key("ground"))
                .with_arg("field", "status")
                .with_arg("value", "refused"),
        );
        return None;
    }
    if !refused && g.is_value() {
        c.push(
            Problem::new(Code::DetailNotExpected, path.key("ground"))
                .with_arg("field", "status")
                .with_arg("value", status.as_str()),
        );
        return None;
    }
    Some(ItemStatus {
        item: item?,
        status,
        ground: g,
        note: note?,
    })
}

fn preservation_confirmed(
    c: &mut Ctx,
    o: &mut Obj<'_>,
    ctx: Option<&ReplyContext>,
) -> Option<PreservationConfirmed> {
    let preserved_at = o.req(c, "preserved_at", instant);
    let preserved_until = o.req(c, "preserved_until", instant);
    let providers = o.list(c, "providers", provider);
    let items = o.list(c, "items", |c, n, p| item_status(c, n, p, ctx));
    let notes = o.field(c, "notes", long_text);
    let disclosure = o.applicable(c, "traffic_disclosure", |c, n, p| match embedded_document(
        c,
        n,
        p,
        &[Kind::Art30],
    )? {
        Document::Art30(d) => Some(d),
        Document::Art29(_) | Document::Art31(_) | Document::Art35(_) => None,
    });
    let mut ok = true;
    if let (Some(at), Some(until)) = (&preserved_at, &preserved_until) {
        let span = at.timestamp().duration_until(until.timestamp());
        let until_path = o.path.key("preserved_until");
        if span < days(PreservationConfirmed::MIN_DAYS) {
            c.push(
                Problem::new(Code::PreservationTooShort, until_path)
                    .with_arg("min", PreservationConfirmed::MIN_DAYS.to_string()),
            );
            ok = false;
        } else if span > days(PreservationConfirmed::MAX_DAYS) {
            c.push(
                Problem::new(Code::PreservationTooLong, until_path)
                    .with_arg("max", PreservationConfirmed::MAX_DAYS.to_string()),
            );
            ok = false;
        } else if let Some(requested) = ctx.and_then(|x| x.requested_period_days)
            && span < days(i64::from(requested))
        {
            c.push(
                Problem::new(Code::PreservationShorterThanRequested, until_path)
                    .with_arg("days", requested.to_string()),
            );
        }
    }
    let items = items?;
    let items_path = o.path.key("items");
    if !no_duplicates(c, &items, &items_path, |i| i.item) {
        return None;
    }
    if let Some(ctx) = ctx {
        for n in 1..=ctx.items {
            if !items.iter().any(|i| i.item == n) {
                c.push(
                    Problem::new(Code::ItemStatusMissing, items_path.clone())
                        .with_arg("item", n.to_string()),
                );
                ok = false;
            }
        }
    }
    if !items.iter().any(|i| {
        matches!(
            i.status,
            PreservationItemStatus::Preserved | PreservationItemStatus::PartiallyPreserved
        )
    }) {
        c.problem(Code::NothingPreserved, items_path);
        ok = false;
    }
    let result = PreservationConfirmed {
        preserved_at: preserved_at?,
        preserved_until: preserved_until?,
        providers: providers?,
        items,
        notes: notes?,
        traffic_disclosure: disclosure?,
    };
    ok.then_some(result)
}

fn risk_notice(c: &mut Ctx, o: &mut Obj<'_>) -> Option<PreservationRiskNotice> {
    let risk = o.req(c, "risk", choice::<RiskKind>);
    let details = o.req(c, "details", long_text);
    let by = o.req(c, "decision_needed_by", instant);
    Some(PreservationRiskNotice {
        risk: risk?,
        details: details?,
        decision_needed_by: by?,
    })
}

fn requester_decision(c: &mut Ctx, o: &mut Obj<'_>) -> Option<RequesterDecision> {
    const NAMES: [&str; 3] = ["proceed", "withdraw", "modify"];
    let which = o.req(c, "decision", |c, n, p| {
        let s = string(c, n, p)?;
        match NAMES.iter().position(|x| *x == s) {
            Some(i) => Some(i),
            None => {
                invalid_choice(c, p, NAMES.into_iter());
                None
            }
        }
    });
    let modification = o.applicable(c, "modification", long_text);
    let explanation = o.field(c, "explanation", long_text);
    let (which, modification) = (which?, modification?);
    let path = o.path.key("modification");
    let decision = match (which, modification) {
        (2, Applicable::Value(modification)) => Decision::Modify { modification },
        (2, Applicable::NotApplicable(_)) => {
            c.push(
                Problem::new(Code::DetailRequired, path)
                    .with_arg("field", "decision")
                    .with_arg("value", "modify"),
            );
            return None;
        }
        (_, Applicable::Value(_)) => {
            let name = NAMES.get(which).copied().unwrap_or("proceed");
            c.push(
                Problem::new(Code::DetailNotExpected, path)
                    .with_arg("field", "decision")
                    .with_arg("value", name),
            );
            return None;
        }
        (0, Applicable::NotApplicable(no_modification)) => Decision::Proceed { no_modification },
        (_, Applicable::NotApplicable(no_modification)) => Decision::Withdraw { no_modification },
    };
    Some(RequesterDecision {
        decision,
        explanation: explanation?,
    })
}

fn partial_traffic_disclosure(c: &mut Ctx, o: &mut Obj<'_>) -> Option<PartialTrafficDisclosure> {
    let d = o.req(c, "disclosure", |c, n, p| {
        match embedded_document(c, n, p, &[Kind::Art30])? {
            Document::Art30(d) => Some(d),
            Document::Art29(_) | Document::Art31(_) | Document::Art35(_) => None,
        }
    });
    Some(PartialTrafficDisclosure { disclosure: d? })
}

fn executed(c: &mut Ctx, o: &mut Obj<'_>, ctx: Option<&ReplyContext>) -> Option<Executed> {
    let executed_at = o.req(c, "executed_at", instant);
    let delivery = o.applicable(c, "data_delivery", data_delivery);
    let answer = o.applicable(c, "answer", long_text);
    let conditions = o.opt_list(c, "conditions", condition);
    let (delivery, answer) = (delivery?, answer?);
    if !check_result(c, o, &delivery, &answer, ctx) {
        return None;
    }
    Some(Executed {
        executed_at: executed_at?,
        data_delivery: delivery,
        answer,
        conditions: conditions?,
    })
}

fn partially_executed(
    c: &mut Ctx,
    o: &mut Obj<'_>,
    ctx: Option<&ReplyContext>,
) -> Option<PartiallyExecuted> {
    let executed_at = o.req(c, "executed_at", instant);
    let delivery = o.applicable(c, "data_delivery", data_delivery);
    let answer = o.applicable(c, "answer", long_text);
    let not_executed = o.list(c, "not_executed", |c, n, p| {
        let mut x = c.object(n, p)?;
        let item = x.applicable(c, "item", |c, n, p| item_number(c, n, p, ctx));
        let g = x.req(c, "ground", |c, n, p| ground(c, n, p, ctx));
        let explanation = x.req(c, "explanation", long_text);
        x.finish(c);
        Some(NotExecuted {
            item: item?,
            ground: g?,
            explanation: explanation?,
        })
    });
    let conditions = o.opt_list(c, "conditions", condition);
    let (delivery, answer) = (delivery?, answer?);
    if !check_result(c, o, &delivery, &answer, ctx) {
        return None;
    }
    let not_executed = not_executed?;
    let items: Vec<Option<u16>> = not_executed
        .iter()
        .map(|n| n.item.value().copied())
        .collect();
    let path = o.path.key("not_executed");
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        if item.is_some() && items.get(..i).is_some_and(|before| before.contains(item)) {
            c.problem(Code::DuplicateItem, path.index(i).key("item"));
            ok = false;
        }
    }
    let result = PartiallyExecuted {
        executed_at: executed_at?,
        data_delivery: delivery,
        answer,
        not_executed,
        conditions: conditions?,
    };
    ok.then_some(result)
}

fn refused(c: &mut Ctx, o: &mut Obj<'_>, ctx: Option<&ReplyContext>) -> Option<Refused> {
    let grounds = o.list(c, "grounds", |c, n, p| ground(c, n, p, ctx));
    let explanation = o.req(c, "explanation", long_text);
    let alternatives = o.field(c, "alternatives", long_text);
    let grounds = grounds?;
    if !no_duplicates(c, &grounds, &o.path.key("grounds"), |g| g.0) {
        return None;
    }
    Some(Refused {
        grounds,
        explanation: explanation?,
        alternatives: alternatives?,
    })
}

fn postponed(c: &mut Ctx, o: &mut Obj<'_>) -> Option<Postponed> {
    let reason = o.req(c, "reason", long_text);
    let expected = o.field(c, "expected_date", date);
    Some(Postponed {
        reason: reason?,
        expected_date: expected?,
    })
}

fn conditions_proposed(c: &mut Ctx, o: &mut Obj<'_>) -> Option<ConditionsProposed> {
    let conditions = o.list(c, "conditions", condition);
    let explanation = o.field(c, "explanation", long_text);
    Some(ConditionsProposed {
        conditions: conditions?,
        explanation: explanation?,
    })
}

fn conditions_response(c: &mut Ctx, o: &mut Obj<'_>) -> Option<ConditionsResponse> {
    let accepted = o.req(c, "accepted", boolean);
    let explanation = o.applicable(c, "explanation", long_text);
    match (accepted?, explanation?) {
        (true, note) => Some(ConditionsResponse::Accepted { note }),
        (false, Applicable::Value(explanation)) => {
            Some(ConditionsResponse::CannotComply { explanation })
        }
        (false, Applicable::NotApplicable(_)) => {
            c.push(
                Problem::new(Code::DetailRequired, o.path.key("explanation"))
                    .with_arg("field", "accepted")
                    .with_arg("value", "false"),
            );
            None
        }
    }
}

fn delay_notice(c: &mut Ctx, o: &mut Obj<'_>) -> Option<DelayNotice> {
    let reason = o.req(c, "reason", long_text);
    let eta = o.req(c, "new_eta", instant);
    Some(DelayNotice {
        reason: reason?,
        new_eta: eta?,
    })
}

fn extension_confirmed(c: &mut Ctx, o: &mut Obj<'_>) -> Option<ExtensionConfirmed> {
    let previous = o.req(c, "previous_preserved_until", instant);
    let new = o.req(c, "new_preserved_until", instant);
    let (previous, new) = (previous?, new?);
    if !strictly_after(
        c,
        &previous,
        &new,
        o.path.key("new_preserved_until"),
        "previous_preserved_until",
    ) {
        return None;
    }
    Some(ExtensionConfirmed {
        previous_preserved_until: previous,
        new_preserved_until: new,
    })
}

fn mla_submitted(c: &mut Ctx, o: &mut Obj<'_>) -> Option<MlaSubmittedNotice> {
    let ticket = o.req(c, "mla_ticket", ticket_ref);
    let at = o.req(c, "submitted_at", instant);
    let channel = o.req(c, "channel", choice::<Channel>);
    let authority = o.req(c, "central_authority", text);
    Some(MlaSubmittedNotice {
        mla_ticket: ticket?,
        submitted_at: at?,
        channel: channel?,
        central_authority: authority?,
    })
}

fn expiry_warning(c: &mut Ctx, o: &mut Obj<'_>) -> Option<PreservationExpiryWarning> {
    let warned_at = o.req(c, "warned_at", instant);
    let expires_at = o.req(c, "expires_at", instant);
    let days_left = o.req(c, "days_left", |c, n, p| ranged(c, n, p, 0, 3650));
    let (warned_at, expires_at, days_left) = (warned_at?, expires_at?, days_left?);
    if !strictly_after(
        c,
        &warned_at,
        &expires_at,
        o.path.key("expires_at"),
        "warned_at",
    ) {
        return None;
    }
    let whole_days = warned_at
        .timestamp()
        .duration_until(expires_at.timestamp())
        .as_secs()
        / DAY.as_secs();
    if u64::try_from(whole_days).ok() != Some(days_left) {
        c.push(
            Problem::new(Code::DaysLeftMismatch, o.path.key("days_left"))
                .with_arg("expected", whole_days.to_string()),
        );
        return None;
    }
    Some(PreservationExpiryWarning {
        warned_at,
        expires_at,
        days_left: u32::try_from(days_left).ok()?,
    })
}

fn released(c: &mut Ctx, o: &mut Obj<'_>) -> Option<PreservationReleased> {
    let reason = o.req(c, "reason", choice::<ReleaseReason>);
    let at = o.req(c, "released_at", instant);
    let explanation = o.field(c, "explanation", long_text);
    Some(PreservationReleased {
        reason: reason?,
        released_at: at?,
        explanation: explanation?,
    })
}

fn referred(c: &mut Ctx, o: &mut Obj<'_>) -> Option<Referred> {
    let to = o.req(c, "referred_to", text);
    let at = o.req(c, "referred_at", instant);
    let contact = o.field(c, "contact", long_text);
    let explanation = o.field(c, "explanation", long_text);
    Some(Referred {
        referred_to: to?,
        referred_at: at?,
        contact: contact?,
        explanation: explanation?,
    })
}

fn withdrawn(c: &mut Ctx, o: &mut Obj<'_>) -> Option<Withdrawn> {
    let reason = o.req(c, "reason", long_text);
    Some(Withdrawn { reason: reason? })
}

fn escalation(
    c: &mut Ctx,
    o: &mut Obj<'_>,
    ctx: Option<&ReplyContext>,
) -> Option<EscalationNotice> {
    let original = o.req(c, "original_message", message_id);
    let sent_at = o.req(c, "original_sent_at", instant);
    let due_at = o.req(c, "acknowledgement_due_at", instant);
    let escalated_at = o.req(c, "escalated_at", instant);
    let urgency = o.req(c, "urgency", |c, n, p| {
        let u = choice::<Urgency>(c, n, p)?;
        if u == Urgency::Routine {
            c.problem(Code::EscalationNotUrgent, p.clone());
            return None;
        }
        Some(u)
    });
    let allowed: Vec<Kind> = match ctx {
        Some(ctx) => vec![ctx.article.kind()],
        None => vec![Kind::Art29, Kind::Art31, Kind::Art35],
    };
    let request = o.req(c, "request", |c, n, p| embedded_document(c, n, p, &allowed));
    let (sent_at, due_at, escalated_at) = (sent_at?, due_at?, escalated_at?);
    let ordered = not_before(
        c,
        &sent_at,
        &due_at,
        o.path.key("acknowledgement_due_at"),
        "original_sent_at",
    ) & not_before(
        c,
        &due_at,
        &escalated_at,
        o.path.key("escalated_at"),
        "acknowledgement_due_at",
    );
    let result = EscalationNotice {
        original_message: original?,
        original_sent_at: sent_at,
        acknowledgement_due_at: due_at,
        escalated_at,
        urgency: urgency?,
        request: request?,
    };
    ordered.then_some(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grounds::OffenceScope;

    fn ctx(article: Article) -> ReplyContext {
        ReplyContext {
            article,
            extension: false,
            offences: OffenceScope::IncludesOtherOffences,
            items: 2,
            requested_period_days: Some(90),
        }
    }

    fn codes(r: &ParsedReply) -> Vec<(String, String)> {
        r.report
            .problems()
            .iter()
            .map(|p| (p.code().to_string(), p.path().to_string()))
            .collect()
    }

    #[test]
    fn unknown_and_request_kinds_are_not_replies() {
        for kind in ["\"nonsense\"", "\"art29_request\"", "3"] {
            let json = format!("{{\"kind\": {kind}}}");
            let r = parse_reply_json(json.as_bytes(), &ctx(Article::Art29)).unwrap();
            assert!(r.reply.is_none());
            let (code, path) = codes(&r).remove(0);
            assert!(
                code == "unknown-reply-kind" || code == "wrong-type",
                "{code}"
            );
            assert_eq!(path, "kind");
        }
    }

    #[test]
    fn a_withdrawal_decodes_and_reports_unknown_keys() {
        let ok =
            br#"{"kind": "withdrawn", "reason": "The suspect was identified by other means."}"#;
        let r = parse_reply_json(ok, &ctx(Article::Art31)).unwrap();
        assert!(r.report.problems().is_empty(), "{:?}", r.report);
        assert!(matches!(r.reply, Some(Reply::Withdrawn(_))));
        let bad = br#"{"kind": "withdrawn", "reason": "", "extra": 1}"#;
        let r = parse_reply_json(bad, &ctx(Article::Art31)).unwrap();
        assert_eq!(
            codes(&r),
            vec![
                ("blank".to_owned(), "reason".to_owned()),
                ("unknown-field".to_owned(), "extra".to_owned())
            ]
        );
    }
}
