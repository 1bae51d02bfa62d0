-- Users own CVMs and carry the credit balance and tier that /teepods/available and quota checks read.
CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    username         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email            TEXT NOT NULL DEFAULT '',
    role             TEXT NOT NULL CHECK (role IN ('admin', 'user')),
    tier             TEXT NOT NULL DEFAULT 'FREE',
    credit_balance   TEXT NOT NULL DEFAULT '0',
    granted_balance  TEXT NOT NULL DEFAULT '0',
    created_at       TEXT NOT NULL
);

-- API tokens are stored only as the SHA-256 of the token; the prefix lets an operator recognise one in `token list`.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,
    token_prefix TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- A teepod is one dstack-vmm host. Probe results (versions, KMS/gateway facts, limits) are cached here by the pinger.
CREATE TABLE teepods (
    id                         INTEGER PRIMARY KEY,
    name                       TEXT NOT NULL UNIQUE,
    endpoint                   TEXT NOT NULL UNIQUE,
    auth_token                 TEXT,
    region_identifier          TEXT,
    kms_endpoint               TEXT,
    kms_url                    TEXT,
    kms_version                TEXT,
    kms_ca_cert_pem            TEXT,
    tproxy_endpoint            TEXT,
    tproxy_url                 TEXT,
    tproxy_version             TEXT,
    tproxy_base_domain         TEXT,
    tproxy_port                INTEGER,
    tproxy_tappd_port          INTEGER,
    teepod_version             TEXT,
    max_cvm_number             INTEGER,
    max_allocable_vcpu         INTEGER,
    max_allocable_memory_in_mb INTEGER,
    max_disk_size_in_gb        INTEGER,
    status                     TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline')),
    enabled                    INTEGER NOT NULL DEFAULT 1,
    listed                     INTEGER NOT NULL DEFAULT 1,
    -- What the last successful ping saw: resources held by VMs and the guest OS images on offer.
    vm_count                   INTEGER NOT NULL DEFAULT 0,
    used_vcpu                  INTEGER NOT NULL DEFAULT 0,
    used_memory_mb             INTEGER NOT NULL DEFAULT 0,
    images_json                TEXT NOT NULL DEFAULT '[]',
    last_ping_at               TEXT,
    last_seen_at               TEXT,
    last_error                 TEXT,
    created_at                 TEXT NOT NULL
);
