-- Change a user's role, scope, password, active flag or "must change the password"; a NULL bind keeps the value.
UPDATE app_user
   SET role                 = coalesce(:role, role),
       scope_codes          = coalesce(CAST(:scope_codes AS text[]), scope_codes),
       password_hash        = coalesce(:password_hash, password_hash),
       active               = coalesce(:active, active),
       must_change_password = coalesce(CAST(:must_change AS boolean), must_change_password),
       failed_logins        = CASE WHEN :password_hash IS NULL THEN failed_logins ELSE 0 END
 WHERE name = :name
RETURNING name;
