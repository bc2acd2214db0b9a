# Travail sur les dossiers (cp247-case) : problèmes des réponses, automate des dossiers, types
# de messages, motifs de refus, échéances et rappels. Les messages ne citent jamais les données
# du dossier.

## Problèmes des réponses : case-problem-<code>. Arguments : $path (toujours) et, selon le
## message, $kind, $article, $ground, $expected, $min, $max, $days, $item, $field, $value, $after, $header.

case-problem-unknown-reply-kind = { $path } doit indiquer le type de réponse, par exemple acknowledgement, preservation_confirmed ou refused.
case-problem-kind-header-mismatch = { $path } ne correspond pas au type de message de l'enveloppe ({ $header }).
case-problem-kind-not-allowed-for-article = { $path } : une demande fondée sur { $article } n'admet pas de réponse { $kind }.
case-problem-ground-not-allowed = { $path } : { $ground } n'est pas un motif pour lequel une demande fondée sur { $article } peut être refusée.
case-problem-dual-criminality-convention-offence = { $path } : la réserve de double incrimination de l'art. 29(4) ne vise que les infractions autres que celles des art. 2 à 11, et toutes les infractions de la demande en relèvent.
case-problem-ground-kind-mismatch = { $path } doit valoir { $expected } : la nature d'un motif est fixe, pour qu'une impossibilité ne soit jamais lue comme un refus juridique.
case-problem-preservation-too-short = { $path } doit être au moins { $min } jours après preserved_at (art. 29(7)).
case-problem-preservation-too-long = { $path } est plus de { $max } jours après preserved_at ; vérifiez la date.
case-problem-preservation-shorter-than-requested = { $path } est antérieur aux { $days } jours demandés.
case-problem-nothing-preserved = { $path } : aucun élément n'est conservé ; envoyez un refus ou expliquez pourquoi rien n'a pu être conservé.
case-problem-item-out-of-range = { $path } désigne un élément que la demande ne contient pas (elle en a { $max }).
case-problem-item-status-missing = { $path } ne donne aucun statut pour l'élément { $item } de la demande.
case-problem-execution-without-result = { $path } : un compte rendu d'exécution exige une remise de données ou une réponse.
case-problem-data-delivery-required = { $path } : une demande fondée sur l'art. 31 s'exécute par la remise de données.
case-problem-detail-required = { $path } est obligatoire quand { $field } vaut { $value }.
case-problem-detail-not-expected = { $path } doit être not_applicable (avec sa raison) quand { $field } vaut { $value }.
case-problem-not-later = { $path } doit être postérieur à { $after }.
case-problem-days-left-mismatch = { $path } doit valoir { $expected }, le nombre de jours entiers avant l'échéance.
case-problem-embedded-document-kind = { $path } doit être un document de type { $expected }.
case-problem-invalid-media-type = { $path } n'est pas un type de média : écrivez type/sous-type, par exemple application/zip.
case-problem-invalid-message-id = { $path } n'est pas un identifiant de message cp247 (un UUID version 7 en minuscules).
case-problem-escalation-not-urgent = { $path } : seules les demandes urgentes et d'extrême urgence font l'objet d'une escalade.
case-problem-not-an-extension = { $path } : une confirmation de prolongation répond à une demande de prolongation, et ce dossier est une demande nouvelle.
case-problem-extension-needs-confirmation = { $path } : une demande de prolongation reçoit une réponse extension_confirmed (ou un refus), et non preservation_confirmed.

## Transitions de l'automate des dossiers.

case-transition = action impossible ({ $event }) : le dossier est { $state }
case-transition-because = { $head } : { $why }
case-event-send-request = envoyer la demande
case-event-receive-request = recevoir la demande
case-event-send = envoyer un message de type { $kind }
case-event-receive = recevoir un message de type { $kind }
case-event-system-receipt = enregistrer l'accusé de réception du système
case-event-escalated = faire remonter la demande
case-event-escalation-received = enregistrer une remontée
case-event-reminder = déclencher un rappel { $kind }
case-event-lapsed = constater l'expiration de la conservation
case-event-extended = prolonger la conservation
case-event-close = clore le dossier
case-why-wrong-side = seul le côté { $author } envoie ce message
case-why-already-past = { $at } est déjà passé
case-why-not-yet-expired = il est conservé jusqu'au { $until }, qui n'est pas passé
case-why-frozen = sa conservation est maintenue dans l'attente de la décision sur la demande d'entraide (art. 29(7)) ; elle n'expire donc pas
case-why-not-later = la nouvelle échéance n'est pas postérieure à l'actuelle, { $current }
case-why-nothing-blocked = aucune demande d'informations bloquante n'est ouverte
case-why-article = un dossier fondé sur { $article } n'a pas ce message
case-why-not-an-extension = seule une demande de prolongation reçoit une confirmation de prolongation
case-why-extension-case = une demande de prolongation reçoit une confirmation de prolongation, et la conservation prolongée reste attachée au dossier antérieur
case-why-unknown-rfi = il ne répond à aucune demande d'informations ouverte de ce dossier
case-why-unknown-question = il répond à une question que la demande d'informations ne pose pas (elle en pose { $max })
case-why-inconsistent = le message ne concorde pas avec les demandes d'informations ouvertes du dossier
case-why-not-urgent = seules les demandes urgentes et d'extrême urgence font l'objet d'une escalade
case-why-self-reference = un dossier ne peut pas se prolonger lui-même
case-why-no-outcome = il n'a pas encore d'issue
case-why-too-many = il en contient déjà { $max }, le maximum pour un dossier

