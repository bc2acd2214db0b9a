# Problèmes de validation des documents de demande (cp247-forms). Un message par code :
# clé problem-<code>. Arguments : $path (toujours) et, selon le message, $expected, $found,
# $max, $min, $allowed, $family, $format. Les messages ne citent jamais la valeur fautive.

problem-wrong-type = { $path } doit être { $expected ->
    [object] un objet
    [list] une liste
    [string] un texte
    [boolean] true ou false
    [integer] un nombre entier
    [number] un nombre
    [null] null
   *[other] { $expected }
    }, et non { $found ->
    [object] un objet
    [list] une liste
    [string] un texte
    [boolean] true ou false
    [integer] un nombre entier
    [number] un nombre
    [null] null
   *[other] { $found }
    }.
problem-missing-field = { $path } est absent : chaque champ doit figurer, avec une valeur ou avec « not_applicable »/« unknown » et un motif.
problem-unknown-field = { $path } n'est pas un champ de ce document ; supprimez-le ou vérifiez son orthographe.
problem-duplicate-field = { $path } figure plusieurs fois ; n'en gardez qu'un.
problem-unknown-kind = { $path } doit indiquer le type de document : art29, art30, art31 ou art35.
problem-blank = { $path } est vide : indiquez une valeur réelle, ou « not_applicable »/« unknown » avec un motif lorsque le champ le permet.
problem-too-long = { $path } dépasse { $max } caractères.
problem-control-character = { $path } contient un caractère de contrôle (aucun dans un texte d'une ligne ; un texte long admet les sauts de ligne et les tabulations).
problem-too-many-items = { $path } contient plus de { $max } éléments.
problem-empty-list = { $path } est une liste vide : il faut au moins un élément.
problem-empty-optional-list = { $path } est une liste vide : indiquez au moins un élément, ou « not_applicable »/« unknown » avec un motif.
problem-duplicate-item = { $path } répète un élément précédent de la même liste.
problem-value-required = { $path } est obligatoire : indiquez une valeur réelle (« not_applicable » et « unknown » ne sont pas admis ici).
problem-unknown-not-allowed = { $path } ne peut pas être « unknown » : indiquez une valeur, ou « not_applicable » avec un motif.
problem-placeholder-reason = { $path } est un texte de remplissage, pas un motif : écrivez une phrase qui explique pourquoi (par ex. « Nouvelle demande : aucune demande antérieure. »), et non « n/a », « - », « none » ou « unknown ».
problem-invalid-choice = { $path } doit être l'une des valeurs suivantes : { $allowed }.
problem-out-of-range = { $path } doit être un nombre entier de { $min } à { $max }.
problem-invalid-party-code = { $path } n'est ni un code pays ISO 3166-1 alpha-2 (en majuscules, par ex. FR, MD) ni l'un des codes EU, INTERPOL, EUROPOL, EUROJUST.
problem-party-code-uk = { $path } : le code ISO 3166-1 du Royaume-Uni est GB, et non UK.
problem-organisation-not-allowed = { $path } doit être un pays (ISO 3166-1 alpha-2) ; les codes d'organisation EU, INTERPOL, EUROPOL et EUROJUST ne sont admis que pour une autorité d'enquête.
problem-invalid-email = { $path } n'est pas une adresse électronique (partie-locale@domaine, par ex. permanence@example.org).
problem-invalid-phone = { $path } n'est pas un numéro de téléphone E.164 : écrivez +, l'indicatif du pays puis le numéro, en chiffres seulement (par ex. +33140000000).
problem-invalid-url = { $path } n'est pas une URL absolue comportant un hôte (par ex. https://example.com/page).
problem-invalid-domain = { $path } n'est pas un nom de domaine (au moins deux libellés, en minuscules ou sous forme IDNA, par ex. example.org ou bücher.example).
problem-invalid-ip-address = { $path } n'est pas { $family ->
    [IPv4] une adresse IPv4 (par ex. 203.0.113.45)
    [IPv6] une adresse IPv6 (par ex. 2001:db8::17)
   *[other] une adresse IPv4 ou IPv6
    }.
