-- The active inspectors whose scope holds communes of :province, with those communes (issue 23: who may be
-- assigned a facility). An inspector's empty scope holds nothing (issue 6: inspectors always have a scope).
SELECT u.name AS inspector, array_agg(c.code ORDER BY c.code) AS communes
  FROM app_user u
  JOIN commune c ON c.province_code = :province
                AND (c.code = ANY (u.scope_codes) OR c.province_code = ANY (u.scope_codes))
 WHERE u.role = 'inspector' AND u.active
 GROUP BY u.name
 ORDER BY u.name;
