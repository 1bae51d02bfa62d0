-- CVMs known to Teehouse Lite: imported from a teepod, adopted with .../list, or deployed through the API.
-- The vmm stays the source of truth for what runs; these rows add ownership and listing, and remember what was seen.
CREATE TABLE cvms (
    id             INTEGER PRIMARY KEY,
    teepod_id      INTEGER NOT NULL REFERENCES teepods (id),
    vm_uuid        TEXT NOT NULL,
    app_id         TEXT NOT NULL,
    instance_id    TEXT,
    name           TEXT NOT NULL,
    -- The vmm's status (running, exited, stopping, stopped, removing), or 'gone' once the VM vanished from its host.
    status         TEXT NOT NULL,
    uptime         TEXT,
    image          TEXT,
    image_version  TEXT,
    vcpu           INTEGER,
    memory         INTEGER,
    disk_size      INTEGER,
    compose_hash   TEXT,
    user_id        INTEGER REFERENCES users (id),
    listed         INTEGER NOT NULL DEFAULT 0,
    in_progress    INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    last_synced_at TEXT,
    gone_at        TEXT,
    UNIQUE (teepod_id, vm_uuid)
);
CREATE INDEX cvms_app_id ON cvms (app_id);
CREATE INDEX cvms_user ON cvms (user_id);
