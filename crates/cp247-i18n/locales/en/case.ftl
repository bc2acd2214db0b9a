# Case work (cp247-case): reply problems, the case state machine, message kinds, refusal
# grounds, deadlines and reminders. Keys are kebab-case. Messages never quote case data.

## Problems of replies: case-problem-<code>. Arguments: $path (always) and, per message,
## $kind, $article, $ground, $expected, $min, $max, $days, $item, $field, $value, $after, $header.

case-problem-unknown-reply-kind = { $path } must name the type of reply, e.g. acknowledgement, preservation_confirmed or refused.
case-problem-kind-header-mismatch = { $path } does not match the message type of the envelope ({ $header }).
case-problem-kind-not-allowed-for-article = { $path }: a request under { $article } has no { $kind } reply.
case-problem-ground-not-allowed = { $path }: { $ground } is not a ground on which a request under { $article } may be refused.
case-problem-dual-criminality-convention-offence = { $path }: the dual-criminality reservation of Art. 29(4) applies only to offences other than those of Arts. 2–11, and every offence of the request is one of them.
case-problem-ground-kind-mismatch = { $path } must be { $expected }: the kind of a ground is fixed, so that a reason of impossibility is never read as a legal refusal.
case-problem-preservation-too-short = { $path } must be at least { $min } days after preserved_at (Art. 29(7)).
case-problem-preservation-too-long = { $path } is more than { $max } days after preserved_at; check the date.
case-problem-preservation-shorter-than-requested = { $path } is earlier than the { $days } days the request asked for.
case-problem-nothing-preserved = { $path }: no item is preserved; send a refusal or say why nothing could be preserved.
case-problem-item-out-of-range = { $path } names an item the request does not have (it has { $max }).
case-problem-item-status-missing = { $path } gives no status for item { $item } of the request.
case-problem-execution-without-result = { $path }: an execution report needs a data delivery or an answer.
case-problem-data-delivery-required = { $path }: a request under Art. 31 is executed by delivering data.
case-problem-detail-required = { $path } is required when { $field } is { $value }.
case-problem-detail-not-expected = { $path } must be not_applicable (with its reason) when { $field } is { $value }.
case-problem-not-later = { $path } must be later than { $after }.
case-problem-days-left-mismatch = { $path } must be { $expected }, the number of whole days until expiry.
case-problem-embedded-document-kind = { $path } must be a document of kind { $expected }.
case-problem-invalid-media-type = { $path } is not a media type: write type/subtype, e.g. application/zip.
case-problem-invalid-message-id = { $path } is not a cp247 message id (a UUID version 7 in lower case).
case-problem-escalation-not-urgent = { $path }: only urgent and emergency requests are escalated.
case-problem-not-an-extension = { $path }: an extension confirmation answers an extension request, and this case is a new request.
case-problem-extension-needs-confirmation = { $path }: an extension request is answered by extension_confirmed (or a refusal), not by preservation_confirmed.

## Transitions of the case state machine.

case-transition = cannot { $event } a case that is { $state }
case-transition-because = { $head }: { $why }
case-event-send-request = send the request of
case-event-receive-request = receive the request of
case-event-send = send a message of type { $kind } on
case-event-receive = receive a message of type { $kind } on
case-event-system-receipt = record a system receipt for
case-event-escalated = escalate
case-event-escalation-received = record an escalation of
case-event-reminder = fire a { $kind } reminder for
case-event-lapsed = let lapse
case-event-extended = extend the preservation of
case-event-close = close
case-why-wrong-side = only the { $author } side sends this message
case-why-already-past = { $at } is already past
case-why-not-yet-expired = it is preserved until { $until }, which has not passed
case-why-frozen = its preservation is kept pending the decision on the request for mutual assistance (Art. 29(7)), so it does not expire
case-why-not-later = the new end is not later than the current one, { $current }
case-why-nothing-blocked = no blocking request for information is open
case-why-article = a case under { $article } has no such message
case-why-not-an-extension = only an extension request is answered by an extension confirmation
case-why-extension-case = an extension request is answered by an extension confirmation, and the preservation it extends stays on the earlier case
case-why-unknown-rfi = it answers no open request for information of this case
case-why-unknown-question = it answers a question the request for information does not have (it has { $max })
case-why-inconsistent = the message does not agree with the case's open requests for information
case-why-not-urgent = only urgent and emergency requests escalate
case-why-self-reference = a case cannot be extended by itself
case-why-no-outcome = it has no outcome yet
case-why-too-many = it already holds { $max } of them, the most a case may hold

