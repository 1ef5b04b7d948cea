-- Every assignment of a plan with what the status page and the app show: facility, commune, inspector, due
-- date, state. Binds: :plan_id. Removed assignments are included (the caller leaves them out of the counts).
SELECT a.id, a.plan_id, a.facility_id, f.name AS facility_name, f.external_id, f.type, f.status AS facility_status,
       a.commune_code, c.name AS commune_name, a.inspector, a.unassigned_reason, a.priority, a.due_date,
       a.status, a.inspection_id, a.done_at, f.last_inspected_at
  FROM inspection_assignment a
  JOIN facility f ON f.id = a.facility_id
  LEFT JOIN commune c ON c.code = a.commune_code
 WHERE a.plan_id = :plan_id
 ORDER BY a.status = 'removed', a.priority, a.due_date, c.name, a.facility_id;
