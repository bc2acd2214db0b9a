# Labels, headings, titles and value names of rendered documents (cp247-render).
# The section headings follow template-sections.md; correct the wording here, in one place.

## Words of every document
render-not-applicable = Not applicable
render-unknown = Unknown
render-nothing-recorded = no value was recorded
render-no-reason = no reason was given
render-content = Content
render-yes = Yes
render-no = No
render-page = Page

## Article 29 and 30 preservation request (T-CY(2018)11)
art29-title = Data Preservation Request under Articles 29 and 30 of the Budapest Convention on Cybercrime
art29-basis = T-CY(2018)11 template — Articles 29 and 30 of the Convention on Cybercrime (ETS No. 185)
art29-short = Art. 29/30 preservation request
art29-s1 = Date
art29-s2 = Reference / case number
art29-s3 = Request status
art29-s4 = Requested authority
art29-s5 = Requesting authority
art29-s6 = Contact for additional confirmation
art29-s7 = Investigative / operational authority in charge of the case
art29-s8 = Urgency and confidentiality
art29-s9 = Offence(s) and summary of facts
art29-s10 = Data to be preserved
art29-s11 = Relationship of the data to the offence
art29-s12 = Custodian of the data / location of the computer system
art29-s13 = Necessity of preservation
art29-s14 = Intention to submit a request for mutual assistance
art29-s15 = Expedited disclosure of traffic data (Article 30)
art29-s16 = Authorisation

## Article 31 subscriber information request (T-CY(2018)10)
art31-title = Mutual Legal Assistance Request for subscriber information under Article 31 of the Budapest Convention on Cybercrime
art31-basis = T-CY(2018)10 template — Article 31 of the Convention on Cybercrime (ETS No. 185)
art31-short = Art. 31 subscriber information request
art31-s1 = Date
art31-s2 = Reference / case number
art31-s3 = Request status
art31-s4 = Requested authority
art31-s5 = Requesting authority
art31-s6 = Contact for additional confirmation
art31-s7 = Investigative / operational authority in charge of the case
art31-s8 = Prosecution office or court in charge
art31-s9 = Previous MLA request
art31-s10 = Previous preservation request
art31-s11 = Domestic legal basis for the request
art31-s12 = Urgency and confidentiality
art31-s13 = Offence(s) and summary of facts
art31-s14 = Subscriber information sought
art31-s15 = Relevance to the investigation
art31-s16 = Conditions and use limitation
art31-s17 = Annexes
art31-s18 = Authorisation

## Article 30 expedited disclosure of preserved traffic data
art30-title = Expedited Disclosure of Preserved Traffic Data under Article 30 of the Budapest Convention on Cybercrime
art30-basis = Reply on a preservation request — Article 30 of the Convention on Cybercrime (ETS No. 185)
art30-short = Art. 30 disclosure of traffic data
art30-s1 = Preservation request concerned
art30-s2 = Communication traced
art30-s3 = Service provider(s) in another State
art30-s4 = Traffic data disclosed
art30-s5 = Path of the communication
art30-s6 = Withholding
art30-s7 = Conditions

## Article 35 technical or legal assistance request
art35-title = Request for Technical or Legal Assistance under Article 35 of the Budapest Convention on Cybercrime
art35-basis = 24/7 Network — Article 35 of the Convention on Cybercrime (ETS No. 185)
art35-short = Art. 35 assistance request
art35-s1 = Date and reference
art35-s2 = Requesting and requested contact points
art35-s3 = Type of assistance
art35-s4 = Question
art35-s5 = Context
art35-s6 = Identifiers
art35-s7 = Answer needed by
art35-s8 = Urgency and confidentiality

## Page furniture
render-footer = Rendered by cp247 from the structured document. The sealed, signed message — not this copy — is the authentic record.

