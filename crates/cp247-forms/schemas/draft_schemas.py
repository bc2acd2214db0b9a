#!/usr/bin/env python3
"""Drafting aid: writes cp247-forms.xsd and cp247-forms.schema.json (request documents) and
cp247-replies.xsd and cp247-replies.schema.json (replies, which share the request types), beside
this file, from one table of the document model, so that the schemas agree with each other.

The committed schemas are the reviewed artefacts. After a change to the model, update the table
below, run `python3 crates/cp247-forms/schemas/draft_schemas.py`, read the diff of both schemas
like code, and run `cargo test -p cp247-forms --test schema_agreement --test replies`."""
import json
import os
import re
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
NS = "urn:cp247:forms:1"
_party = open(os.path.join(HERE, "../../cp247-domain/src/party.rs")).read()
COUNTRIES = re.findall(r'"([A-Z]{2})"', _party[_party.index("const ISO_3166_1_ALPHA2"):_party.index("];")])
ORGS = ["EU", "EUROJUST", "EUROPOL", "INTERPOL"]
MAX_ITEMS = 200

# ---- scalar types: name -> (doc, xsd restriction body, json schema)
CTRL = r"\p{Cc}"
# XSD regexes are anchored implicitly; JSON Schema ones are not, so they get ^…$.
TEXT_X = r"[^\p{Cc}]*[^\p{Cc}\p{Z}\s][^\p{Cc}]*"
LONG_X = r"([\t\n\r]|[^\p{Cc}])*[^\p{Cc}\p{Z}\s]([\t\n\r]|[^\p{Cc}])*"
REASON_X = r"[^\p{Cc}]*\p{L}[^\p{Cc}]*[\s\p{Z}][^\p{Cc}]*\p{L}[^\p{Cc}]*"
# libxml2's \p{L} misses the CJK ideographs (its tables skip Unicode ranges), so the XSD says
# "a character that is not a control, space, punctuation, symbol or digit" for a letter.
XL = r"[^\p{Cc}\p{Z}\s\p{P}\p{S}\p{N}]"
REASON_XSD = r"[^\p{Cc}]*" + XL + r"[^\p{Cc}]*[\s\p{Z}][^\p{Cc}]*" + XL + r"[^\p{Cc}]*"
PLACEHOLDER_PHRASES = ["not known", "not applicable", "not available", "see above", "see below",
                       "sans objet", "non applicable", "non disponible"]
DATE_X = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
INSTANT_X = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+\-][0-9]{2}:[0-9]{2})"
ZONE_X = r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*"
TICKET_X = r"[A-Z]{2,8}-[0-9]{4}-[0-9A-HJKMNP-TV-Z]{4,12}"
PHONE_X = r"\+[1-9][0-9]{7,14}"
EMAIL_X = r"[^@\s\p{Cc}]{1,64}@[^@\s\p{Cc}]+\.[^@\s\p{Cc}]+"
URL_X = r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\p{Cc}/?#]+[^\s\p{Cc}]*"
# A label: ASCII letters, digits and hyphens, or non-ASCII letters (U-labels). XSD has no \x
# escapes, hence two spellings of "not ASCII".
LABEL_X = r"([A-Za-z0-9]|[^\p{IsBasicLatin}\s\p{Cc}\p{Z}])([A-Za-z0-9\-]|[^\p{IsBasicLatin}\s\p{Cc}\p{Z}])*"
LABEL_J = r"([A-Za-z0-9]|[^\x00-\x7F\s\p{Cc}\p{Z}])([A-Za-z0-9\-]|[^\x00-\x7F\s\p{Cc}\p{Z}])*"
DOMAIN_X = LABEL_X + r"(\." + LABEL_X + ")+"
DOMAIN_J = LABEL_J + r"(\." + LABEL_J + ")+"
LANG_X = r"[a-z]{2,3}(-[A-Za-z0-9]{1,8}){0,8}"
SHA_X = r"[0-9a-f]{64}"
OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_X = "(" + OCTET + r"\.){3}" + OCTET
IPV6_X = r"[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*"
PERIOD_X = r"P[0-9]{1,5}D"


def pat_json(x):
    return "^(" + x + ")$"


SCALARS = OrderedDict()


def scalar(name, doc, xsd, js):
    SCALARS[name] = (doc, xsd, js)


scalar("Text", "A one-line text: not blank, at most 500 characters, no control character.",
       [("maxLength", "500"), ("pattern", TEXT_X)],
       {"type": "string", "maxLength": 500, "pattern": pat_json(TEXT_X)})
scalar("LongText", "A text of several lines: not blank, at most 20 000 characters; tabs and line breaks are the only control characters.",
       [("maxLength", "20000"), ("pattern", LONG_X)],
       {"type": "string", "maxLength": 20000, "pattern": pat_json(LONG_X)})
scalar("Reason", "Why a field has no value: a sentence of at least two words with letters, at most 1 000 characters, one line. Placeholders (n/a, -, none, unknown, a single word) are refused; so are the placeholder phrases listed in the JSON Schema (XSD 1.0 regular expressions cannot exclude them).",
       [("maxLength", "1000"), ("pattern", REASON_XSD)],
       {"type": "string", "maxLength": 1000, "pattern": pat_json(REASON_X),
        "not": {"pattern": "^[\\s\\p{Z}]*(" + "|".join(
            "".join(f"[{c.upper()}{c}]" if c.isalpha() else ("\\s+" if c == " " else c) for c in p)
            for p in PLACEHOLDER_PHRASES) + ")[.!?…;:,]*[\\s\\p{Z}]*$"}})
scalar("Date", "An ISO 8601 calendar date, e.g. 2026-02-20.",
       [("pattern", DATE_X)], {"type": "string", "pattern": pat_json(DATE_X)})
scalar("Instant", "An RFC 3339 date-time with an explicit UTC offset, e.g. 2026-02-20T13:28:00+01:00.",
       [("pattern", INSTANT_X)], {"type": "string", "pattern": pat_json(INSTANT_X)})
scalar("TimeZone", "An IANA time-zone name, e.g. Europe/Paris.",
       [("maxLength", "64"), ("pattern", ZONE_X)],
       {"type": "string", "maxLength": 64, "pattern": pat_json(ZONE_X)})
