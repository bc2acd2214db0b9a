"""Schemathesis hooks of scripts/api-contract.sh."""

import schemathesis

# The federation endpoint takes an ASCII-armoured OpenPGP message: text on the wire.
schemathesis.serializer.alias("application/pgp-encrypted", "text/plain")
