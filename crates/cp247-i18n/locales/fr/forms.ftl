# Libellés, intitulés, titres et noms de valeurs des documents rendus (cp247-render).
# Les intitulés de sections suivent template-sections.md ; corriger la formulation ici, en un seul endroit.

## Mots communs à tous les documents
render-not-applicable = Sans objet
render-unknown = Inconnu
render-nothing-recorded = aucune valeur n'a été enregistrée
render-no-reason = aucun motif n'a été indiqué
render-content = Contenu
render-yes = Oui
render-no = Non
render-page = Page

## Demande de conservation au titre des articles 29 et 30 (T-CY(2018)11)
art29-title = Demande de conservation de données au titre des articles 29 et 30 de la Convention de Budapest sur la cybercriminalité
art29-basis = Modèle T-CY(2018)11 — articles 29 et 30 de la Convention sur la cybercriminalité (STE n° 185)
art29-short = Demande de conservation (art. 29 et 30)
art29-s1 = Date
art29-s2 = Référence / numéro de dossier
art29-s3 = Statut de la demande
art29-s4 = Autorité requise
art29-s5 = Autorité requérante
art29-s6 = Contact pour toute confirmation complémentaire
art29-s7 = Autorité d'enquête / opérationnelle en charge de l'affaire
art29-s8 = Urgence et confidentialité
art29-s9 = Infraction(s) et résumé des faits
art29-s10 = Données à conserver
art29-s11 = Lien entre les données et l'infraction
art29-s12 = Détenteur des données / localisation du système informatique
art29-s13 = Nécessité de la conservation
art29-s14 = Intention de présenter une demande d'entraide
art29-s15 = Divulgation rapide de données relatives au trafic (article 30)
art29-s16 = Autorisation

## Demande d'informations sur les abonnés au titre de l'article 31 (T-CY(2018)10)
art31-title = Demande d'entraide judiciaire relative aux informations sur les abonnés au titre de l'article 31 de la Convention de Budapest sur la cybercriminalité
art31-basis = Modèle T-CY(2018)10 — article 31 de la Convention sur la cybercriminalité (STE n° 185)
art31-short = Demande d'informations sur les abonnés (art. 31)
art31-s1 = Date
art31-s2 = Référence / numéro de dossier
art31-s3 = Statut de la demande
art31-s4 = Autorité requise
art31-s5 = Autorité requérante
art31-s6 = Contact pour toute confirmation complémentaire
art31-s7 = Autorité d'enquête / opérationnelle en charge de l'affaire
art31-s8 = Parquet ou juridiction compétent(e)
art31-s9 = Demande d'entraide antérieure
art31-s10 = Demande de conservation antérieure
art31-s11 = Base juridique nationale de la demande
art31-s12 = Urgence et confidentialité
art31-s13 = Infraction(s) et résumé des faits
art31-s14 = Informations sur les abonnés demandées
art31-s15 = Pertinence pour l'enquête
art31-s16 = Conditions et limitation d'utilisation
art31-s17 = Annexes
art31-s18 = Autorisation

## Divulgation rapide de données relatives au trafic conservées (article 30)
art30-title = Divulgation rapide de données relatives au trafic conservées au titre de l'article 30 de la Convention de Budapest sur la cybercriminalité
art30-basis = Réponse à une demande de conservation — article 30 de la Convention sur la cybercriminalité (STE n° 185)
art30-short = Divulgation de données relatives au trafic (art. 30)
art30-s1 = Demande de conservation concernée
art30-s2 = Communication tracée
art30-s3 = Fournisseur(s) de services dans un autre État
art30-s4 = Données relatives au trafic divulguées
art30-s5 = Chemin de la communication
art30-s6 = Refus de divulgation
art30-s7 = Conditions

## Demande d'assistance technique ou juridique (article 35)
art35-title = Demande d'assistance technique ou juridique au titre de l'article 35 de la Convention de Budapest sur la cybercriminalité
art35-basis = Réseau 24/7 — article 35 de la Convention sur la cybercriminalité (STE n° 185)
art35-short = Demande d'assistance (art. 35)
art35-s1 = Date et référence
art35-s2 = Points de contact requérant et requis
art35-s3 = Nature de l'assistance
art35-s4 = Question
art35-s5 = Contexte
art35-s6 = Identifiants
art35-s7 = Réponse souhaitée avant le
art35-s8 = Urgence et confidentialité

## Pied de page
render-footer = Rendu par cp247 à partir du document structuré. Le message scellé et signé — et non cette copie — fait foi.

