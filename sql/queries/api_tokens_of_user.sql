-- The tokens of one user (:user_name), or of everyone when it is NULL, newest first, with their last use read
-- from the token-use audit rows (one per token, collection and minute: app/live_gis/tokens.py).
SELECT t.id, t.user_name, t.name, t.prefix, t.created_at, t.expires_at, t.revoked_at,
       (SELECT max(l.at) FROM audit_log l
         WHERE l.entity = 'api_token' AND l.entity_id = t.id::text AND l.action = 'token_use') AS last_used_at
FROM api_token t
WHERE CAST(:user_name AS text) IS NULL OR t.user_name = :user_name
ORDER BY t.created_at DESC, t.id DESC;
