-- What was done, by whom, from where, and how it ended: one row per mutating API request (authenticated or not) and
-- per mutating CLI command. Never a request body, header, query string or token: the action is the route template,
-- the target a route value that is an id. user_id is kept without a foreign key: a row must outlive its user.
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY,
    at             TEXT    NOT NULL,            -- ISO-8601 UTC with milliseconds (Clock.Format)
    user_id        INTEGER,                     -- null for the CLI and for callers without a valid token
    username       TEXT    NOT NULL,            -- the user's name, 'cli:<unix user>' or 'anonymous'
    action         TEXT    NOT NULL,            -- 'POST /api/v1/cvms/{cvm_id}/stop', 'cli token create'
    target         TEXT,                        -- the resource id of the route or the command, when there is one
    status         INTEGER NOT NULL,            -- HTTP status, or the command's exit code
    result         TEXT    NOT NULL,            -- 'ok' | 'error'
    client_address TEXT    NOT NULL,            -- remote IP, 'local' for the CLI
    detail         TEXT
);

-- Newest first (at DESC, id DESC) everywhere; one index per filter so a page walks its index in answer order and
-- stops after the page. The time index also serves since/until and the retention DELETE of everything before a time.
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_user ON audit_log (user_id, at DESC, id DESC);
CREATE INDEX audit_log_username ON audit_log (username, at DESC, id DESC);
CREATE INDEX audit_log_target ON audit_log (target, at DESC, id DESC);