problem-invalid-port = { $path } n'est pas un numéro de port : un nombre entier de 1 à 65535.
problem-invalid-device-code = { $path } n'est pas { $format ->
    [IMEI] un IMEI valide (15 chiffres avec une clé de contrôle correcte, ou un IMEISV de 16 chiffres)
    [IMSI] un IMSI valide (6 à 15 chiffres)
    [ICCID] un ICCID valide (18 à 22 chiffres commençant par 89)
   *[MAC] une adresse MAC valide (six paires hexadécimales séparées par « : » ou « - »)
    }.
problem-missing-offset = { $path } est une heure locale sans décalage UTC : ajoutez Z ou ±hh:mm (par ex. 2026-02-20T13:28:00+01:00). Le texte copié d'un journal se place dans original_text.
problem-invalid-instant = { $path } n'est pas une date et heure RFC 3339 avec décalage (par ex. 2026-02-20T13:28:00+01:00).
problem-invalid-time-zone = { $path } n'est pas un nom de fuseau horaire IANA (par ex. Europe/Paris).
problem-invalid-date = { $path } n'est pas une date du calendrier au format ISO 8601 (AAAA-MM-JJ, par ex. 2026-02-20).
problem-invalid-duration = { $path } n'est pas une durée ISO 8601 en jours (par ex. P90D) ; les mois et les années ne sont pas admis car leur durée varie.
problem-invalid-ticket-id = { $path } n'est pas un numéro de ticket cp247 (PARTIE-ANNÉE-CODE, par ex. FR-2026-7K3QZP8M).
problem-invalid-language = { $path } n'est pas une étiquette de langue BCP 47 (par ex. fr, en-GB).
problem-invalid-sha256 = { $path } n'est pas une empreinte SHA-256 (64 chiffres hexadécimaux en minuscules).
problem-invalid-convention-offence = { $path } doit indiquer l'article de la Convention correspondant à l'infraction, de art2 à art11, ou « not_applicable » avec la raison pour laquelle elle n'en relève pas.
problem-time-range-reversed = { $path } précède le début de la période.
problem-period-too-short = { $path } est inférieure à { $min } jours : l'article 29(7) impose une conservation d'au moins 60 jours.
problem-extension-without-previous-ticket = { $path } : une prolongation doit indiquer le ticket de la demande prolongée.
problem-follow-up-without-earlier-ticket = { $path } : une demande de suivi doit indiquer le ticket de la demande antérieure.
problem-previous-ticket-on-new-request = { $path } : une nouvelle demande n'a pas de demande antérieure ; choisissez le statut prolongation ou suivi, ou mettez ce champ à « not_applicable » avec un motif.
problem-ticket-reference-missing = { $path } doit identifier la demande antérieure par son numéro de ticket cp247 ou par la référence de l'autre partie (ou les deux).
problem-urgency-justification-missing = { $path } : une demande urgente ou d'extrême urgence doit expliquer pourquoi elle est urgente.
problem-mla-intention-required = { $path } doit valoir true : l'article 29(2)(f) exige la déclaration qu'une demande d'entraide suivra.
problem-withholding-ground-not-allowed = { $path } : l'article 30(2) ne permet de refuser la divulgation des données relatives au trafic que pour une infraction politique (political_offence) ou pour protéger la souveraineté, la sécurité, l'ordre public ou d'autres intérêts essentiels (essential_interests).
problem-connection-without-ip = { $path } : le port, le protocole et le sens ne s'appliquent qu'à un identifiant IPv4 ou IPv6 ; mettez ce champ à « not_applicable » avec un motif.
problem-ipv4-without-port = { $path } : une adresse IPv4 sans son port peut ne désigner personne (NAT de grande échelle) ; indiquez le port si le journal le contient.
problem-offset-zone-mismatch = { $path } : le décalage UTC n'est pas celui du fuseau horaire à cet instant ; vérifiez le décalage et le fuseau.
problem-custodian-unidentified = { $path } : ni fournisseur ni localisation du système ne sont indiqués ; l'article 29(2)(d) demande toute information disponible.
problem-dynamic-ip-without-judicial-decision = { $path } : la demande vise l'utilisateur d'une adresse IP à un instant donné (IP dynamique) ; certaines Parties exigent pour cela une décision judiciaire (CEDH, Benedik c. Slovénie). Joignez la décision si elle existe.
