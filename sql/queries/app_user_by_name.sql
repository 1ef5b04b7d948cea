-- One user of the web app, for the login check and for every request's role and scope check.
SELECT name, password_hash, role, scope_codes, active, failed_logins, last_failed_at, must_change_password
FROM app_user
WHERE name = :name;
