-- The active inspectors whose scope holds commune :code (those an assignment there may be given to).
SELECT u.name
  FROM app_user u
  JOIN commune c ON c.code = :code
 WHERE u.role = 'inspector' AND u.active
   AND (c.code = ANY (u.scope_codes) OR c.province_code = ANY (u.scope_codes))
 ORDER BY u.name;
