#!/usr/bin/env python3
"""Writes the corpus of faulty documents from the valid examples.

Each entry is one minimal change of an example in data/examples/ (or a few, for the entry that
shows that every problem is reported at once), written as invalid/NNN-name.json next to
invalid/NNN-name.expect, which lists the problems cp247 must report: one `code path` per line,
errors only, nothing more and nothing less. valid/ holds documents that are accepted with
warnings; their .expect lists the warnings.

Run from anywhere: python3 crates/cp247-forms/tests/corpus/make_corpus.py
The test tests/corpus.rs checks every entry; review the diff of the .json files like code.
"""

import copy
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
EXAMPLES = HERE.parent.parent / "data" / "examples"


def load(kind):
    return json.loads((EXAMPLES / f"{kind}.json").read_text(encoding="utf-8"))


BASE = {k: load(k) for k in ["art29", "art30", "art31", "art35"]}


def dig(doc, path):
    """The parent container and the last key of a dotted path with [n] indexes."""
    parts = []
    for part in path.split("."):
        while "[" in part:
            name, rest = part.split("[", 1)
            if name:
                parts.append(name)
            idx, part = rest.split("]", 1)
            parts.append(int(idx))
        if part:
            parts.append(part)
    node = doc
    for p in parts[:-1]:
        node = node[p]
    return node, parts[-1]


def set_(path, value):
    def f(doc):
        parent, last = dig(doc, path)
        parent[last] = value
    return f


def delete(path):
    def f(doc):
        parent, last = dig(doc, path)
        del parent[last]
    return f


def add(path, key, value):
    def f(doc):
        parent, last = dig(doc, path + ".x") if path else (doc, None)
        parent[key] = value
    return f


def na(reason):
    return {"not_applicable": {"reason": reason}}


def unknown(reason):
    return {"unknown": {"reason": reason}}


TICKET = BASE["art30"]["preservation_ticket"]

