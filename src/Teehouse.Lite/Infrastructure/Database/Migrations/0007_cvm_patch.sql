-- PATCH /cvms/{id} with X-Prepare-Only: the prepared update is a compose_updates row that also carries the new encrypted
-- env / user_config and the sha256 of its single-use commit token (POST /cvms/{id}/commit-update). The token itself is
-- shown once, in the 465 answer, and never stored.
ALTER TABLE compose_updates ADD COLUMN commit_token_hash TEXT;
ALTER TABLE compose_updates ADD COLUMN encrypted_env TEXT;
ALTER TABLE compose_updates ADD COLUMN user_config TEXT;
ALTER TABLE compose_updates ADD COLUMN transaction_hash TEXT;
