-- HTTP Basic credentials for a teepod whose dstack-vmm sits behind a reverse proxy that checks them: a released vmm's
-- own [auth] token guards only GET /logs, so a proxy is how its /prpc is protected (the official vmm-cli sends Basic
-- for the same reason). A teepod stores either auth_token (sent as Bearer) or these two, never both; like the token
-- they are kept in clear because every request needs them, and no route ever returns them.
ALTER TABLE teepods ADD COLUMN auth_username TEXT;
ALTER TABLE teepods ADD COLUMN auth_password TEXT;
