-- The public id of a CVM in the v2026-01-21 contract (CvmInfo.id, "hashed CvmId"): 16 random lowercase hex characters.
-- Random rather than derived from the row id, so ids reveal neither how many CVMs exist nor when one was made; stored,
-- so it never changes. Its length keeps it apart from the other id forms a path may carry (32-hex uuid, 40-hex app id).
ALTER TABLE cvms ADD COLUMN hashed_id TEXT;
UPDATE cvms SET hashed_id = lower(hex(randomblob(8))) WHERE hashed_id IS NULL;
CREATE UNIQUE INDEX cvms_hashed_id ON cvms (hashed_id);
-- Every insert path (import, adopt, deploy) gets an id without having to know about it.
CREATE TRIGGER cvms_hashed_id_on_insert AFTER INSERT ON cvms WHEN NEW.hashed_id IS NULL
BEGIN
    UPDATE cvms SET hashed_id = lower(hex(randomblob(8))) WHERE id = NEW.id;
END;

-- An operation the control plane is carrying out on the CVM over time (in_progress = 1 while it runs), shown as the
-- contract's `progress` {target, started_at, correlation_id}. progress_operation says which one (e.g. 'restart'), so
-- the worker that finishes an operation only picks up its own rows.
ALTER TABLE cvms ADD COLUMN progress_operation TEXT;
ALTER TABLE cvms ADD COLUMN progress_target TEXT;
ALTER TABLE cvms ADD COLUMN progress_started_at TEXT;
ALTER TABLE cvms ADD COLUMN progress_correlation_id TEXT;

-- The other id forms a CVM is looked up by.
CREATE INDEX cvms_vm_uuid ON cvms (vm_uuid);
CREATE INDEX cvms_instance_id ON cvms (instance_id);
CREATE INDEX cvms_name ON cvms (name);
