-- Caches in the server (token lookups, the teepod views) stay valid until a table they are built from changes, in this
-- process or in another one (a `teehouse token revoke`, an import). The triggers keep one counter per area, so a
-- cache can tell "my inputs changed" from "something was written" without reading its tables. Tables written in bulk
-- (cvms, apps) have no trigger: their caches are keyed on PRAGMA data_version, which moves on any commit.
CREATE TABLE change_counters (
    area TEXT PRIMARY KEY,
    n    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO change_counters (area, n) VALUES ('auth', 0), ('teepods', 0);

-- last_used_at is written once a minute per token and changes nobody's access: it does not count.
CREATE TRIGGER api_tokens_changed_insert AFTER INSERT ON api_tokens
BEGIN UPDATE change_counters SET n = n + 1 WHERE area = 'auth'; END;
CREATE TRIGGER api_tokens_changed_update AFTER UPDATE OF user_id, token_hash, revoked_at ON api_tokens
BEGIN UPDATE change_counters SET n = n + 1 WHERE area = 'auth'; END;
CREATE TRIGGER api_tokens_changed_delete AFTER DELETE ON api_tokens
BEGIN UPDATE change_counters SET n = n + 1 WHERE area = 'auth'; END;

CREATE TRIGGER users_changed_insert AFTER INSERT ON users
BEGIN UPDATE change_counters SET n = n + 1 WHERE area = 'auth'; END;
CREATE TRIGGER users_changed_update AFTER UPDATE ON users
BEGIN UPDATE change_counters SET n = n + 1 WHERE area = 'auth'; END;
CREATE TRIGGER users_changed_delete AFTER DELETE ON users
BEGIN UPDATE change_counters SET n = n + 1 WHERE area = 'auth'; END;

CREATE TRIGGER teepods_changed_insert AFTER INSERT ON teepods
BEGIN UPDATE change_counters SET n = n + 1 WHERE area = 'teepods'; END;
CREATE TRIGGER teepods_changed_update AFTER UPDATE ON teepods
BEGIN UPDATE change_counters SET n = n + 1 WHERE area = 'teepods'; END;
CREATE TRIGGER teepods_changed_delete AFTER DELETE ON teepods
BEGIN UPDATE change_counters SET n = n + 1 WHERE area = 'teepods'; END;