## Labels
label-address = Address
label-annexes = Annexes
label-answer-needed-by = Answer needed by
label-art30-requested = Disclosure of traffic data under Article 30
label-as-recorded = As recorded
label-assistance-type = Type of assistance
label-at = At
label-authorised-by = Authorised by
label-basis = Legal basis
label-case-number = Case number
label-categories = Categories of data
label-channel = Channel
label-clock = Clock
label-condition = Condition
label-conditions = Conditions
label-confidential = Confidentiality of the request requested (Art. 27(8))
label-connection = Connection
label-contact-point = 24/7 contact point or authority
label-context = Context
label-convention-offence = Convention offence (Articles 2–11)
label-counterpart-reference = Counterpart's reference
label-country = Country
label-court = Court in charge
label-date = Date
label-decisions = Decisions related to the request
label-description = Description
label-destination = Destination
label-destination-asn = Autonomous system of the destination
label-destination-host = Destination host name
label-direction = Direction
label-disclosure-date = Date of the disclosure
label-document-id = Reference
label-domestic-legal-basis = Domestic legal basis
label-dynamic-ip = Resolution of a dynamic IP address
label-elements-requested = Elements requested (Article 18(3))
label-email = E-mail
label-executing-contact = Executing contact
label-expedited-response = Response by e-mail or other expedited means
label-explanation = Explanation
label-fax = Fax
label-from = From
label-from-party = From
label-function = Function
label-ground = Ground (Article 30(2))
label-identifiers = Identifiers
label-instant = Date and time
label-investigative-authority = Authority in charge of the case
label-issued-by = Issued by
label-issued-on = Issued on
label-item-n = Item { $n }
label-job-title = Job title
label-kind = Kind
label-language = Language
label-le-contact = Law-enforcement contact
label-legal-entity = Legal entity
label-legal-provision = Legal provision
label-location-of-system = Location of the computer system
label-looped-back = Path returns to the requesting State
label-max-penalty = Maximum penalty
label-mobile = Mobile
label-name = Name
label-necessity = Why preservation is necessary
label-no-user-notification = Subscriber or user not to be notified
label-note = Note
label-observed = Observed
label-offence = Offence
label-offences = Offences
label-office-hours = Office hours
label-organisation = Organisation
label-party = Party
label-path = Path
label-period = Period
label-person-in-charge = Person in charge
label-phone = Phone
label-planned-mla-by = Expected date of the request for mutual assistance
label-planned-mla-channel = Expected channel of the request for mutual assistance
label-port = Port
label-preferred-channel = Preferred channel for the response
label-previous-request = Previous request
label-procedures-requested = Formalities requested (Article 27(3))
label-prosecution-office = Prosecution office in charge
label-prosecution-or-court = Prosecution office or court
label-protocol = Protocol
label-provider = Service provider
label-provider-reference = Provider's reference
label-providers = Service providers
label-question = Question
label-reference = Reference
label-relationship = Relationship of the data to the offence
label-relevance = Relevance of the information to the investigation
label-request-date = Date of the request
label-requested-contact-point = Requested contact point
label-requested-party = Requested Party
label-requested-period = Preservation period requested
label-requesting-contact = Requesting contact
label-requesting-contact-point = Requesting contact point
label-results-channel = Delivery of the results
label-service = Service
label-sha256 = SHA-256
label-source = Source
label-source-asn = Autonomous system of the source
label-statement = Statement
label-status = Status
label-summary-of-facts = Brief summary of the facts
label-ticket = Ticket
label-time-zone = Time zone
label-title = Title
label-to = To
label-to-party = To
label-traffic-records = Traffic data
label-urgency = Urgency
label-urgency-justification = Justification of the urgency
label-use-limitation = Use of the information (Article 28)
label-value = Value
label-withheld = Traffic data withheld

