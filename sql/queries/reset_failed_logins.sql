-- A successful login clears the count of failures.
UPDATE app_user SET failed_logins = 0, last_failed_at = NULL WHERE name = :name AND failed_logins > 0;
