# L'annuaire du réseau (cp247-directory) : alertes d'état et motifs de refus.
# Les clés se terminent par le code stable que le logiciel journalise et affiche (tirets à la place des soulignés).

## État de l'annuaire du nœud
directory-health-directory-missing = AUCUN ANNUAIRE DU RÉSEAU : ce nœud refuse tout échange tant qu'un annuaire signé par l'autorité épinglée n'a pas été accepté.
directory-health-directory-valid = L'annuaire du réseau (numéro { $serial }) est valable jusqu'au { $until }.
directory-health-directory-in-grace = L'ANNUAIRE DU RÉSEAU A EXPIRÉ : le numéro { $serial } a expiré le { $expired_at }. Les échanges continuent pendant le délai de grâce et S'ARRÊTENT le { $until } si aucun annuaire à jour n'est accepté.
directory-health-directory-expired = L'ANNUAIRE DU RÉSEAU A EXPIRÉ : le numéro { $serial } a expiré le { $expired_at } ; son délai de grâce a pris fin le { $until }. Ce nœud refuse tout échange tant qu'un annuaire à jour n'a pas été accepté.

## Motifs de refus d'un annuaire
directory-refusal-directory-too-large = L'annuaire ou sa signature dépasse la taille qu'un nœud accepte.
directory-refusal-directory-bad-signature = L'annuaire n'est pas signé par l'autorité d'annuaire épinglée, ou a été modifié après sa signature.
directory-refusal-directory-malformed = Le fichier signé n'est pas un annuaire valide.
directory-refusal-directory-authority-mismatch = L'annuaire désigne une autre autorité que celle épinglée par ce nœud.
directory-refusal-directory-issued-in-future = L'annuaire est daté dans le futur : vérifiez les horloges.
directory-refusal-directory-stale = L'annuaire a expiré et son délai de grâce est écoulé : il en faut un à jour.
directory-refusal-directory-rollback = L'annuaire est plus ancien que celui dont ce nœud dispose déjà (retour en arrière refusé).
directory-refusal-directory-serial-reused = L'annuaire réutilise le numéro actuel avec un contenu différent.

## Motifs de refus d'un échange avec une Partie
traffic-refusal-directory-unusable = Ce nœud ne dispose d'aucun annuaire du réseau utilisable.
traffic-refusal-party-absent = La Partie ne figure pas dans l'annuaire du réseau.
traffic-refusal-contact-point-absent = La Partie n'a pas ce point de contact dans l'annuaire du réseau.
traffic-refusal-party-suspended = La Partie est suspendue par l'autorité d'annuaire.
traffic-refusal-party-revoked = La Partie est révoquée par l'autorité d'annuaire.
traffic-refusal-contact-point-suspended = Le point de contact est suspendu par l'autorité d'annuaire.
traffic-refusal-contact-point-revoked = Le point de contact est révoqué par l'autorité d'annuaire.
traffic-refusal-no-key-in-force = Le point de contact n'a aucune clé en vigueur.
