-- A plan's assignments in one statement (one audit statement too): parallel arrays, one element per facility.
-- An inspection already made in the period (a plan drawn up late) completes its assignment at once.
INSERT INTO inspection_assignment (plan_id, facility_id, commune_code, inspector, unassigned_reason, priority,
                                   due_date, status, inspection_id, done_at)
SELECT :plan_id, a.facility_id, a.commune_code, a.inspector, a.reason, a.priority, a.due_date,
       CASE WHEN done.id IS NULL THEN 'open' ELSE 'done' END, done.id, done.inspected_at
  FROM unnest(CAST(:facility_ids AS bigint[]), CAST(:communes AS text[]), CAST(:inspectors AS text[]),
              CAST(:reasons AS text[]), CAST(:priorities AS smallint[]), CAST(:due_dates AS date[]))
       AS a(facility_id, commune_code, inspector, reason, priority, due_date)
  JOIN inspection_plan p ON p.id = :plan_id
  LEFT JOIN LATERAL (
      SELECT i.id, i.inspected_at FROM inspection i
       WHERE i.facility_id = a.facility_id AND i.withdrawn_at IS NULL
         AND vn_date(i.inspected_at) BETWEEN p.period_start AND p.period_end
       ORDER BY i.inspected_at, i.id LIMIT 1) done ON true;