## States.

case-state-draft = draft
case-state-sent = sent
case-state-delivered = delivered, not yet acknowledged
case-state-in-progress = in progress
case-state-info-requested = waiting for information
case-state-conditions-proposed = waiting for an answer to conditions
case-state-risk-notified = waiting for a decision after a risk notice
case-state-postponed = postponed
case-state-preserved = preserved
case-state-mla-pending = preserved pending the request for mutual assistance
case-state-executed = executed
case-state-partially-executed = partially executed
case-state-refused = refused
case-state-referred = referred
case-state-withdrawn = withdrawn
case-state-released = released
case-state-lapsed = lapsed
case-state-closed = closed

## Message kinds.

case-kind-art29-request = Preservation request (Art. 29)
case-kind-art29-extension-request = Extension of a preservation (Art. 29)
case-kind-art31-request = Request for subscriber information (Art. 31)
case-kind-art35-request = Request for assistance (Art. 35)
case-kind-acknowledgement = Acknowledgement
case-kind-request-for-information = Request for information
case-kind-information-provided = Information provided
case-kind-preservation-confirmed = Preservation confirmed
case-kind-preservation-risk-notice = Preservation risk notice (Art. 29(6))
case-kind-requester-decision = Requester's decision
case-kind-partial-traffic-disclosure = Disclosure of traffic data (Art. 30)
case-kind-executed = Executed
case-kind-partially-executed = Partially executed
case-kind-refused = Refused
case-kind-postponed = Postponed
case-kind-conditions-proposed = Conditions proposed
case-kind-conditions-response = Answer to conditions
case-kind-delay-notice = Delay notice
case-kind-extension-confirmed = Extension confirmed
case-kind-mla-submitted-notice = Request for mutual assistance submitted
case-kind-preservation-expiry-warning = Preservation expires soon
case-kind-preservation-released = Preservation released
case-kind-referred = Referred
case-kind-withdrawn = Withdrawn
case-kind-escalation-notice = Escalation

## Refusal grounds.

case-ground-political-offence = Political offence, or connected with one
case-ground-essential-interests = Sovereignty, security, ordre public or other essential interests
case-ground-dual-criminality-reservation = Dual criminality (Art. 29(4) reservation)
case-ground-domestic-law-or-treaty-ground = Ground under the requested Party's law or the applicable treaty
case-ground-prejudice-to-domestic-proceedings = Prejudice to domestic proceedings
case-ground-reservation-tool-not-applied = Tool reserved by the Party (Second Additional Protocol)
case-ground-missing-judicial-authorisation = Required judicial authorisation missing
case-ground-data-not-held = Impossible: the data are not held
case-ground-data-deleted = Impossible: the data were deleted
case-ground-provider-not-in-jurisdiction = Impossible: the provider is not in the jurisdiction
case-ground-insufficient-identifiers = Impossible: the identifiers are insufficient
case-ground-overly-broad = Impossible: the request is too broad
case-ground-other = Other

## Deadlines and reminders.

case-due-human-acknowledgement = Acknowledgement by a person
case-due-information-answer = Answer to a request for information
case-due-risk-decision = Decision after a risk notice
case-due-preservation-expiry = End of the preservation
case-due-mla-follow-up = Follow-up request for mutual assistance
case-due-next-step = Announced next step
case-reminder-acknowledgement-overdue = No acknowledgement by a person in time
case-reminder-answer-due = Answers to a request for information are due
case-reminder-risk-decision-due = A decision after a risk notice is due
case-reminder-preservation-expiring = The preservation ends in { $days } days
case-reminder-preservation-expired = The preservation has ended
case-reminder-mla-follow-up-due = The follow-up request for mutual assistance is due
case-reminder-next-step-overdue = The announced next step is overdue
