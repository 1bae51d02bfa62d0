-- Everything that is prepared and then committed once within its lifetime (a deploy provision, an app instance
-- prepared with X-Prepare-Only, a compose update, a prepared PATCH) is one row here: one claim mechanism instead of
-- three tables with three drifting copies of it. `payload` is the plan, as JSON of the feature that prepared it.
CREATE TABLE pending_operations (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('deploy', 'instance', 'compose_update', 'patch')),
    -- What makes "the same" operation for its kind (user:app:hash for a deploy, cvm:hash for an update, token: for
    -- an instance): preparing it again renews the row rather than adding a second.
    lookup_key       TEXT NOT NULL,
    -- SHA-256 of the single-use commit token, for the kinds committed with one; the token is shown once, never kept.
    token_hash       TEXT,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    app_id           TEXT NOT NULL,
    -- The CVM an update changes (null for creations).
    cvm_id           INTEGER REFERENCES cvms (id),
    teepod_id        INTEGER REFERENCES teepods (id),
    compose_hash     TEXT NOT NULL,
    payload          TEXT NOT NULL,
    -- Resources a creation adds: counted against the user's tier while its commit is in flight.
    vcpu             INTEGER NOT NULL DEFAULT 0,
    memory           INTEGER NOT NULL DEFAULT 0,
    disk_size        INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'committing', 'done')),
    -- The process whose commit holds the claim; a claim held by a process that died is taken over by the next commit
    -- or ping, which first looks for the VM the dead one may have created.
    claim_owner      TEXT,
    claimed_at       TEXT,
    transaction_hash TEXT,
    result_cvm_id    INTEGER REFERENCES cvms (id),
    done_at          TEXT,
    UNIQUE (kind, lookup_key)
);
CREATE UNIQUE INDEX pending_operations_token ON pending_operations (token_hash) WHERE token_hash IS NOT NULL;
CREATE INDEX pending_operations_committing ON pending_operations (teepod_id, state) WHERE state = 'committing';
CREATE INDEX pending_operations_user ON pending_operations (user_id, state);
CREATE INDEX pending_operations_expiry ON pending_operations (expires_at);

INSERT INTO pending_operations (kind, lookup_key, user_id, app_id, teepod_id, compose_hash, payload, vcpu, memory,
    disk_size, created_at, expires_at, state, claim_owner, claimed_at, result_cvm_id, done_at)
SELECT 'deploy', user_id || ':' || app_id || ':' || compose_hash, user_id, app_id, teepod_id, compose_hash,
    json_object('name', name, 'image', image, 'compose_file', compose_file, 'listed', json(CASE WHEN listed THEN 'true' ELSE 'false' END),
        'encrypted_env', NULL, 'instance_type', instance_type, 'kms_id', kms_id),
    vcpu, memory, disk_size, created_at, expires_at,
    CASE WHEN cvm_id IS NOT NULL THEN 'done' WHEN committing_at IS NOT NULL THEN 'committing' ELSE 'pending' END,
    CASE WHEN cvm_id IS NULL AND committing_at IS NOT NULL THEN 'migrated' END, committing_at, cvm_id,
    CASE WHEN cvm_id IS NOT NULL THEN COALESCE(committing_at, created_at) END
FROM provisions;

INSERT INTO pending_operations (kind, lookup_key, token_hash, user_id, app_id, teepod_id, compose_hash, payload, vcpu,
    memory, disk_size, created_at, expires_at, state, claim_owner, claimed_at, transaction_hash, result_cvm_id, done_at)
SELECT 'instance', 'token:' || token_hash, token_hash, user_id, app_id, teepod_id, compose_hash,
    json_object('name', name, 'image', image, 'compose_file', compose_file, 'listed', json(CASE WHEN listed THEN 'true' ELSE 'false' END),
        'encrypted_env', encrypted_env, 'instance_type', NULL, 'kms_id', NULL),
    vcpu, memory, disk_size, created_at, expires_at,
    CASE WHEN cvm_id IS NOT NULL THEN 'done' WHEN used_at IS NOT NULL THEN 'committing' ELSE 'pending' END,
    CASE WHEN cvm_id IS NULL AND used_at IS NOT NULL THEN 'migrated' END, used_at, transaction_hash, cvm_id,
    CASE WHEN cvm_id IS NOT NULL THEN used_at END
FROM app_commit_tokens;

INSERT INTO pending_operations (kind, lookup_key, token_hash, user_id, app_id, cvm_id, teepod_id, compose_hash, payload,
    created_at, expires_at, state, transaction_hash, result_cvm_id, done_at)
SELECT CASE WHEN u.commit_token_hash IS NULL THEN 'compose_update' ELSE 'patch' END, u.cvm_id || ':' || u.compose_hash,
    u.commit_token_hash, u.user_id, c.app_id, u.cvm_id, c.teepod_id, u.compose_hash,
    json_object('compose_file', u.compose_file, 'encrypted_env', u.encrypted_env, 'user_config', u.user_config),
    u.created_at, u.expires_at, CASE WHEN u.applied_at IS NULL THEN 'pending' ELSE 'done' END, u.transaction_hash,
    CASE WHEN u.applied_at IS NOT NULL THEN u.cvm_id END, u.applied_at
FROM compose_updates u JOIN cvms c ON c.id = u.cvm_id
WHERE u.user_id IS NOT NULL;

DROP TABLE provisions;
DROP TABLE app_commit_tokens;
DROP TABLE compose_updates;

-- An app (its app_id: the identity the KMS derives keys from and the gateway routes by) belongs to one user. Nobody
-- else may deploy or add instances under it. user_id NULL: seen on a teepod but owned by no user (admins only).
CREATE TABLE apps (
    app_id     TEXT PRIMARY KEY,
    user_id    INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL
);
INSERT INTO apps (app_id, user_id, created_at)
SELECT c.app_id,
    (SELECT o.user_id FROM cvms o WHERE o.app_id = c.app_id AND o.user_id IS NOT NULL ORDER BY o.created_at, o.id LIMIT 1),
    MIN(c.created_at)
FROM cvms c GROUP BY c.app_id;
CREATE INDEX apps_user ON apps (user_id);