## Libellés
label-address = Adresse
label-annexes = Annexes
label-answer-needed-by = Réponse souhaitée avant le
label-art30-requested = Divulgation de données relatives au trafic au titre de l'article 30
label-as-recorded = Tel qu'enregistré
label-assistance-type = Nature de l'assistance
label-at = Le
label-authorised-by = Autorisé par
label-basis = Base juridique
label-case-number = Numéro de dossier
label-categories = Catégories de données
label-channel = Voie de transmission
label-clock = Horloge
label-condition = Condition
label-conditions = Conditions
label-confidential = Confidentialité de la demande sollicitée (art. 27(8))
label-connection = Connexion
label-contact-point = Point de contact 24/7 ou autorité
label-context = Contexte
label-convention-offence = Infraction de la Convention (articles 2 à 11)
label-counterpart-reference = Référence de l'homologue
label-country = Pays
label-court = Juridiction compétente
label-date = Date
label-decisions = Décisions relatives à la demande
label-description = Description
label-destination = Destination
label-destination-asn = Système autonome de destination
label-destination-host = Nom d'hôte de destination
label-direction = Sens
label-disclosure-date = Date de la divulgation
label-document-id = Référence
label-domestic-legal-basis = Base juridique nationale
label-dynamic-ip = Identification d'une adresse IP dynamique
label-elements-requested = Éléments demandés (article 18(3))
label-email = Courriel
label-executing-contact = Contact chargé de l'exécution
label-expedited-response = Réponse par courriel ou autre moyen rapide
label-explanation = Explication
label-fax = Télécopie
label-from = Du
label-from-party = De
label-function = Fonction
label-ground = Motif (article 30(2))
label-identifiers = Identifiants
label-instant = Date et heure
label-investigative-authority = Autorité en charge de l'affaire
label-issued-by = Émis par
label-issued-on = Émis le
label-item-n = Élément { $n }
label-job-title = Titre ou grade
label-kind = Nature
label-language = Langue
label-le-contact = Contact pour les services répressifs
label-legal-entity = Personne morale
label-legal-provision = Disposition légale
label-location-of-system = Localisation du système informatique
label-looped-back = Le chemin revient vers l'État requérant
label-max-penalty = Peine maximale
label-mobile = Téléphone portable
label-name = Nom
label-necessity = Pourquoi la conservation est nécessaire
label-no-user-notification = L'abonné ou l'utilisateur ne doit pas être informé
label-note = Remarque
label-observed = Observé
label-offence = Infraction
label-offences = Infractions
label-office-hours = Heures de bureau
label-organisation = Organisme
label-party = Partie
label-path = Chemin
label-period = Période
label-person-in-charge = Personne responsable
label-phone = Téléphone
label-planned-mla-by = Date prévue de la demande d'entraide
label-planned-mla-channel = Voie prévue pour la demande d'entraide
label-port = Port
label-preferred-channel = Voie de réponse souhaitée
label-previous-request = Demande antérieure
label-procedures-requested = Formalités demandées (article 27(3))
label-prosecution-office = Parquet compétent
label-prosecution-or-court = Parquet ou juridiction
label-protocol = Protocole
label-provider = Fournisseur de services
label-provider-reference = Référence du fournisseur
label-providers = Fournisseurs de services
label-question = Question
label-reference = Référence
label-relationship = Lien entre les données et l'infraction
label-relevance = Pertinence des informations pour l'enquête
label-request-date = Date de la demande
label-requested-contact-point = Point de contact requis
label-requested-party = Partie requise
label-requested-period = Durée de conservation demandée
label-requesting-contact = Contact requérant
label-requesting-contact-point = Point de contact requérant
label-results-channel = Transmission des résultats
label-service = Service
label-sha256 = SHA-256
label-source = Source
label-source-asn = Système autonome de la source
label-statement = Déclaration
label-status = Statut
label-summary-of-facts = Bref exposé des faits
label-ticket = Ticket
label-time-zone = Fuseau horaire
label-title = Titre
label-to = Au
label-to-party = À
label-traffic-records = Données relatives au trafic
label-urgency = Urgence
label-urgency-justification = Justification de l'urgence
label-use-limitation = Utilisation des informations (article 28)
label-value = Valeur
label-withheld = Données relatives au trafic non divulguées