## Values in sentences
value-status-new = New request
value-status-extension = Extension of a previous request
value-status-follow-up-mla = Follow-up to a previous request for mutual assistance
value-status-follow-up-preservation = Follow-up to a previous preservation request
value-mla-intention = The requesting Party intends to submit a request for mutual assistance for the search or similar access, seizure or similar securing, or disclosure of the data (Article 29(2)(f)).
value-art30-requested = Requested: if, in executing this request, a service provider in another State is found to have been involved in the transmission of the communication, the requested Party is asked to disclose expeditiously a sufficient amount of traffic data to identify that service provider and the path through which the communication was transmitted.
value-art30-not-requested = Not requested.
value-dynamic-ip-yes = Yes — a target is an IP address observed at a given time; some Parties require a court order to resolve it.
value-dynamic-ip-no = No — no target is an IP address observed at a given time.
value-period-days = { $days } days
value-penalty-months = { $penalty } (at most { $months } months' imprisonment)
value-authorised-by = { $name }, { $function }, { $date }
value-see-annex = { $id } — { $title } (see section 17)

## Urgency
urgency-routine = Routine
urgency-urgent = Urgent — data vulnerable to loss or modification
urgency-emergency = Emergency — significant and imminent risk to the life or safety of a person

## Channels
channel-network-system = cp247 network
channel-encrypted-email = Encrypted e-mail
channel-phone = Telephone
channel-fax = Fax
channel-interpol-i247 = INTERPOL I-24/7
channel-central-authority = Central authority
channel-diplomatic = Diplomatic channel
channel-e-codex = e-CODEX
channel-provider-portal = Service provider's law-enforcement portal
channel-other = Other channel

## Whose clock an instant was read from
clock-requester = requesting authority's clock
clock-provider = service provider's clock
clock-log = log file
clock-unknown = not known

## Protocols and directions
protocol-tcp = TCP
protocol-udp = UDP
direction-source = source
direction-destination = destination

## Kinds of identifier
identifier-ipv4 = IPv4 address
identifier-ipv6 = IPv6 address
identifier-email = E-mail address
identifier-phone = Phone number
identifier-username = User name
identifier-account-id = Account identifier
identifier-url = URL
identifier-domain-name = Domain name
identifier-imei = IMEI
identifier-imsi = IMSI
identifier-iccid = ICCID
identifier-mac = MAC address
identifier-device-id = Device identifier
identifier-payment-reference = Payment reference
identifier-crypto-address = Crypto-currency address
identifier-tx-hash = Crypto-currency transaction hash
identifier-other = Other identifier

## Categories of data
category-subscriber = subscriber information
category-identification-only = identification data (IP address, port, time)
category-traffic = traffic data
category-content = content data
category-domain-registration = domain name registration data

## Convention offences
convention-art2 = Article 2 — illegal access
convention-art3 = Article 3 — illegal interception
convention-art4 = Article 4 — data interference
convention-art5 = Article 5 — system interference
convention-art6 = Article 6 — misuse of devices
convention-art7 = Article 7 — computer-related forgery
convention-art8 = Article 8 — computer-related fraud
convention-art9 = Article 9 — offences related to child pornography
convention-art10 = Article 10 — offences related to infringements of copyright and related rights
convention-art11 = Article 11 — attempt and aiding or abetting

## Attached documents
attachment-court-order = Court order
attachment-prosecutor-decision = Prosecutor's decision
attachment-translation = Translation
attachment-evidence = Evidence
attachment-other = Other document

## Conditions
condition-confidentiality = Confidentiality
condition-use-limitation = Use limitation
condition-no-onward-transfer = No onward transfer
condition-retention = Retention
condition-other = Other condition

## Article 30(2) grounds
ground-political-offence = Political offence or offence connected with a political offence (Article 30(2)(a))
ground-essential-interests = Prejudice to sovereignty, security, ordre public or other essential interests (Article 30(2)(b))

## Article 18(3) elements
element-service-type = Type of communication service used (Art. 18(3)(a))
element-technical-provisions = Technical provisions taken (Art. 18(3)(a))
element-period-of-service = Period of service (Art. 18(3)(a))
element-identity = Identity of the subscriber (Art. 18(3)(b))
element-postal-address = Postal or geographic address (Art. 18(3)(b))
element-access-number = Telephone and other access number (Art. 18(3)(b))
element-billing-and-payment = Billing and payment information (Art. 18(3)(b))
element-installation-site = Site of the installation of communication equipment (Art. 18(3)(c))

## Types of assistance (Article 35)
assistance-technical-advice = Technical advice (Art. 35(1)(a))
assistance-legal-information = Legal information (Art. 35(1)(c))
assistance-locating-suspect = Locating a suspect (Art. 35(1)(c))
assistance-evidence-collection = Facilitating the collection of evidence (Art. 35(1)(c))
assistance-provider-identification = Identifying a service provider
assistance-procedure-query = Question of procedure
assistance-other = Other assistance
