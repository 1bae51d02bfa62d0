-- Prepare-only requests of POST /apps/{app_id}/instances (X-Prepare-Only: true): what was prepared, fixed to the byte,
-- until the holder of the single-use commit token commits it (or the token expires). Only the token's SHA-256 is kept.
CREATE TABLE app_commit_tokens (
    id               INTEGER PRIMARY KEY,
    token_hash       TEXT NOT NULL UNIQUE,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    app_id           TEXT NOT NULL,
    teepod_id        INTEGER NOT NULL REFERENCES teepods (id),
    compose_hash     TEXT NOT NULL,
    compose_file     TEXT NOT NULL,
    name             TEXT NOT NULL,
    image            TEXT NOT NULL,
    vcpu             INTEGER NOT NULL,
    memory           INTEGER NOT NULL,
    disk_size        INTEGER NOT NULL,
    listed           INTEGER NOT NULL DEFAULT 0,
    -- Hex; the env the prepare request brought or, without one, the env of the instance the compose came from.
    encrypted_env    TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    -- Set when a commit claims the token (cleared again if creating the VM fails), so it commits once.
    used_at          TEXT,
    transaction_hash TEXT,
    cvm_id           INTEGER REFERENCES cvms (id)
);
CREATE INDEX app_commit_tokens_user ON app_commit_tokens (user_id);
