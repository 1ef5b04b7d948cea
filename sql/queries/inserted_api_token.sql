-- Store a new personal access token of an existing user (only its SHA-256; the token itself is shown once).
INSERT INTO api_token (user_name, name, password_hash, prefix, expires_at)
SELECT u.name, :name, :password_hash, :prefix, :expires_at
FROM app_user u WHERE u.name = :user_name
RETURNING id, user_name, name, prefix, created_at, expires_at;
