-- Step one of a deploy (POST /cvms/provision): what will be created, fixed by its compose hash, until it is committed
-- (POST /cvms) or expires. compose_file holds the exact app-compose bytes that will be written to the VM.
CREATE TABLE provisions (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    teepod_id     INTEGER NOT NULL REFERENCES teepods (id),
    app_id        TEXT NOT NULL,
    compose_hash  TEXT NOT NULL,
    compose_file  TEXT NOT NULL,
    name          TEXT NOT NULL,
    image         TEXT NOT NULL,
    vcpu          INTEGER NOT NULL,
    memory        INTEGER NOT NULL,
    disk_size     INTEGER NOT NULL,
    instance_type TEXT,
    listed        INTEGER NOT NULL DEFAULT 0,
    kms_id        TEXT,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    -- Set when the commit starts calling the vmm, so a retry after a crash looks for the VM before creating another.
    committing_at TEXT,
    cvm_id        INTEGER REFERENCES cvms (id),
    UNIQUE (user_id, app_id, compose_hash)
);
