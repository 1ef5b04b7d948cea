-- Give an open assignment of :plan_id to :inspector, only when that inspector is active and their scope holds the
-- facility's commune; returns the row changed, nothing otherwise (the caller says why).
UPDATE inspection_assignment a
   SET inspector = u.name, unassigned_reason = NULL, updated_at = now()
  FROM app_user u, commune c
 WHERE a.id = :assignment_id AND a.plan_id = :plan_id AND a.status = 'open'
   AND u.name = :inspector AND u.role = 'inspector' AND u.active
   AND c.code = a.commune_code
   AND (c.code = ANY (u.scope_codes) OR c.province_code = ANY (u.scope_codes))
RETURNING a.id;
