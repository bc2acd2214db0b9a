# The network directory (cp247-directory): health warnings and refusal reasons.
# Keys end with the stable code the software logs and prints (underscores written as hyphens).

## Health of the node's directory
directory-health-directory-missing = NO NETWORK DIRECTORY: this node refuses all traffic until a directory signed by the pinned authority is accepted.
directory-health-directory-valid = The network directory (serial { $serial }) is valid until { $until }.
directory-health-directory-in-grace = THE NETWORK DIRECTORY HAS EXPIRED: serial { $serial } expired at { $expired_at }. Traffic continues in the grace period and STOPS at { $until } unless a fresh directory is accepted.
directory-health-directory-expired = THE NETWORK DIRECTORY HAS EXPIRED: serial { $serial } expired at { $expired_at }; its grace period ended at { $until }. This node refuses all traffic until a fresh directory is accepted.

## Why a directory was refused
directory-refusal-directory-too-large = The directory or its signature is larger than a node accepts.
directory-refusal-directory-bad-signature = The directory is not signed by the pinned directory authority, or was changed after signing.
directory-refusal-directory-malformed = The signed file is not a valid directory.
directory-refusal-directory-authority-mismatch = The directory names another authority than the one this node pins.
directory-refusal-directory-issued-in-future = The directory is dated in the future: check the clocks.
directory-refusal-directory-stale = The directory has expired and its grace period is over: a fresh one is needed.
directory-refusal-directory-rollback = The directory is older than the one this node already has (rollback refused).
directory-refusal-directory-serial-reused = The directory reuses the current serial number with different content.

## Why traffic with a Party was refused
traffic-refusal-directory-unusable = This node has no usable network directory.
traffic-refusal-party-absent = The Party is not in the network directory.
traffic-refusal-contact-point-absent = The Party has no such contact point in the network directory.
traffic-refusal-party-suspended = The Party is suspended by the directory authority.
traffic-refusal-party-revoked = The Party is revoked by the directory authority.
traffic-refusal-contact-point-suspended = The contact point is suspended by the directory authority.
traffic-refusal-contact-point-revoked = The contact point is revoked by the directory authority.
traffic-refusal-no-key-in-force = The contact point has no key in force.
