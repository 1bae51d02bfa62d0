-- Step one of a compose upgrade (POST /cvms/{id}/compose_file/provision): the new app-compose of a CVM, fixed by its
-- compose hash, until it is applied (PATCH /cvms/{id}/compose_file) or expires. compose_file holds the exact bytes
-- that will be written to the VM, so the hash the client was given is the hash the guest measures.
CREATE TABLE compose_updates (
    id           INTEGER PRIMARY KEY,
    cvm_id       INTEGER NOT NULL REFERENCES cvms (id),
    user_id      INTEGER REFERENCES users (id),
    compose_hash TEXT NOT NULL,
    compose_file TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    applied_at   TEXT,
    UNIQUE (cvm_id, compose_hash)
);
