-- The user a presented token stands for, looked up by the token's SHA-256: only a live token (not revoked, not
-- expired) of an active user; the role and scope are the user's as stored now. must_change_password: an
-- administrator reset the password; the token is refused until the user sets their own (app/live_gis/tokens.py).
SELECT t.id AS token_id, t.name AS token_name, u.name, u.role, u.scope_codes, u.must_change_password
FROM api_token t
JOIN app_user u ON u.name = t.user_name
WHERE t.password_hash = :password_hash
  AND t.revoked_at IS NULL
  AND (t.expires_at IS NULL OR t.expires_at > now())
  AND u.active;