scalar("TicketId", "A cp247 ticket id: PARTY-YEAR-CODE in Crockford base 32, e.g. FR-2026-7K3QZP.",
       [("pattern", TICKET_X)], {"type": "string", "pattern": pat_json(TICKET_X)})
scalar("Phone", "A phone number in E.164 form: +, then 8 to 15 digits, the first not 0.",
       [("pattern", PHONE_X)], {"type": "string", "pattern": pat_json(PHONE_X)})
scalar("Email", "An e-mail address, local-part@domain.",
       [("maxLength", "320"), ("pattern", EMAIL_X)],
       {"type": "string", "maxLength": 320, "pattern": pat_json(EMAIL_X)})
scalar("Url", "An absolute URL with a host.",
       [("maxLength", "2048"), ("pattern", URL_X)],
       {"type": "string", "maxLength": 2048, "pattern": pat_json(URL_X)})
scalar("DomainName", "A domain name of at least two labels, in A-label or U-label form.",
       [("maxLength", "1012"), ("pattern", DOMAIN_X)],
       {"type": "string", "maxLength": 1012, "pattern": pat_json(DOMAIN_J)})
scalar("LanguageTag", "A BCP 47 language tag, e.g. fr or en-GB.",
       [("pattern", LANG_X)], {"type": "string", "pattern": pat_json(LANG_X)})
scalar("Sha256", "A SHA-256 digest: 64 lower-case hexadecimal digits.",
       [("pattern", SHA_X)], {"type": "string", "pattern": pat_json(SHA_X)})
scalar("IpAddress", "An IPv4 address in dotted decimal or an IPv6 address.",
       [("maxLength", "45"), ("pattern", IPV4_X + "|" + IPV6_X)],
       {"type": "string", "maxLength": 45, "pattern": pat_json(IPV4_X + "|" + IPV6_X)})
scalar("PreservationPeriod", "An ISO 8601 duration in days, e.g. P90D (Art. 29(7): at least 60 days, checked by cp247).",
       [("pattern", PERIOD_X)], {"type": "string", "pattern": pat_json(PERIOD_X)})
scalar("CountryCode", "An ISO 3166-1 alpha-2 country code (GB, never UK).",
       [("enumeration", c) for c in COUNTRIES], {"enum": COUNTRIES})
scalar("PartyCode", "A country code, or one of the organisation codes EU, EUROJUST, EUROPOL, INTERPOL.",
       [("enumeration", c) for c in COUNTRIES + ORGS], {"enum": COUNTRIES + ORGS})
INTS = OrderedDict()
INTS["Port"] = ("A TCP or UDP port, 1 to 65535.", "xs:unsignedShort", 1, 65535)
INTS["Months"] = ("A number of months, 1 to 1200.", "xs:unsignedInt", 1, 1200)
INTS["Asn"] = ("An autonomous system number, 1 to 4294967294.", "xs:unsignedInt", 1, 4294967294)


def enum(name, doc, values):
    scalar(name, doc, [("enumeration", v) for v in values], {"enum": values})


enum("Urgency", "How fast the request must be handled.", ["routine", "urgent", "emergency"])
enum("Channel", "A way to communicate with an authority.",
     ["network_system", "encrypted_email", "phone", "fax", "interpol_i247", "central_authority",
      "diplomatic", "e_codex", "provider_portal", "other"])
enum("SourceClock", "Whose clock an instant was read from.", ["requester", "provider", "log", "unknown"])
enum("Protocol", "Transport protocol.", ["tcp", "udp"])
enum("Direction", "Whether the address was the source or the destination.", ["source", "destination"])
enum("IdentifierKind", "What an identifier is.",
     ["ipv4", "ipv6", "email", "phone", "username", "account_id", "url", "domain_name", "imei",
      "imsi", "iccid", "mac", "device_id", "payment_reference", "crypto_address", "tx_hash", "other"])
enum("DataCategory", "A category of data.",
     ["subscriber", "identification_only", "traffic", "content", "domain_registration"])
enum("ConventionArticle", "The Convention article (2 to 11) that defines the offence.",
     [f"art{i}" for i in range(2, 12)])
enum("AttachmentKind", "What an annexed document is.",
     ["court_order", "prosecutor_decision", "translation", "evidence", "other"])
enum("ConditionKind", "What a condition is about.",
     ["confidentiality", "use_limitation", "no_onward_transfer", "retention", "other"])
enum("PreservationStatusName", "New request, or extension of a previous one.", ["new", "extension"])
enum("SubscriberStatusName", "New request, or follow-up to an earlier MLA or preservation request.",
     ["new", "follow_up_mla", "follow_up_preservation"])
enum("Art30Ground", "The only grounds on which Art. 30(2) allows withholding.",
     ["political_offence", "essential_interests"])
enum("SubscriberElement", "An element of subscriber information (Art. 18(3)).",
     ["service_type", "technical_provisions", "period_of_service", "identity", "postal_address",
      "access_number", "billing_and_payment", "installation_site"])
enum("AssistanceType", "The kind of assistance asked (Art. 35(1)).",
     ["technical_advice", "legal_information", "locating_suspect", "evidence_collection",
      "provider_identification", "procedure_query", "other"])
# Booleans: XSD xs:boolean (true, false, 1, 0); JSON true/false.

# ---- structures: name -> list of (key, type, mode)
# modes: req (a value), field (value | not_applicable | unknown), app (value | not_applicable),
#        list (at least one item), optlist (items | not_applicable | unknown), set (list, no duplicates)
S = OrderedDict()
S["DateTimeTz"] = [("instant", "Instant", "req"), ("zone", "TimeZone", "field"),
                   ("original_text", "Text", "field"), ("source_clock", "SourceClock", "req")]
S["TimeRange"] = [("start", "DateTimeTz", "req"), ("end", "DateTimeTz", "field")]
S["Connection"] = [("port", "Port", "field"), ("protocol", "Protocol", "field"),
                   ("direction", "Direction", "field")]
S["Identifier"] = [("kind", "IdentifierKind", "req"), ("value", "Text", "req"),
                   ("connection", "Connection", "field"), ("observed", "TimeRange", "field"),
                   ("service", "Text", "field"), ("note", "LongText", "field")]
