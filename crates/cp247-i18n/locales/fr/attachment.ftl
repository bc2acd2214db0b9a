# Pièces jointes des demandes et des réponses (API de cp247-server) : problèmes des fichiers
# qu'un agent envoie. Clés en kebab-case. Arguments : $path (toujours) ; $count, $size, $max
# selon le message. Les messages ne citent jamais un nom ou un contenu de fichier.

attachment-problem-too-many-attachments = { $path } : { $count } fichiers sont joints ; un message en accepte au plus { $max }.
attachment-problem-attachment-too-large = { $path } : le fichier fait { $size } octets ; un fichier peut en faire au plus { $max }.
attachment-problem-attachments-too-large = { $path } : les fichiers font ensemble { $size } octets ; un message en accepte au plus { $max }.
attachment-problem-invalid-base64 = { $path } n’est pas du base64 (alphabet de la RFC 4648 avec remplissage =, sans saut de ligne).
attachment-problem-invalid-media-type = { $path } n’est pas un type de média : écrivez type/sous-type sans paramètre, par exemple application/pdf.
attachment-problem-file-name-empty = { $path } est vide : donnez le nom du fichier.
attachment-problem-file-name-too-long = { $path } dépasse 255 octets.
attachment-problem-file-name-path-separator = { $path } contient / ou \ : donnez seulement le nom du fichier, sans dossier.
attachment-problem-file-name-control-character = { $path } contient un caractère de contrôle ou un caractère de mise en forme invisible (comme un forçage de droite à gauche).
attachment-problem-file-name-dot-name = { $path } ne peut pas être . ou .. (ils désignent des dossiers).
attachment-problem-file-name-edge-space = { $path } ne peut ni commencer ni finir par une espace.