# (number, name, base kind, [changes], [expected "code path"])
INVALID = [
    # Each Art. 29(2)(a)-(f) item missing.
    (1, "missing-requesting-authority", "art29", [delete("requesting_authority")], ["missing-field requesting_authority"]),
    (2, "missing-offences", "art29", [delete("offences")], ["missing-field offences"]),
    (3, "missing-summary-of-facts", "art29", [delete("summary_of_facts")], ["missing-field summary_of_facts"]),
    (4, "missing-data-items", "art29", [delete("data_items")], ["missing-field data_items"]),
    (5, "missing-relationship-to-offence", "art29", [delete("relationship_to_offence")], ["missing-field relationship_to_offence"]),
    (6, "missing-custodian", "art29", [delete("custodian")], ["missing-field custodian"]),
    (7, "missing-necessity", "art29", [delete("necessity")], ["missing-field necessity"]),
    (8, "missing-mla-intention", "art29", [delete("mla_intention")], ["missing-field mla_intention"]),
    (9, "mla-intention-false", "art29", [set_("mla_intention", False)], ["mla-intention-required mla_intention"]),
    # Blank strings and placeholder reasons.
    (10, "blank-summary-of-facts", "art29", [set_("summary_of_facts", "   ")], ["blank summary_of_facts"]),
    (11, "blank-organisation", "art29", [set_("requesting_authority.organisation", "")], ["blank requesting_authority.organisation"]),
    (12, "reason-n-a", "art29", [set_("previous_ticket", na("n/a"))], ["placeholder-reason previous_ticket.not_applicable.reason"]),
    (13, "reason-dash", "art29", [set_("investigative_authority.fax", na("-"))], ["placeholder-reason investigative_authority.fax.not_applicable.reason"]),
    (14, "reason-none", "art29", [set_("custodian.providers[1].contact", unknown("none"))], ["placeholder-reason custodian.providers[1].contact.unknown.reason"]),
    (15, "reason-unknown", "art29", [set_("data_items[0].identifiers[1].observed.end", unknown("Unknown."))], ["placeholder-reason data_items[0].identifiers[1].observed.end.unknown.reason"]),
    (16, "reason-empty", "art29", [set_("offences[1].convention_offence", na(""))], ["blank offences[1].convention_offence.not_applicable.reason"]),
    # Lists.
    (17, "empty-offences", "art29", [set_("offences", [])], ["empty-list offences"]),
    (18, "empty-identifiers", "art29", [set_("data_items[1].identifiers", [])], ["empty-list data_items[1].identifiers"]),
    (19, "empty-optional-list", "art29", [set_("custodian.providers", [])], ["empty-optional-list custodian.providers"]),
    # Time.
    (20, "bare-local-time", "art29", [set_("data_items[1].identifiers[0].observed.start.instant", "2026-02-20T13:28:00")], ["missing-offset data_items[1].identifiers[0].observed.start.instant"]),
    (21, "time-range-reversed", "art29", [set_("data_items[0].time_range.end.instant", "2026-01-31T00:00:00+01:00")], ["time-range-reversed data_items[0].time_range.end"]),
    (22, "period-p30d", "art29", [set_("requested_period", "P30D")], ["period-too-short requested_period"]),
    (23, "period-in-months", "art29", [set_("requested_period", "P3M")], ["invalid-duration requested_period"]),
    (24, "urgent-without-justification", "art29", [set_("urgency_justification", na("The officer did not say why the request is urgent."))], ["urgency-justification-missing urgency_justification"]),
    # Party codes.
    (25, "party-code-uk", "art29", [set_("requested_authority.party", "UK")], ["party-code-uk requested_authority.party"]),
    (26, "organisation-as-requested-party", "art29", [set_("requested_authority.party", "EUROPOL")], ["organisation-not-allowed requested_authority.party"]),
    (27, "lower-case-party-code", "art29", [set_("requesting_authority.party", "fr")], ["invalid-party-code requesting_authority.party"]),
    # Contact and network formats.
    (28, "bad-email", "art29", [set_("requesting_authority.email", "ofac-247.example.org")], ["invalid-email requesting_authority.email"]),
    (29, "bad-phone", "art29", [set_("requesting_authority.phone", "01 99 00 12 34")], ["invalid-phone requesting_authority.phone"]),
    (30, "bad-url", "art29", [set_("data_items[0].identifiers[2].value", "exfil-drop.example.net/pay/HOPEX-7731")], ["invalid-url data_items[0].identifiers[2].value"]),
    (31, "bad-domain", "art29", [set_("data_items[0].identifiers[1].value", "exfil_drop.example.net")], ["invalid-domain data_items[0].identifiers[1].value"]),
    # Shape.
    (32, "unknown-field", "art29", [add("", "priority", "high")], ["unknown-field priority"]),
    (33, "wrong-type-boolean", "art29", [set_("request_confidential", "yes")], ["wrong-type request_confidential"]),
    (34, "wrong-type-port-as-text", "art29", [set_("data_items[1].identifiers[0].connection.port", "51234")], ["wrong-type data_items[1].identifiers[0].connection.port"]),
    # Rules between fields.
    (35, "extension-without-previous-ticket", "art29", [set_("request_status", "extension")], ["extension-without-previous-ticket previous_ticket"]),
    (36, "port-out-of-range", "art29", [set_("data_items[0].identifiers[0].connection.port", 70000)], ["invalid-port data_items[0].identifiers[0].connection.port"]),
    (37, "bad-ipv4", "art29", [set_("data_items[1].identifiers[0].value", "203.0.113.256")], ["invalid-ip-address data_items[1].identifiers[0].value"]),
    (38, "ipv4-given-as-ipv6", "art29", [set_("data_items[0].identifiers[0].kind", "ipv6")], ["invalid-ip-address data_items[0].identifiers[0].value"]),
    (39, "convention-offence-art12", "art29", [set_("offences[0].convention_offence", "art12")], ["invalid-convention-offence offences[0].convention_offence"]),
    (40, "convention-offence-unknown", "art29", [set_("offences[1].convention_offence", unknown("The prosecutor has not yet qualified the facts."))], ["unknown-not-allowed offences[1].convention_offence"]),
    (41, "bad-time-zone", "art29", [set_("requesting_authority.time_zone", "Europe/Lyon")], ["invalid-time-zone requesting_authority.time_zone"]),
    (42, "date-in-paper-format", "art29", [set_("request_date", "21/02/2026")], ["invalid-date request_date"]),
    (43, "mandatory-field-not-applicable", "art29", [set_("necessity", na("The data are not at risk of deletion."))], ["value-required necessity"]),
    (44, "duplicate-category", "art29", [set_("data_items[0].categories", ["subscriber", "traffic", "subscriber"])], ["duplicate-item data_items[0].categories[2]"]),
    (45, "connection-on-email", "art29", [set_("data_items[0].identifiers[3].connection", {"port": 25, "protocol": "tcp", "direction": "destination"})], ["connection-without-ip data_items[0].identifiers[3].connection"]),
    (46, "null-value", "art29", [set_("prosecution_or_court", None)], ["wrong-type prosecution_or_court"]),
    (47, "unknown-kind", "art29", [set_("kind", "art32")], ["unknown-kind kind"]),
    (48, "invalid-urgency", "art29", [set_("urgency", "high")], ["invalid-choice urgency"]),
    (49, "new-request-with-previous-ticket", "art29", [set_("previous_ticket", copy.deepcopy(TICKET))], ["previous-ticket-on-new-request previous_ticket"]),
    (50, "missing-authorising-official", "art29", [delete("authorising_official")], ["missing-field authorising_official"]),
    # Art. 30.
    (51, "art30-withholding-ground-not-allowed", "art30", [set_("withholding", {"ground": "data_not_held", "explanation": "The provider had deleted the logs of the second session."})], ["withholding-ground-not-allowed withholding.ground"]),
    (52, "art30-provider-country-unknown", "art30", [set_("other_state_providers[0].country", unknown("The registry record does not give a country."))], ["value-required other_state_providers[0].country"]),
    (53, "art30-empty-traffic-data", "art30", [set_("traffic_data_disclosed", [])], ["empty-list traffic_data_disclosed"]),
    (54, "art30-withholding-unknown", "art30", [set_("withholding", unknown("The provider has not said whether it kept data back."))], ["unknown-not-allowed withholding"]),
    (55, "art30-bad-ticket-id", "art30", [set_("preservation_ticket.ticket_id", "FR-26-7K3QZP8M")], ["invalid-ticket-id preservation_ticket.ticket_id"]),
    (56, "art30-truncated-ip", "art30", [set_("traffic_data_disclosed[0].source.address", "192.0.2")], ["invalid-ip-address traffic_data_disclosed[0].source.address"]),
    (57, "art30-asn-zero", "art30", [set_("traffic_data_disclosed[0].source_asn", 0)], ["out-of-range traffic_data_disclosed[0].source_asn"]),
    # Art. 31.
    (58, "art31-follow-up-without-ticket", "art31", [set_("previous_preservation", na("The preservation request was made by telephone."))], ["follow-up-without-earlier-ticket previous_preservation"]),
    (59, "art31-follow-up-mla-without-ticket", "art31", [set_("request_status", "follow_up_mla")], ["follow-up-without-earlier-ticket previous_mla"]),
    (60, "art31-empty-elements", "art31", [set_("elements_requested", [])], ["empty-list elements_requested"]),
    (61, "art31-bad-sha256", "art31", [set_("judicial_decisions[0].sha256", "9F2B5C1E7A4D3B8C6E0F1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F")], ["invalid-sha256 judicial_decisions[0].sha256"]),
    (62, "art31-bad-language", "art31", [set_("judicial_decisions[0].language", "French")], ["invalid-language judicial_decisions[0].language"]),
    (63, "art31-ticket-reference-missing", "art31", [set_("previous_preservation.ticket_id", unknown("The ticket number was lost.")), set_("previous_preservation.counterpart_reference", unknown("Moldova has not given its reference."))], ["ticket-reference-missing previous_preservation"]),
    (64, "art31-bad-imei", "art31", [set_("subscriber_targets[1].kind", "imei"), set_("subscriber_targets[1].value", "35209900176148")], ["invalid-device-code subscriber_targets[1].value"]),
    # Art. 35.
    (65, "art35-answer-needed-by-local-time", "art35", [set_("answer_needed_by", "2026-03-02T18:00:00")], ["missing-offset answer_needed_by"]),
    (66, "art35-empty-optional-identifiers", "art35", [set_("identifiers", [])], ["empty-optional-list identifiers"]),
    (67, "art35-invalid-assistance-type", "art35", [set_("assistance_type", "surveillance")], ["invalid-choice assistance_type"]),
    (68, "art35-routine-justification-unknown", "art35", [set_("urgency_justification", unknown("The duty officer did not record it."))], ["unknown-not-allowed urgency_justification"]),
    (69, "art35-emergency-without-justification", "art35", [set_("urgency", "emergency")], ["urgency-justification-missing urgency_justification"]),
    (70, "art35-question-too-long", "art35", [set_("question", "Which logs does the provider keep? " * 600)], ["too-long question"]),
    # Everything is reported at once.
    (71, "several-problems", "art29", [
        set_("requesting_authority.email", "ofac-247@"),
        set_("offences[0].max_penalty.months", 0),
        set_("urgency_justification", unknown("Not recorded by the duty officer.")),
        delete("necessity"),
        set_("data_items[1].identifiers[0].observed.end.instant", "2026-02-20 13:28"),
    ], [
        "invalid-email requesting_authority.email",
        "urgency-justification-missing urgency_justification",
        "out-of-range offences[0].max_penalty.months",
        "missing-offset data_items[1].identifiers[0].observed.end.instant",
        "missing-field necessity",
    ]),
    (73, "control-character", "art29", [set_("requesting_reference", "OFAC-2026\u00070142")], ["control-character requesting_reference"]),
    (75, "text-instead-of-object", "art29", [set_("requesting_authority", "OFAC, Nanterre")], ["wrong-type requesting_authority"]),
    (76, "marker-with-extra-key", "art29", [set_("previous_ticket", {"not_applicable": {"reason": "New request: nothing to extend.", "since": "2026-02-21"}})], ["unknown-field previous_ticket.not_applicable.since"]),
    (77, "marker-without-reason", "art29", [set_("previous_ticket", {"not_applicable": {}})], ["missing-field previous_ticket.not_applicable.reason"]),
    (78, "fractional-months", "art29", [set_("offences[0].max_penalty.months", 120.5)], ["wrong-type offences[0].max_penalty.months"]),
    (79, "urgency-as-number", "art35", [set_("urgency", 2)], ["wrong-type urgency"]),
    (80, "missing-kind", "art35", [delete("kind")], ["missing-field kind"]),
    (81, "art31-too-many-elements", "art31", [set_("elements_requested", ["identity"] * 201)], ["too-many-items elements_requested"]),
    (82, "art35-answer-needed-by-in-words", "art35", [set_("answer_needed_by", "next Monday, 18:00")], ["invalid-instant answer_needed_by"]),
]

