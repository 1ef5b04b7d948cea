-- Every user for the admin page, without password hashes, with their last successful login (the audit log's
-- 'login' events: entity 'login', entity_id the user's name, served by audit_log_entity_idx).
SELECT u.name, u.role, u.scope_codes, u.active, u.failed_logins, u.must_change_password,
       (SELECT max(a.at) FROM audit_log a
         WHERE a.entity = 'login' AND a.entity_id = u.name AND a.action = 'login') AS last_login_at
  FROM app_user u
 ORDER BY u.name;
