-- Personal access tokens (issue 19): GIS clients (QGIS, GDAL) send one instead of a login to /ogcapi and /tiles,
-- as the password of HTTP Basic or as a Bearer token. Only a SHA-256 of the token is kept: the token is 256
-- random bits, so a fast hash is enough (nothing to guess) and lets a request find its row by index. The column
-- is named like app_user's so the audit trigger of 0010 (audit_rows) leaves it out of audit_log.
CREATE TABLE IF NOT EXISTS api_token (
    id            bigserial PRIMARY KEY,
    user_name     text NOT NULL REFERENCES app_user (name) ON DELETE CASCADE,
    name          text NOT NULL DEFAULT '' CHECK (length(name) <= 80),   -- "QGIS máy bàn": for the owner
    password_hash text NOT NULL UNIQUE,                                  -- hex SHA-256 of the token
    prefix        text NOT NULL,                                         -- first characters, shown in lists
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,                                           -- NULL: until revoked
    revoked_at    timestamptz
);
CREATE INDEX IF NOT EXISTS api_token_user_idx ON api_token (user_name);

-- Adding and revoking are audited by the trigger below; each use is audited by app/live_gis/tokens.py as an
-- audit_log row (action 'token_use', entity 'api_token') at most once per token, collection and minute, so a
-- client fetching hundreds of tiles writes one row, not hundreds. Last use is read back from those rows.

DROP TRIGGER IF EXISTS api_token_audit_ins ON api_token;
DROP TRIGGER IF EXISTS api_token_audit_upd ON api_token;
DROP TRIGGER IF EXISTS api_token_audit_del ON api_token;
CREATE TRIGGER api_token_audit_ins AFTER INSERT ON api_token REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('id');
CREATE TRIGGER api_token_audit_upd AFTER UPDATE ON api_token REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('id');
CREATE TRIGGER api_token_audit_del AFTER DELETE ON api_token REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('id');