# Entries whose text cannot come from a JSON object written by Python.
RAW = [
    (72, "duplicate-key", "art29",
     lambda text: text.replace('"requesting_reference": "OFAC-2026-0142",',
                               '"requesting_reference": "OFAC-2026-0142",\n  "requesting_reference": "OFAC-2026-0143",', 1),
     ["duplicate-field requesting_reference"]),
    (74, "list-at-top-level", "art29", lambda text: "[\n" + text.rstrip() + "\n]\n", ["wrong-type (document)"]),
]

# Valid documents that carry warnings.
VALID = [
    (101, "ipv4-without-port", "art29", [set_("data_items[1].identifiers[0].connection.port", unknown("The webmail provider's log does not record source ports."))],
     ["ipv4-without-port data_items[1].identifiers[0].connection.port"]),
    (102, "offset-not-of-zone", "art29", [set_("data_items[1].identifiers[0].observed.start.instant", "2026-02-20T13:28:00+02:00"), set_("data_items[1].identifiers[0].observed.end.instant", "2026-02-20T13:28:00+02:00")],
     ["offset-zone-mismatch data_items[1].identifiers[0].observed.start.instant", "offset-zone-mismatch data_items[1].identifiers[0].observed.end.instant"]),
    (103, "custodian-unidentified", "art29", [set_("custodian", {"providers": unknown("The address range is not registered to any provider we know."), "location_of_system": unknown("No information on the location is available.")})],
     ["custodian-unidentified custodian"]),
    (104, "art31-dynamic-ip-without-judicial-decision", "art31", [set_("judicial_decisions", na("French law does not require a court order for this request."))],
     ["dynamic-ip-without-judicial-decision judicial_decisions"]),
]


def dump(doc):
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write(folder, number, name, text, expected):
    folder.mkdir(exist_ok=True)
    stem = f"{number:03d}-{name}"
    (folder / f"{stem}.json").write_text(text, encoding="utf-8")
    (folder / f"{stem}.expect").write_text("".join(e + "\n" for e in expected), encoding="utf-8")


def main():
    invalid = HERE / "invalid"
    valid = HERE / "valid"
    for folder in (invalid, valid):
        for old in folder.glob("*.json"):
            old.unlink()
        for old in folder.glob("*.expect"):
            old.unlink()
    for number, name, kind, changes, expected in INVALID:
        doc = copy.deepcopy(BASE[kind])
        for change in changes:
            change(doc)
        write(invalid, number, name, dump(doc), expected)
    for number, name, kind, change, expected in RAW:
        write(invalid, number, name, change(dump(BASE[kind])), expected)
    for number, name, kind, changes, expected in VALID:
        doc = copy.deepcopy(BASE[kind])
        for change in changes:
            change(doc)
        write(valid, number, name, dump(doc), expected)


if __name__ == "__main__":
    main()
