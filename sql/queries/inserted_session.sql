-- A new server-side session (app/sessions.py): the cookie holds the id, this row only its SHA-256. Sessions past
-- their absolute expiry are cleared away on the way, so the table holds about one day of logins.
WITH expired AS (
    DELETE FROM sessions WHERE expires_at <= now()
)
INSERT INTO sessions (id_hash, user_name, expires_at, ip, user_agent)
VALUES (:id_hash, :user_name, now() + make_interval(secs => :max_s), :ip, :user_agent)
RETURNING id_hash;