## Valeurs dans des phrases
value-status-new = Nouvelle demande
value-status-extension = Prolongation d'une demande antérieure
value-status-follow-up-mla = Suite d'une demande d'entraide antérieure
value-status-follow-up-preservation = Suite d'une demande de conservation antérieure
value-mla-intention = La Partie requérante a l'intention de soumettre une demande d'entraide en vue de la perquisition ou de l'accès par un moyen similaire, de la saisie ou de l'obtention par un moyen similaire, ou de la divulgation des données (article 29(2)(f)).
value-art30-requested = Demandée : si, en exécutant la présente demande, il apparaît qu'un fournisseur de services dans un autre État a participé à la transmission de la communication, la Partie requise est invitée à divulguer rapidement une quantité suffisante de données relatives au trafic pour identifier ce fournisseur de services et la voie par laquelle la communication a été transmise.
value-art30-not-requested = Non demandée.
value-dynamic-ip-yes = Oui — une cible est une adresse IP observée à un moment donné ; certaines Parties exigent une décision judiciaire pour l'identifier.
value-dynamic-ip-no = Non — aucune cible n'est une adresse IP observée à un moment donné.
value-period-days = { $days } jours
value-penalty-months = { $penalty } (au plus { $months } mois d'emprisonnement)
value-authorised-by = { $name }, { $function }, { $date }
value-see-annex = { $id } — { $title } (voir la section 17)

## Urgence
urgency-routine = Ordinaire
urgency-urgent = Urgente — données susceptibles d'être perdues ou modifiées
urgency-emergency = Extrême urgence — risque important et imminent pour la vie ou la sécurité d'une personne

## Voies de transmission
channel-network-system = Réseau cp247
channel-encrypted-email = Courriel chiffré
channel-phone = Téléphone
channel-fax = Télécopie
channel-interpol-i247 = INTERPOL I-24/7
channel-central-authority = Autorité centrale
channel-diplomatic = Voie diplomatique
channel-e-codex = e-CODEX
channel-provider-portal = Portail du fournisseur destiné aux services répressifs
channel-other = Autre voie

## Horloge d'origine d'une date et heure
clock-requester = horloge de l'autorité requérante
clock-provider = horloge du fournisseur de services
clock-log = fichier journal
clock-unknown = inconnue

## Protocoles et sens
protocol-tcp = TCP
protocol-udp = UDP
direction-source = source
direction-destination = destination

## Natures d'identifiant
identifier-ipv4 = Adresse IPv4
identifier-ipv6 = Adresse IPv6
identifier-email = Adresse électronique
identifier-phone = Numéro de téléphone
identifier-username = Nom d'utilisateur
identifier-account-id = Identifiant de compte
identifier-url = URL
identifier-domain-name = Nom de domaine
identifier-imei = IMEI
identifier-imsi = IMSI
identifier-iccid = ICCID
identifier-mac = Adresse MAC
identifier-device-id = Identifiant d'appareil
identifier-payment-reference = Référence de paiement
identifier-crypto-address = Adresse de crypto-monnaie
identifier-tx-hash = Empreinte de transaction en crypto-monnaie
identifier-other = Autre identifiant

## Catégories de données
category-subscriber = informations relatives aux abonnés
category-identification-only = données d'identification (adresse IP, port, heure)
category-traffic = données relatives au trafic
category-content = données relatives au contenu
category-domain-registration = données d'enregistrement de noms de domaine

## Infractions de la Convention
convention-art2 = Article 2 — accès illégal
convention-art3 = Article 3 — interception illégale
convention-art4 = Article 4 — atteinte à l'intégrité des données
convention-art5 = Article 5 — atteinte à l'intégrité du système
convention-art6 = Article 6 — abus de dispositifs
convention-art7 = Article 7 — falsification informatique
convention-art8 = Article 8 — fraude informatique
convention-art9 = Article 9 — infractions se rapportant à la pornographie enfantine
convention-art10 = Article 10 — infractions liées aux atteintes à la propriété intellectuelle et aux droits connexes
convention-art11 = Article 11 — tentative et complicité

## Documents joints
attachment-court-order = Décision judiciaire
attachment-prosecutor-decision = Décision du parquet
attachment-translation = Traduction
attachment-evidence = Élément de preuve
attachment-other = Autre document

## Conditions
condition-confidentiality = Confidentialité
condition-use-limitation = Limitation d'utilisation
condition-no-onward-transfer = Pas de transfert ultérieur
condition-retention = Durée de conservation
condition-other = Autre condition

## Motifs de l'article 30(2)
ground-political-offence = Infraction politique ou infraction connexe à une infraction politique (article 30(2)(a))
ground-essential-interests = Atteinte à la souveraineté, à la sécurité, à l'ordre public ou à d'autres intérêts essentiels (article 30(2)(b))

## Éléments de l'article 18(3)
element-service-type = Type de service de communication utilisé (art. 18(3)(a))
element-technical-provisions = Dispositions techniques prises (art. 18(3)(a))
element-period-of-service = Période de service (art. 18(3)(a))
element-identity = Identité de l'abonné (art. 18(3)(b))
element-postal-address = Adresse postale ou géographique (art. 18(3)(b))
element-access-number = Numéro de téléphone et autre numéro d'accès (art. 18(3)(b))
element-billing-and-payment = Données concernant la facturation et le paiement (art. 18(3)(b))
element-installation-site = Lieu où se trouvent les équipements de communication (art. 18(3)(c))

## Natures d'assistance (article 35)
assistance-technical-advice = Conseils techniques (art. 35(1)(a))
assistance-legal-information = Informations juridiques (art. 35(1)(c))
assistance-locating-suspect = Localisation d'un suspect (art. 35(1)(c))
assistance-evidence-collection = Facilitation du recueil de preuves (art. 35(1)(c))
assistance-provider-identification = Identification d'un fournisseur de services
assistance-procedure-query = Question de procédure
assistance-other = Autre assistance