## États.

case-state-draft = un brouillon
case-state-sent = envoyé
case-state-delivered = remis, sans accusé de réception par une personne
case-state-in-progress = en cours
case-state-info-requested = en attente d'informations
case-state-conditions-proposed = en attente d'une réponse aux conditions
case-state-risk-notified = en attente d'une décision après un avis de risque
case-state-postponed = différé
case-state-preserved = conservé
case-state-mla-pending = conservé dans l'attente de la demande d'entraide
case-state-executed = exécuté
case-state-partially-executed = partiellement exécuté
case-state-refused = refusé
case-state-referred = transmis
case-state-withdrawn = retiré
case-state-released = levé
case-state-lapsed = expiré
case-state-closed = clos

## Types de messages.

case-kind-art29-request = Demande de conservation (art. 29)
case-kind-art29-extension-request = Prolongation d'une conservation (art. 29)
case-kind-art31-request = Demande d'informations relatives aux abonnés (art. 31)
case-kind-art35-request = Demande d'assistance (art. 35)
case-kind-acknowledgement = Accusé de réception
case-kind-request-for-information = Demande d'informations
case-kind-information-provided = Informations fournies
case-kind-preservation-confirmed = Conservation confirmée
case-kind-preservation-risk-notice = Avis de risque pour la conservation (art. 29(6))
case-kind-requester-decision = Décision de la Partie requérante
case-kind-partial-traffic-disclosure = Divulgation de données relatives au trafic (art. 30)
case-kind-executed = Exécutée
case-kind-partially-executed = Partiellement exécutée
case-kind-refused = Refusée
case-kind-postponed = Différée
case-kind-conditions-proposed = Conditions proposées
case-kind-conditions-response = Réponse aux conditions
case-kind-delay-notice = Avis de retard
case-kind-extension-confirmed = Prolongation confirmée
case-kind-mla-submitted-notice = Demande d'entraide présentée
case-kind-preservation-expiry-warning = La conservation expire bientôt
case-kind-preservation-released = Conservation levée
case-kind-referred = Transmise
case-kind-withdrawn = Retirée
case-kind-escalation-notice = Remontée

## Motifs de refus.

case-ground-political-offence = Infraction politique ou connexe
case-ground-essential-interests = Souveraineté, sécurité, ordre public ou autres intérêts essentiels
case-ground-dual-criminality-reservation = Double incrimination (réserve de l'art. 29(4))
case-ground-domestic-law-or-treaty-ground = Motif prévu par le droit de la Partie requise ou le traité applicable
case-ground-prejudice-to-domestic-proceedings = Atteinte aux procédures nationales
case-ground-reservation-tool-not-applied = Outil réservé par la Partie (deuxième Protocole additionnel)
case-ground-missing-judicial-authorisation = Autorisation judiciaire requise manquante
case-ground-data-not-held = Impossible : les données ne sont pas détenues
case-ground-data-deleted = Impossible : les données ont été effacées
case-ground-provider-not-in-jurisdiction = Impossible : le fournisseur ne relève pas de la juridiction
case-ground-insufficient-identifiers = Impossible : les identifiants sont insuffisants
case-ground-overly-broad = Impossible : la demande est trop large
case-ground-other = Autre

## Échéances et rappels.

case-due-human-acknowledgement = Accusé de réception par une personne
case-due-information-answer = Réponse à une demande d'informations
case-due-risk-decision = Décision après un avis de risque
case-due-preservation-expiry = Fin de la conservation
case-due-mla-follow-up = Demande d'entraide qui doit suivre
case-due-next-step = Prochaine étape annoncée
case-reminder-acknowledgement-overdue = Pas d'accusé de réception par une personne dans le délai
case-reminder-answer-due = Les réponses à une demande d'informations sont dues
case-reminder-risk-decision-due = Une décision après un avis de risque est due
case-reminder-preservation-expiring = La conservation prend fin dans { $days } jours
case-reminder-preservation-expired = La conservation a pris fin
case-reminder-mla-follow-up-due = La demande d'entraide qui doit suivre est due
case-reminder-next-step-overdue = La prochaine étape annoncée est en retard