S["Authority"] = [("party", "CountryCode", "req"), ("organisation", "Text", "req"),
                  ("person_in_charge", "Text", "field"), ("address", "LongText", "field"),
                  ("phone", "Phone", "field"), ("mobile", "Phone", "field"),
                  ("email", "Email", "field"), ("fax", "Phone", "field"),
                  ("office_hours", "Text", "field"), ("time_zone", "TimeZone", "req"),
                  ("response_by_expedited_means", "boolean", "req"),
                  ("preferred_response_channel", "Channel", "field")]
S["InvestigativeAuthority"] = [(k, "PartyCode" if k == "party" else t, m) for k, t, m in S["Authority"]]
S["RequestedAuthority"] = [("party", "CountryCode", "req"), ("name", "Text", "req")]
S["ContactPerson"] = [("name", "Text", "req"), ("job_title", "Text", "field"),
                      ("function", "Text", "field"), ("phone", "Phone", "field"),
                      ("mobile", "Phone", "field"), ("email", "Email", "field")]
S["Penalty"] = [("text", "Text", "req"), ("months", "Months", "field")]
S["Offence"] = [("name", "Text", "req"), ("legal_provision", "Text", "req"),
                ("max_penalty", "Penalty", "field"), ("convention_offence", "ConventionArticle", "app"),
                ("description", "LongText", "field")]
S["ProviderRef"] = [("name", "Text", "req"), ("legal_entity", "Text", "field"),
                    ("country", "CountryCode", "field"), ("address", "LongText", "field"),
                    ("service", "Text", "field"), ("provider_reference", "Text", "field"),
                    ("contact", "Text", "field")]
S["OtherStateProvider"] = [(k, t, "req" if k == "country" else m) for k, t, m in S["ProviderRef"]]
S["Custodian"] = [("providers", "ProviderRef", "optlist"), ("location_of_system", "LongText", "field")]
S["TicketRef"] = [("ticket_id", "TicketId", "field"), ("counterpart_reference", "Text", "field"),
                  ("date", "Date", "req"), ("channel", "Channel", "req"),
                  ("requesting_contact", "LongText", "req"), ("executing_contact", "LongText", "field")]
S["DocumentRef"] = [("id", "Text", "req"), ("title", "Text", "req"), ("kind", "AttachmentKind", "req"),
                    ("language", "LanguageTag", "req"), ("sha256", "Sha256", "field"),
                    ("issued_by", "Text", "req"), ("issued_at", "Date", "field")]
S["Condition"] = [("kind", "ConditionKind", "req"), ("text", "LongText", "req"), ("basis", "Text", "field")]
S["AuthorisingOfficial"] = [("name", "Text", "req"), ("function", "Text", "req"), ("date", "Date", "req")]
S["CaseOffice"] = [("name", "Text", "req"), ("case_number", "Text", "field")]
S["DataItem"] = [("categories", "DataCategory", "set"), ("identifiers", "Identifier", "list"),
                 ("time_range", "TimeRange", "field"), ("service", "Text", "field"),
                 ("description", "LongText", "req")]
S["SocketAddress"] = [("address", "IpAddress", "req"), ("port", "Port", "field")]
S["TrafficRecord"] = [("at", "DateTimeTz", "req"), ("source", "SocketAddress", "req"),
                      ("destination", "SocketAddress", "req"), ("protocol", "Protocol", "field"),
                      ("destination_hostname", "DomainName", "field"), ("source_asn", "Asn", "field"),
                      ("destination_asn", "Asn", "field"), ("service", "Text", "field")]
S["Withholding"] = [("ground", "Art30Ground", "req"), ("explanation", "LongText", "req")]

DOCS = OrderedDict()
DOCS["art29"] = ("PreservationRequest", "Expedited preservation request, Art. 29 (with the Art. 30 ask).", [
    ("request_date", "Date", "req"), ("requesting_reference", "Text", "req"),
    ("request_status", "PreservationStatusName", "req"), ("previous_ticket", "TicketRef", "app"),
    ("requested_authority", "RequestedAuthority", "req"), ("requesting_authority", "Authority", "req"),
    ("confirmation_contact", "ContactPerson", "field"),
    ("investigative_authority", "InvestigativeAuthority", "field"),
    ("prosecution_or_court", "Text", "field"), ("urgency", "Urgency", "req"),
    ("urgency_justification", "LongText", "app"), ("request_confidential", "boolean", "req"),
    ("no_user_notification", "boolean", "req"), ("offences", "Offence", "list"),
    ("summary_of_facts", "LongText", "req"), ("data_items", "DataItem", "list"),
    ("relationship_to_offence", "LongText", "req"), ("custodian", "Custodian", "req"),
    ("necessity", "LongText", "req"), ("mla_intention", "true", "req"),
    ("planned_mla_by", "Date", "field"), ("planned_mla_channel", "Channel", "field"),
    ("request_partial_traffic_disclosure", "boolean", "req"),
    ("requested_period", "PreservationPeriod", "app"),
    ("authorising_official", "AuthorisingOfficial", "req")])
DOCS["art30"] = ("TrafficDisclosure", "Expedited disclosure of preserved traffic data, Art. 30.", [
    ("disclosure_date", "Date", "req"), ("disclosing_reference", "Text", "req"),
    ("preservation_ticket", "TicketRef", "req"), ("communication", "DataItem", "req"),
    ("other_state_providers", "OtherStateProvider", "list"), ("traffic_data_disclosed", "TrafficRecord", "list"),
    ("path_description", "LongText", "field"), ("looped_back_to_requester", "boolean", "field"),
    ("withholding", "Withholding", "app"), ("conditions", "Condition", "optlist"),
    ("authorising_official", "AuthorisingOfficial", "req")])
DOCS["art31"] = ("SubscriberInfoRequest", "Mutual assistance request for subscriber information, Art. 31.", [
    ("request_date", "Date", "req"), ("requesting_reference", "Text", "req"),
    ("request_status", "SubscriberStatusName", "req"), ("previous_mla", "TicketRef", "app"),
    ("previous_preservation", "TicketRef", "app"),
    ("requested_authority", "RequestedAuthority", "req"), ("requesting_authority", "Authority", "req"),
    ("confirmation_contact", "ContactPerson", "field"),
    ("investigative_authority", "InvestigativeAuthority", "field"),
    ("prosecution_office", "CaseOffice", "field"), ("court", "CaseOffice", "field"),
    ("judicial_decisions", "DocumentRef", "optlist"), ("domestic_legal_basis", "LongText", "field"),
    ("urgency", "Urgency", "req"), ("urgency_justification", "LongText", "app"),
    ("request_confidential", "boolean", "req"), ("offences", "Offence", "list"),
    ("summary_of_facts", "LongText", "req"), ("subscriber_targets", "Identifier", "list"),
    ("elements_requested", "SubscriberElement", "set"), ("relevance", "LongText", "req"),
    ("procedures_requested", "LongText", "field"), ("use_limitation", "LongText", "req"),
    ("conditions", "Condition", "optlist"), ("results_channel", "Channel", "field"),
    ("authorising_official", "AuthorisingOfficial", "req")])
