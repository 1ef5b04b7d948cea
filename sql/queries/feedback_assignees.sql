-- The active users a report can be assigned to: a role that answers reports and a scope holding its commune
-- (the same rule assign_feedback checks), inspectors first. The caller has checked the report is in its scope.
SELECT u.name, u.role
  FROM feedback f
  JOIN app_user u ON u.active AND u.role IN ('admin', 'planner', 'inspector')
                 AND commune_in_scope(f.commune_code, u.scope_codes)
 WHERE f.id = :feedback_id
 ORDER BY u.role <> 'inspector', u.role <> 'planner', u.name
