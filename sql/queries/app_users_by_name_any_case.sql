-- The user a typed name means, compared as names are kept unique (without case, app_user_name_taken): the exact
-- name first, then the others differing by case only (an older database may hold two; app/auth.py find_user).
SELECT name, password_hash, role, scope_codes, active, failed_logins, last_failed_at, must_change_password
FROM app_user
WHERE lower(name) = lower(:name)
ORDER BY name = :name DESC, name;