DOCS["art35"] = ("AssistanceRequest", "Request for technical or legal assistance, Art. 35.", [
    ("request_date", "Date", "req"), ("requesting_reference", "Text", "req"),
    ("requested_authority", "RequestedAuthority", "req"), ("requesting_authority", "Authority", "req"),
    ("assistance_type", "AssistanceType", "req"), ("question", "LongText", "req"),
    ("context", "LongText", "field"), ("identifiers", "Identifier", "optlist"),
    ("offences", "Offence", "optlist"), ("answer_needed_by", "Instant", "field"),
    ("urgency", "Urgency", "req"), ("urgency_justification", "LongText", "app"),
    ("request_confidential", "boolean", "req"), ("authorising_official", "AuthorisingOfficial", "req")])


def xtype(t):
    if t == "boolean":
        return "Boolean"
    if t == "true":
        return "True"
    return t


# ---------------------------------------------------------------- XSD
def write_xsd(fname, header, roots, doc_types, structs, scalars, ints):
    """roots: (element name, type name, documentation); doc_types: (type name, fields);
    structs: name -> fields (each gets a group, a type and, where used, Field/Applicable)."""
    out = []
    w = out.append
    unique_names = set()
    w('<?xml version="1.0" encoding="UTF-8"?>')
    for line in header:
        w(line)
    w(f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:c="{NS}"')
    w(f'           targetNamespace="{NS}" elementFormDefault="qualified"')
    w('           attributeFormDefault="unqualified" version="1">')
    w('')
    w('  <!-- ===================================================== documents -->')
    for kind, tname, doc in roots:
        w(f'  <xs:element name="{kind}" type="c:{tname}">')
        w(f'    <xs:annotation><xs:documentation>{doc}</xs:documentation></xs:annotation>')
        w('  </xs:element>')
    w('')
    w('  <!-- ===================================================== markers -->')
    w('  <xs:complexType name="Marker">')
    w('    <xs:annotation><xs:documentation>not_applicable or unknown: why the field has no value.</xs:documentation></xs:annotation>')
    w('    <xs:attribute name="reason" type="c:Reason" use="required"/>')
    w('  </xs:complexType>')
    w('')


    def emit_field_element(key, t, mode, indent):
        """One child element of a structure."""
        pad = " " * indent
        if mode == "req":
            w(f'{pad}<xs:element name="{key}" type="c:{xtype(t)}"/>')
        elif mode in ("field", "app"):
            w(f'{pad}<xs:element name="{key}" type="c:{xtype(t)}{"Field" if mode == "field" else "Applicable"}"/>')
        elif mode == "list":
            w(f'{pad}<xs:element name="{key}" type="c:{xtype(t)}List"/>')
        elif mode == "set":
            w(f'{pad}<xs:element name="{key}" type="c:{xtype(t)}List">')
            # Identity constraints are global in a schema: a second one on the same key is numbered.
            uname = f"unique_{key}"
            n = 2
            while uname in unique_names:
                uname = f"unique_{key}_{n}"
                n += 1
            unique_names.add(uname)
            w(f'{pad}  <xs:unique name="{uname}"><xs:selector xpath="c:item"/><xs:field xpath="."/></xs:unique>')
            w(f'{pad}</xs:element>')
        elif mode == "any":
            w(f'{pad}<xs:any namespace="##targetNamespace" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>')
        elif mode == "optlist":
            w(f'{pad}<xs:element name="{key}" type="c:{xtype(t)}ListField"/>')


    wanted = {"Field": set(), "Applicable": set(), "List": set(), "ListField": set()}
    for name, fields in list(structs.items()) + list(doc_types):
        for key, t, mode in fields:
            if mode == "field":
                wanted["Field"].add(t)
            elif mode == "app":
                wanted["Applicable"].add(t)
            elif mode in ("list", "set"):
                wanted["List"].add(t)
            elif mode == "optlist":
                wanted["ListField"].add(t)

    w('  <!-- ===================================================== document types -->')
    for tname, fields in doc_types:
        w(f'  <xs:complexType name="{tname}">')
        w('    <xs:sequence>')
        for key, t, mode in fields:
            emit_field_element(key, t, mode, 6)
        w('    </xs:sequence>')
        w('  </xs:complexType>')
    w('')
    w('  <!-- ===================================================== structures -->')
    for name, fields in structs.items():
        w(f'  <xs:group name="{name}Fields">')
        w('    <xs:sequence>')
        for key, t, mode in fields:
            emit_field_element(key, t, mode, 6)
        w('    </xs:sequence>')
        w('  </xs:group>')
        w(f'  <xs:complexType name="{name}">')
        w(f'    <xs:group ref="c:{name}Fields"/>')
        w('  </xs:complexType>')
        for suffix, markers in (("Field", ["not_applicable", "unknown"]), ("Applicable", ["not_applicable"])):
            if name in wanted[suffix]:
                w(f'  <xs:complexType name="{name}{suffix}">')
                w('    <xs:choice>')
                w(f'      <xs:group ref="c:{name}Fields"/>')
                for m in markers:
                    w(f'      <xs:element name="{m}" type="c:Marker"/>')
                w('    </xs:choice>')
                w('  </xs:complexType>')
    w('')
    w('  <!-- ===================================================== lists -->')
    for t in sorted(wanted["List"] | wanted["ListField"]):
        w(f'  <xs:complexType name="{xtype(t)}List">')
        w('    <xs:sequence>')
        w(f'      <xs:element name="item" type="c:{xtype(t)}" maxOccurs="{MAX_ITEMS}"/>')
        w('    </xs:sequence>')
        w('  </xs:complexType>')
        if t in wanted["ListField"]:
            w(f'  <xs:complexType name="{xtype(t)}ListField">')
            w('    <xs:choice>')
            w(f'      <xs:element name="item" type="c:{xtype(t)}" maxOccurs="{MAX_ITEMS}"/>')
            w('      <xs:element name="not_applicable" type="c:Marker"/>')
            w('      <xs:element name="unknown" type="c:Marker"/>')
            w('    </xs:choice>')
            w('  </xs:complexType>')
    w('')
    w('  <!-- ===================================================== optional scalars -->')
    w('  <!-- XML Schema 1.0 cannot offer "text of type T, or one marker element": these types')
    w('       accept either, and leave the text to cp247 (and to the JSON Schema for JSON). -->')
    scalar_opt = sorted(t for t in (wanted["Field"] | wanted["Applicable"]) if t not in structs)
    for t in scalar_opt:
        for suffix, markers in (("Field", ["not_applicable", "unknown"]), ("Applicable", ["not_applicable"])):
            if t in wanted[suffix]:
                w(f'  <xs:complexType name="{xtype(t)}{suffix}" mixed="true">')
                w('    <xs:choice minOccurs="0">')
                for m in markers:
                    w(f'      <xs:element name="{m}" type="c:Marker"/>')
                w('    </xs:choice>')
                w('  </xs:complexType>')
    w('')
    w('  <!-- ===================================================== scalars -->')
    w('  <xs:simpleType name="Boolean">')
    w('    <xs:annotation><xs:documentation>true or false (1 and 0 are accepted too).</xs:documentation></xs:annotation>')
    w('    <xs:restriction base="xs:boolean"/>')
    w('  </xs:simpleType>')
    w('  <xs:simpleType name="True">')
    w('    <xs:annotation><xs:documentation>Always true: the statement is required (Art. 29(2)(f)).</xs:documentation></xs:annotation>')
    w('    <xs:restriction base="xs:boolean"><xs:pattern value="true|1"/></xs:restriction>')
    w('  </xs:simpleType>')


    def esc(v):
        return v.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


    for name, (doc, facets, _) in scalars.items():
        w(f'  <xs:simpleType name="{name}">')
        w(f'    <xs:annotation><xs:documentation>{esc(doc)}</xs:documentation></xs:annotation>')
        if facets and facets[0][0] == "enumeration" and len(facets) > 20:
            w('    <xs:restriction base="xs:string">')
            line = "     "
            for _, v in facets:
                item = f' <xs:enumeration value="{v}"/>'
                if len(line) + len(item) > 100:
                    w(line)
                    line = "     "
                line += item
            w(line)
            w('    </xs:restriction>')
        else:
            w('    <xs:restriction base="xs:string">')
            for f, v in facets:
                w(f'      <xs:{f} value="{esc(v)}"/>')
            w('    </xs:restriction>')
        w('  </xs:simpleType>')
    for name, (doc, base, lo, hi) in ints.items():
        w(f'  <xs:simpleType name="{name}">')
        w(f'    <xs:annotation><xs:documentation>{doc}</xs:documentation></xs:annotation>')
        w(f'    <xs:restriction base="{base}">')
        w('      <xs:pattern value="[0-9]+"/>')
        w(f'      <xs:minInclusive value="{lo}"/>')
        w(f'      <xs:maxInclusive value="{hi}"/>')
        w('    </xs:restriction>')
        w('  </xs:simpleType>')
    w('</xs:schema>')
    open(os.path.join(HERE, fname), 'w').write("\n".join(out) + "\n")



# ---------------------------------------------------------------- JSON Schema
def jref(t):
    if t == "boolean":
        return {"type": "boolean"}
    if t == "true":
        return {"const": True}
    return {"$ref": f"#/$defs/{t}"}


def jfield(t, mode):
    if mode == "req":
        return jref(t)
    if mode == "field":
        return {"anyOf": [jref(t), {"$ref": "#/$defs/NotApplicable"}, {"$ref": "#/$defs/Unknown"}]}
    if mode == "app":
        return {"anyOf": [jref(t), {"$ref": "#/$defs/NotApplicable"}]}
    arr = {"type": "array", "minItems": 1, "maxItems": MAX_ITEMS, "items": jref(t)}
    if mode == "set":
        arr["uniqueItems"] = True
    if mode in ("list", "set"):
        return arr
    if mode == "optlist":
        return {"anyOf": [arr, {"$ref": "#/$defs/NotApplicable"}, {"$ref": "#/$defs/Unknown"}]}
    raise ValueError(mode)


def jobject(fields, extra=None):
    props = OrderedDict()
    if extra:
        props.update(extra)
    for key, t, mode in fields:
        props[key] = jfield(t, mode)
    return {"type": "object", "properties": props, "required": list(props.keys()),
            "additionalProperties": False}


def ticket_rules(status_key, rules):
    """if status is X then these keys must be a ticket / must be not_applicable."""
    out = []
    for status, need, absent in rules:
        then = {"properties": {}}
        for k in need:
            then["properties"][k] = {"$ref": "#/$defs/TicketRef"}
        for k in absent:
            then["properties"][k] = {"$ref": "#/$defs/NotApplicable"}
        out.append({"if": {"properties": {status_key: {"const": status}}, "required": [status_key]},
                    "then": then})
    return out


URGENCY_RULE = {"if": {"properties": {"urgency": {"enum": ["urgent", "emergency"]}}, "required": ["urgency"]},
                "then": {"properties": {"urgency_justification": {"$ref": "#/$defs/LongText"}}}}

IDENT_VALUE = {"ipv4": IPV4_X, "ipv6": IPV6_X, "email": EMAIL_X, "phone": PHONE_X, "url": URL_X,
               "domain_name": DOMAIN_J, "imei": "[0-9]{15,16}", "imsi": "[0-9]{6,15}",
               "iccid": "89[0-9]{16,20}",
               "mac": "[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){5}"}

def write_json(fname, schema_id, title, description, docs, top_kinds, structs, scalars, ints,
               rules_of=None):
    """docs: kind -> (type name, documentation, fields), all defined; top_kinds: the kinds a
    document may be (the others are there to be embedded)."""
    defs = OrderedDict()
    defs["Reason"] = None  # placeholder to keep order: filled below
    defs["NotApplicable"] = {
        "description": "The field does not apply, and why.",
        "type": "object", "properties": {"not_applicable": {"$ref": "#/$defs/ReasonObject"}},
        "required": ["not_applicable"], "additionalProperties": False}
    defs["Unknown"] = {
        "description": "The field applies but its value is not known, and why.",
        "type": "object", "properties": {"unknown": {"$ref": "#/$defs/ReasonObject"}},
        "required": ["unknown"], "additionalProperties": False}
    defs["ReasonObject"] = {"type": "object", "properties": {"reason": {"$ref": "#/$defs/Reason"}},
                            "required": ["reason"], "additionalProperties": False}
    del defs["Reason"]

    top = []
    for kind, (tname, doc, fields) in docs.items():
        o = jobject(fields, {"kind": {"const": kind}})
        o = OrderedDict([("description", doc)] + list(o.items()))
        rules = [URGENCY_RULE] if any(k == "urgency" for k, _, _ in fields) else []
        if kind == "art29":
            rules += ticket_rules("request_status", [("new", [], ["previous_ticket"]),
                                                     ("extension", ["previous_ticket"], [])])
        if kind == "art31":
            rules += ticket_rules("request_status", [("new", [], ["previous_mla", "previous_preservation"]),
                                                     ("follow_up_mla", ["previous_mla"], []),
                                                     ("follow_up_preservation", ["previous_preservation"], [])])
        if rules:
            o["allOf"] = rules
        defs[tname] = o
        if kind in top_kinds:
            top.append({"$ref": f"#/$defs/{tname}"})

    for name, fields in structs.items():
        if name in JSON_ALIASES:
            defs[name] = JSON_ALIASES[name]
            continue
        o = jobject(fields)
        if name == "TicketRef":
            o["anyOf"] = [{"properties": {"ticket_id": {"$ref": "#/$defs/TicketId"}}},
                          {"properties": {"counterpart_reference": {"$ref": "#/$defs/Text"}}}]
        if name == "Identifier":
            o["allOf"] = [{"if": {"properties": {"kind": {"const": k}}, "required": ["kind"]},
                           "then": {"properties": {"value": {"pattern": pat_json(p)}}}}
                          for k, p in IDENT_VALUE.items()]
            # A connection (port, protocol, direction) has a value only for IP addresses.
            o["allOf"].append({"if": {"properties": {"kind": {"not": {"enum": ["ipv4", "ipv6"]}}}, "required": ["kind"]},
                               "then": {"properties": {"connection": {"anyOf": [{"$ref": "#/$defs/NotApplicable"}, {"$ref": "#/$defs/Unknown"}]}}}})
        defs[name] = o
    for name, (doc, _, js) in scalars.items():
        d = OrderedDict([("description", doc)])
        d.update(js)
        defs[name] = d
    for name, (doc, _, lo, hi) in ints.items():
        defs[name] = OrderedDict([("description", doc), ("type", "integer"), ("minimum", lo), ("maximum", hi)])

    if rules_of:
        for tname, extra in rules_of(defs).items():
            defs[tname].setdefault("allOf", []).extend(extra)

    schema = OrderedDict()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = schema_id
    schema["title"] = title
    schema["description"] = description
    schema["oneOf"] = top
    schema["$defs"] = defs
    open(os.path.join(HERE, fname), 'w').write(
        json.dumps(schema, indent=2, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- request documents
REQUEST_HEADER = [
    '<!--',
    '  cp247-forms.xsd: the XML form of cp247 request documents (Art. 29, 30, 31 and 35 of the',
    '  Budapest Convention on Cybercrime). XML Schema 1.0, namespace ' + NS + '.',
    '',
    '  Conventions (the same tree as the JSON form, see cp247-forms.schema.json):',
    '  * The root element names the document kind: art29, art30, art31 or art35.',
    '  * Every field is present, in the order given here (cp247 itself accepts any order).',
    '  * A list is a container element whose entries are all <item> elements.',
    '  * An optional field holds its value, or <not_applicable reason="..."/>, or (where the',
    '    author may not know) <unknown reason="..."/>. The reason is a sentence.',
    '  * Attributes are used only for that reason; no DTD, no entity, no processing instruction.',
    '',
    '  What XML Schema 1.0 cannot say, and cp247 checks (see the JSON Schema for some of it):',
    '  * the text of an optional scalar field (mixed content: either text or a marker element;',
    '    the value is checked by cp247 and by the JSON Schema, not here);',
    '  * rules between fields: the tickets that request_status requires, the justification that',
    '    urgency requires, identifier values that must match their kind, time-range order, the',
    '    offset of an instant against its zone, a period of at least 60 days, calendar validity of',
    '    dates, the placeholder phrases ("not applicable", "see above", ...) as reasons.',
    '-->',
]
write_xsd("cp247-forms.xsd", REQUEST_HEADER, [(k, t, d) for k, (t, d, _) in DOCS.items()],
          [(t, f) for t, _, f in DOCS.values()], S, SCALARS, INTS)
JSON_ALIASES = {}
write_json(
    "cp247-forms.schema.json", "urn:cp247:forms:1:schema.json", "cp247 request document",
    "The JSON form of cp247 request documents (Art. 29, 30, 31 and 35 of the Budapest Convention). "
    "Every field is present; an optional field holds its value or {\"not_applicable\": {\"reason\": \"...\"}} "
    "or {\"unknown\": {\"reason\": \"...\"}}; lists are never empty. Rules this schema cannot express "
    "(time-range order, offset against zone, a period of at least 60 days, calendar validity, "
    "ticket ids naming a real Party, check digits) are checked by cp247.",
    DOCS, set(DOCS), S, SCALARS, INTS)

# ---------------------------------------------------------------- replies
# Replies are written with the same conventions and the same shared types; a reply schema is
# self-contained (it carries the request types, for the documents a reply embeds).
RSCALARS = OrderedDict(SCALARS)
RINTS = OrderedDict(INTS)
UUID7_X = r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
MEDIA_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&\-^_.+]{0,126}"
MEDIA_X = MEDIA_NAME + "/" + MEDIA_NAME
RSCALARS["MessageId"] = ("A cp247 message id: a UUID version 7, hyphenated, lower case.",
                         [("pattern", UUID7_X)], {"type": "string", "pattern": pat_json(UUID7_X)})
RSCALARS["MediaType"] = ("A media type type/subtype without parameters, e.g. application/zip.",
                         [("maxLength", "255"), ("pattern", MEDIA_X)],
                         {"type": "string", "maxLength": 255, "pattern": pat_json(MEDIA_X)})


def renum(name, doc, values):
    RSCALARS[name] = (doc, [("enumeration", v) for v in values], {"enum": values})


GROUNDS = OrderedDict([
    ("political_offence", "legal"), ("essential_interests", "legal"),
    ("dual_criminality_reservation", "legal"), ("domestic_law_or_treaty_ground", "legal"),
    ("prejudice_to_domestic_proceedings", "legal"), ("reservation_tool_not_applied", "legal"),
    ("missing_judicial_authorisation", "legal"), ("data_not_held", "impossibility"),
    ("data_deleted", "impossibility"), ("provider_not_in_jurisdiction", "impossibility"),
    ("insufficient_identifiers", "impossibility"), ("overly_broad", "impossibility"),
    ("other", "other")])
renum("RefusalGround", "A ground for refusing or not executing (which grounds an article allows is checked by cp247).",
      list(GROUNDS))
renum("GroundKind", "Whether a ground is legal, an impossibility, or other: the ground's own kind.",
      ["legal", "impossibility", "other"])
renum("PreservationItemStatus", "What happened to one item of a preservation request.",
      ["preserved", "partially_preserved", "not_found", "already_deleted", "not_in_jurisdiction", "refused"])
renum("RiskKind", "Why preservation is risky (Art. 29(6)).",
      ["availability_not_ensured", "confidentiality_threatened", "investigation_prejudiced"])
renum("ReleaseReason", "Why preserved data are released.",
      ["no_longer_needed", "lapsed", "mla_executed", "mla_refused"])
renum("DecisionName", "The requester's decision after a risk notice.", ["proceed", "withdraw", "modify"])
renum("Art30Kind", "The kind of an embedded Art. 30 disclosure.", ["art30"])
renum("RequestKind", "The kind of an embedded request document.", ["art29", "art31", "art35"])
RINTS["ItemNumber"] = ("The number of an item of the request, from 1.", "xs:unsignedShort", 1, 65535)
RINTS["QuestionNumber"] = ("The number of a question, from 1.", "xs:unsignedShort", 1, MAX_ITEMS)
RINTS["SizeBytes"] = ("A size in bytes, 1 to 2^53 - 1.", "xs:unsignedLong", 1, 9007199254740991)
RINTS["DaysLeft"] = ("Whole days left, 0 to 3650.", "xs:unsignedShort", 0, 3650)

RS = OrderedDict(S)
RS["Ground"] = [("ground", "RefusalGround", "req"), ("kind", "GroundKind", "req")]
RS["Answer"] = [("question", "QuestionNumber", "req"), ("answer", "LongText", "req")]
RS["ItemStatus"] = [("item", "ItemNumber", "req"), ("status", "PreservationItemStatus", "req"),
                    ("ground", "Ground", "app"), ("note", "LongText", "field")]
RS["DataDelivery"] = [("package_id", "Text", "req"), ("sha256", "Sha256", "req"),
                      ("format", "MediaType", "req"), ("size_bytes", "SizeBytes", "req"),
                      ("categories", "DataCategory", "set"), ("chain_of_custody", "LongText", "field")]
RS["NotExecuted"] = [("item", "ItemNumber", "app"), ("ground", "Ground", "req"),
                     ("explanation", "LongText", "req")]
# An embedded Art. 30 disclosure: its kind, then the fields of the document.
RS["Art30Document"] = [("kind", "Art30Kind", "req")] + DOCS["art30"][2]
# An embedded request (art29, art31 or art35): XML Schema 1.0 cannot choose the fields by the
# kind, so the XSD checks the kind and leaves the fields to cp247 and the JSON Schema.
RS["RequestDocument"] = [("kind", "RequestKind", "req"), ("fields", "", "any")]

REPLIES = OrderedDict()
REPLIES["acknowledgement"] = ("Acknowledgement", "A person of the requested Party acknowledges the request (Arts. 25(3), 35).", [
    ("received_at", "Instant", "req"), ("receiver_reference", "Text", "req"),
    ("assigned_handler", "Text", "field"), ("next_step_eta", "Instant", "field")])
REPLIES["request_for_information"] = ("RequestForInformation", "The request is incomplete or unclear (Art. 27(6)).", [
    ("questions", "LongText", "list"), ("blocking", "boolean", "req"), ("respond_by", "Instant", "field")])
REPLIES["information_provided"] = ("InformationProvided", "The answers to a request for information.", [
    ("answers", "Answer", "list"), ("updated_request", "RequestDocument", "app")])
REPLIES["preservation_confirmed"] = ("PreservationConfirmed", "The data are preserved (Art. 29(3), (7)).", [
    ("preserved_at", "Instant", "req"), ("preserved_until", "Instant", "req"),
    ("providers", "ProviderRef", "list"), ("items", "ItemStatus", "list"),
    ("notes", "LongText", "field"), ("traffic_disclosure", "Art30Document", "app")])
REPLIES["preservation_risk_notice"] = ("PreservationRiskNotice", "Preservation will not ensure availability or threatens the investigation (Art. 29(6)).", [
    ("risk", "RiskKind", "req"), ("details", "LongText", "req"), ("decision_needed_by", "Instant", "req")])
REPLIES["requester_decision"] = ("RequesterDecision", "The requester's decision after a risk notice (Art. 29(6)).", [
    ("decision", "DecisionName", "req"), ("modification", "LongText", "app"),
    ("explanation", "LongText", "field")])
REPLIES["partial_traffic_disclosure"] = ("PartialTrafficDisclosure", "Expedited disclosure of preserved traffic data (Art. 30).", [
    ("disclosure", "Art30Document", "req")])
REPLIES["executed"] = ("Executed", "The request is executed (Art. 27(7)).", [
    ("executed_at", "Instant", "req"), ("data_delivery", "DataDelivery", "app"),
    ("answer", "LongText", "app"), ("conditions", "Condition", "optlist")])
REPLIES["partially_executed"] = ("PartiallyExecuted", "Part of the request is executed (Art. 27(6)-(7)).", [
    ("executed_at", "Instant", "req"), ("data_delivery", "DataDelivery", "app"),
    ("answer", "LongText", "app"), ("not_executed", "NotExecuted", "list"),
    ("conditions", "Condition", "optlist")])
REPLIES["refused"] = ("Refused", "The request is refused (Arts. 27(4), 29(4)-(5), 30(2)).", [
    ("grounds", "Ground", "list"), ("explanation", "LongText", "req"),
    ("alternatives", "LongText", "field")])
REPLIES["postponed"] = ("Postponed", "Execution is postponed (Art. 27(5)).", [
    ("reason", "LongText", "req"), ("expected_date", "Date", "field")])
REPLIES["conditions_proposed"] = ("ConditionsProposed", "Execution subject to conditions (Arts. 27(6), 28(2)).", [
    ("conditions", "Condition", "list"), ("explanation", "LongText", "field")])
REPLIES["conditions_response"] = ("ConditionsResponse", "The requester's answer to conditions (Art. 28(3)).", [
    ("accepted", "boolean", "req"), ("explanation", "LongText", "app")])
REPLIES["delay_notice"] = ("DelayNotice", "A significant delay is likely (Art. 27(7)).", [
    ("reason", "LongText", "req"), ("new_eta", "Instant", "req")])
REPLIES["extension_confirmed"] = ("ExtensionConfirmed", "An extension request is granted.", [
    ("previous_preserved_until", "Instant", "req"), ("new_preserved_until", "Instant", "req")])
REPLIES["mla_submitted_notice"] = ("MlaSubmittedNotice", "The request for mutual assistance is submitted (Art. 29(7)).", [
    ("mla_ticket", "TicketRef", "req"), ("submitted_at", "Instant", "req"),
    ("channel", "Channel", "req"), ("central_authority", "Text", "req")])
REPLIES["preservation_expiry_warning"] = ("PreservationExpiryWarning", "A preservation expires soon.", [
    ("warned_at", "Instant", "req"), ("expires_at", "Instant", "req"), ("days_left", "DaysLeft", "req")])
REPLIES["preservation_released"] = ("PreservationReleased", "The preserved data are released.", [
    ("reason", "ReleaseReason", "req"), ("released_at", "Instant", "req"),
    ("explanation", "LongText", "field")])
REPLIES["referred"] = ("Referred", "Forwarded to the competent authority (Art. 27(9)(c)).", [
    ("referred_to", "Text", "req"), ("referred_at", "Instant", "req"),
    ("contact", "LongText", "field"), ("explanation", "LongText", "field")])
REPLIES["withdrawn"] = ("Withdrawn", "The requester withdraws the request.", [("reason", "LongText", "req")])
REPLIES["escalation_notice"] = ("EscalationNotice", "An urgent request was not acknowledged in time: the request again, for the other contact point.", [
    ("original_message", "MessageId", "req"), ("original_sent_at", "Instant", "req"),
    ("acknowledgement_due_at", "Instant", "req"), ("escalated_at", "Instant", "req"),
    ("urgency", "Urgency", "req"), ("request", "RequestDocument", "req")])

REPLY_HEADER = [
    '<!--',
    '  cp247-replies.xsd: the XML form of cp247 replies (every reply of a case on a request under',
    '  Art. 29, 31 or 35 of the Budapest Convention on Cybercrime). XML Schema 1.0, namespace',
    '  ' + NS + ', the namespace of request documents (cp247-forms.xsd).',
    '',
    '  Conventions: those of request documents (see cp247-forms.xsd and cp247-replies.schema.json).',
    '  * The root element names the reply kind, the message_type of the envelope: acknowledgement,',
    '    refused, preservation_confirmed, ...',
    '  * A request document embedded in a reply (an Art. 30 disclosure, the request of an',
    '    escalation notice, an updated request) is an element whose first child is <kind>.',
    '',
    '  What XML Schema 1.0 cannot say, and cp247 checks: what request documents leave to cp247;',
    '  the fields of an embedded art29/art31/art35 request (the XSD checks its kind only; the JSON',
    '  Schema checks them); that a ground has its own kind; the rules that depend on the case',
    '  (reply kinds and refusal grounds per article, item numbers, the requested period); the',
    '  60-day minimum of Art. 29(7); instants in order; days_left against the two instants.',
    '-->',
]
write_xsd("cp247-replies.xsd", REPLY_HEADER, [(k, t, d) for k, (t, d, _) in REPLIES.items()],
          [(t, f) for t, _, f in REPLIES.values()], RS, RSCALARS, RINTS)

JSON_ALIASES = {
    "Art30Document": {"$ref": "#/$defs/TrafficDisclosure"},
    "RequestDocument": {"oneOf": [{"$ref": "#/$defs/PreservationRequest"},
                                  {"$ref": "#/$defs/SubscriberInfoRequest"},
                                  {"$ref": "#/$defs/AssistanceRequest"}]},
}


def reply_rules(defs):
    """The rules between fields of replies that if/then can say."""
    ground = [{"if": {"properties": {"ground": {"enum": [g for g, k in GROUNDS.items() if k == kind]}},
                      "required": ["ground"]},
               "then": {"properties": {"kind": {"const": kind}}}}
              for kind in ["legal", "impossibility", "other"]]
    decision = [{"if": {"properties": {"decision": {"const": "modify"}}, "required": ["decision"]},
                 "then": {"properties": {"modification": {"$ref": "#/$defs/LongText"}}},
                 "else": {"properties": {"modification": {"$ref": "#/$defs/NotApplicable"}}}}]
    cannot = [{"if": {"properties": {"accepted": {"const": False}}, "required": ["accepted"]},
               "then": {"properties": {"explanation": {"$ref": "#/$defs/LongText"}}}}]
    return {"Ground": ground, "RequesterDecision": decision, "ConditionsResponse": cannot}


ALL_DOCS = OrderedDict(list(DOCS.items()) + list(REPLIES.items()))
write_json(
    "cp247-replies.schema.json", "urn:cp247:forms:1:replies.schema.json", "cp247 reply",
    "The JSON form of cp247 replies, with the conventions of request documents: {\"kind\": "
    "\"<message type>\", ...fields}; every field is present; an optional field holds its value or "
    "{\"not_applicable\": {\"reason\": \"...\"}} or {\"unknown\": {\"reason\": \"...\"}}; lists are never "
    "empty. The rules that depend on the case (reply kinds and refusal grounds per article, item "
    "numbers, the requested period) and those this schema cannot express (the 60-day minimum of "
    "Art. 29(7), instants in order) are checked by cp247.",
    ALL_DOCS, set(REPLIES), RS, RSCALARS, RINTS, rules_of=reply_rules)
