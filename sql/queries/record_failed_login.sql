-- Count a failed login; the count decides how long the next attempt must wait (app/auth.py).
UPDATE app_user
   SET failed_logins = failed_logins + 1, last_failed_at = now()
 WHERE name = :name
RETURNING failed_logins;
