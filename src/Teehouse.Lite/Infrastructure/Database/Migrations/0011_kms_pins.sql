-- The k256 signing key of each KMS as first learnt from its own GetMeta (trust on first use), keyed by the KMS URL
-- (trimmed, no trailing slash, lowercase). Every env-encryption key handed out is checked against it, so a relay or
-- anything on the path cannot swap the key users encrypt secrets to. A `k256_pubkey` in [[kms]] overrides the row;
-- the row is never overwritten: a key signed by another k256 key is refused and only noted in the last_mismatch_*
-- columns. Deleting the row re-pins on next use. Owned by Kms/KmsPinStore.cs.
CREATE TABLE kms_pins (
    url                       TEXT PRIMARY KEY,
    k256_pubkey               TEXT NOT NULL,
    learned_at                TEXT NOT NULL,
    learned_from              TEXT NOT NULL,
    last_mismatch_k256_pubkey TEXT,
    last_mismatch_at          TEXT,
    last_mismatch_from        TEXT
);
