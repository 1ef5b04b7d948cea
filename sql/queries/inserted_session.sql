-- A new server-side session (app/sessions.py): the cookie holds the id, this row only its SHA-256.
INSERT INTO sessions (id_hash, user_name, expires_at, ip, user_agent)
VALUES (:id_hash, :user_name, now() + make_interval(secs => :max_s), :ip, :user_agent)
RETURNING id_hash;
