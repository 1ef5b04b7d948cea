-- Every user for the admin page and `phusong users list`, without password hashes.
SELECT name, role, scope_codes, active, failed_logins, last_failed_at, created_at
FROM app_user
ORDER BY name;
