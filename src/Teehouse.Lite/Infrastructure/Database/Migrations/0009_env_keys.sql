-- Whether the CVM's compose enables the KMS, as last seen (NULL: not looked at yet; the next sync fills it in), so
-- answers can carry the env-encryption key without parsing a compose per row.
ALTER TABLE cvms ADD COLUMN kms_enabled INTEGER;
-- The app's env-encryption public key (X25519, hex) as its KMS handed it out: the same for every instance, since the
-- KMS derives it from the app id. Kept so that CVM answers carry it without asking a KMS per row.
ALTER TABLE apps ADD COLUMN env_pubkey TEXT;
