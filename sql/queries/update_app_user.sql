-- Change a user's role, scope, password or active flag; a NULL bind keeps the current value.
UPDATE app_user
   SET role          = coalesce(:role, role),
       scope_codes   = coalesce(CAST(:scope_codes AS text[]), scope_codes),
       password_hash = coalesce(:password_hash, password_hash),
       active        = coalesce(:active, active),
       failed_logins = CASE WHEN :password_hash IS NULL THEN failed_logins ELSE 0 END
 WHERE name = :name
RETURNING name;
