-- The server's key for log capabilities (the `cap` of a CVM's syslog_endpoint): HMAC-SHA256 over (CVM, expiry), so
-- checking one needs no per-request write. One row, made on first use; owned by Cvms/LogCapabilities.cs. Deleting
-- the row and restarting (the key is cached in memory) revokes every capability issued; a new key is made on next use.
CREATE TABLE log_capability_keys (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    key        BLOB NOT NULL,
    created_at TEXT NOT NULL
);
