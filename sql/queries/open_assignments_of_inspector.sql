-- "Việc của tôi" (issue 23): an inspector's open assignments in plans whose period has begun, overdue first
-- (the oldest due date first), then by priority. Binds: :inspector, :today (a Viet Nam date).
SELECT a.id, a.facility_id, f.name AS facility_name, f.external_id, f.type, f.status AS facility_status,
       a.commune_code, c.name AS commune_name, a.priority, a.due_date, p.period,
       a.due_date < CAST(:today AS date) AS overdue
  FROM inspection_assignment a
  JOIN inspection_plan p ON p.id = a.plan_id
  JOIN facility f ON f.id = a.facility_id
  LEFT JOIN commune c ON c.code = a.commune_code
 WHERE a.inspector = :inspector AND a.status = 'open'
   AND p.period_start <= CAST(:today AS date)
 ORDER BY a.due_date < CAST(:today AS date) DESC, a.due_date, a.priority, a.facility_id;
