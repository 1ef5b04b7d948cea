-- Revoke token :id (of :user_name when given: a user revokes only their own); returns it when it was live.
UPDATE api_token SET revoked_at = now()
WHERE id = :id AND revoked_at IS NULL AND (CAST(:user_name AS text) IS NULL OR user_name = :user_name)
RETURNING id, user_name, name;
