-- Server-side sessions, login throttling by (name, address) and the client address in the audit log (issue 14).
--
-- sessions: the browser's cookie holds only a random session id (256 bits); this table keeps its SHA-256, so a
-- copy of the table (a dump, a backup) opens no session. A session ends when the user logs out, when an admin
-- changes the user's password, role, scope or active flag, when it has been idle for 8 h or is older than 24 h
-- (app/sessions.py; the expiry is written here, the idle limit is checked against last_seen_at). Several web
-- processes share it, so any of them can end any session.
CREATE TABLE IF NOT EXISTS sessions (
    id_hash      text PRIMARY KEY,                 -- hex SHA-256 of the id in the cookie
    user_name    text NOT NULL REFERENCES app_user (name) ON UPDATE CASCADE ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,             -- absolute end: created_at + 24 h
    ip           text,
    user_agent   text
);
CREATE INDEX IF NOT EXISTS sessions_user_idx ON sessions (user_name);

-- Failed logins per (name, client address): the back-off applies to this pair only, so a stranger who types
-- the admin's name wrongly from their own machine does not lock the admin out of theirs. The name is kept as
-- typed (unknown names too: throttling only real names would tell which names exist).
CREATE TABLE IF NOT EXISTS login_failure (
    user_name      text NOT NULL,
    address        text NOT NULL,
    failures       integer NOT NULL,
    last_failed_at timestamptz NOT NULL,
    PRIMARY KEY (user_name, address)
);
CREATE INDEX IF NOT EXISTS login_failure_last_failed_idx ON login_failure (last_failed_at);

-- Where a change came from. Rows written by the audit triggers take it from the transaction's phusong.address
-- (sql/bulk.py set_actor), the login/logout/refusal/download rows name it themselves.
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS address text
    DEFAULT nullif(current_setting('phusong.address', true), '');
-- The global alarm counts recent failed logins across every address (app/auth.py).
CREATE INDEX IF NOT EXISTS audit_log_login_failed_idx ON audit_log (at) WHERE action = 'login_failed';
