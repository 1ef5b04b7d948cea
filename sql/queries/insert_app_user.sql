-- A new user; the caller hashed the password. Returns nothing when the name is taken.
INSERT INTO app_user (name, password_hash, role, scope_codes)
VALUES (:name, :password_hash, :role, :scope_codes)
ON CONFLICT (name) DO NOTHING
RETURNING name;
