# Validation problems of request documents (cp247-forms). One message per problem code:
# key problem-<code>. Arguments: $path (always), and per message $expected, $found, $max, $min,
# $allowed, $family, $format. Messages never quote the offending value (it may be case data).

problem-wrong-type = { $path } must be { $expected ->
    [object] an object
    [list] a list
    [string] a text
    [boolean] true or false
    [integer] a whole number
    [number] a number
    [null] null
   *[other] { $expected }
    }, not { $found ->
    [object] an object
    [list] a list
    [string] a text
    [boolean] true or false
    [integer] a whole number
    [number] a number
    [null] null
   *[other] { $found }
    }.
problem-missing-field = { $path } is missing: every field must be present, with a value or with "not_applicable"/"unknown" and a reason.
problem-unknown-field = { $path } is not a field of this document; remove it or check its spelling.
problem-duplicate-field = { $path } is given more than once; keep one.
problem-unknown-kind = { $path } must name the kind of document: art29, art30, art31 or art35.
problem-blank = { $path } is blank: give a real value, or "not_applicable"/"unknown" with a reason where the field allows it.
problem-too-long = { $path } is longer than { $max } characters.
problem-control-character = { $path } contains a control character (a one-line text allows none; a long text allows line breaks and tabs).
problem-too-many-items = { $path } has more than { $max } items.
problem-empty-list = { $path } is an empty list: it needs at least one item.
problem-empty-optional-list = { $path } is an empty list: give at least one item, or "not_applicable"/"unknown" with a reason.
problem-duplicate-item = { $path } repeats an earlier item of the same list.
problem-value-required = { $path } is mandatory: give a real value ("not_applicable" and "unknown" are not accepted here).
problem-unknown-not-allowed = { $path } cannot be "unknown": give a value, or "not_applicable" with a reason.
problem-placeholder-reason = { $path } is a placeholder, not a reason: write a sentence that says why (e.g. "New request: there is no previous request."), not "n/a", "-", "none" or "unknown".
problem-invalid-choice = { $path } must be one of: { $allowed }.
problem-out-of-range = { $path } must be a whole number from { $min } to { $max }.
problem-invalid-party-code = { $path } is not an ISO 3166-1 alpha-2 country code (upper case, e.g. FR, MD) nor one of EU, INTERPOL, EUROPOL, EUROJUST.
problem-party-code-uk = { $path }: the United Kingdom is GB in ISO 3166-1, not UK.
problem-organisation-not-allowed = { $path } must be a country (ISO 3166-1 alpha-2); the organisation codes EU, INTERPOL, EUROPOL and EUROJUST are accepted only for an investigative authority.
problem-invalid-email = { $path } is not an e-mail address (local-part@domain, e.g. duty@example.org).
problem-invalid-phone = { $path } is not an E.164 phone number: write +, the country code and the number, digits only (e.g. +33140000000).
problem-invalid-url = { $path } is not an absolute URL with a host (e.g. https://example.com/page).
problem-invalid-domain = { $path } is not a domain name (at least two labels, in lower case or IDNA form, e.g. example.org or bücher.example).
problem-invalid-ip-address = { $path } is not { $family ->
    [IPv4] an IPv4 address (e.g. 203.0.113.45)
    [IPv6] an IPv6 address (e.g. 2001:db8::17)
   *[other] an IPv4 or IPv6 address
    }.
problem-invalid-port = { $path } is not a port number: a whole number from 1 to 65535.
problem-invalid-device-code = { $path } is not a well-formed { $format ->
    [IMEI] IMEI (15 digits with a valid check digit, or a 16-digit IMEISV)
    [IMSI] IMSI (6 to 15 digits)
    [ICCID] ICCID (18 to 22 digits starting with 89)
   *[MAC] MAC address (six hexadecimal pairs separated by ':' or '-')
    }.
problem-missing-offset = { $path } is a local time without a UTC offset: add Z or ±hh:mm (e.g. 2026-02-20T13:28:00+01:00). Text copied from a log goes in original_text.
problem-invalid-instant = { $path } is not an RFC 3339 date and time with offset (e.g. 2026-02-20T13:28:00+01:00).
problem-invalid-time-zone = { $path } is not an IANA time-zone name (e.g. Europe/Paris).
problem-invalid-date = { $path } is not a calendar date in ISO 8601 form (YYYY-MM-DD, e.g. 2026-02-20).
problem-invalid-duration = { $path } is not an ISO 8601 duration in days (e.g. P90D); months and years are not accepted because their length varies.
problem-invalid-ticket-id = { $path } is not a cp247 ticket id (PARTY-YEAR-CODE, e.g. FR-2026-7K3QZP8M).
problem-invalid-language = { $path } is not a BCP 47 language tag (e.g. fr, en-GB).
problem-invalid-sha256 = { $path } is not a SHA-256 digest (64 lower-case hexadecimal digits).
problem-invalid-convention-offence = { $path } must be the Convention article of the offence, art2 to art11, or "not_applicable" with the reason it is none of them.
problem-time-range-reversed = { $path } is before the start of the period.
problem-period-too-short = { $path } is shorter than { $min } days: Article 29(7) requires preservation for at least 60 days.
problem-extension-without-previous-ticket = { $path }: an extension must give the ticket of the request it extends.
problem-follow-up-without-earlier-ticket = { $path }: a follow-up request must give the ticket of the earlier request.
problem-previous-ticket-on-new-request = { $path }: a new request has no earlier request; set the status to extension or follow-up, or make this field "not_applicable" with a reason.
problem-ticket-reference-missing = { $path } must identify the earlier request by its cp247 ticket id or by the other side's reference (or both).
problem-urgency-justification-missing = { $path }: an urgent or emergency request must say why it is urgent.
problem-mla-intention-required = { $path } must be true: Article 29(2)(f) requires the statement that a request for mutual assistance will follow.
problem-withholding-ground-not-allowed = { $path }: Article 30(2) allows withholding traffic data only for a political offence (political_offence) or to protect sovereignty, security, ordre public or other essential interests (essential_interests).
problem-connection-without-ip = { $path }: port, protocol and direction apply only to an IPv4 or IPv6 identifier; make this field "not_applicable" with a reason.
problem-ipv4-without-port = { $path }: an IPv4 address without its port may not identify anyone (carrier-grade NAT); give the port if the log has it.
problem-offset-zone-mismatch = { $path }: the UTC offset is not the one the time zone had at that instant; check the offset and the zone.
problem-custodian-unidentified = { $path }: neither a provider nor the location of the system is given; Article 29(2)(d) asks for any available information.
problem-dynamic-ip-without-judicial-decision = { $path }: the request resolves an IP address at a given time (dynamic IP); some Parties require a court order for this (Benedik v. Slovenia). Attach the decision if one exists.
