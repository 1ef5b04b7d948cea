-- The facilities of a province due in a plan's period (issue 23): working or not, but neither decommissioned nor
-- only planned, not inspected within :every_days before the period's last day (:period_end, a Viet Nam date), or
-- never; optionally of :types only. Binds: :province, :period_start, :period_end (dates), :every_days, :types.
-- priority: 0 a citizen report about it is still open (received or assigned), 1 it was reported broken, 2 other.
-- due_date: when its interval runs out inside the period; the period's last day when it has already run out
-- (or it was never inspected): the whole period is its window.
-- Order: priority, then least recently inspected (never first): the order the inspector works them.
WITH open_reports AS (
    SELECT facility_id, count(*) AS n
      FROM feedback
     WHERE facility_id IS NOT NULL AND status IN ('received', 'assigned')
     GROUP BY facility_id
)
SELECT f.id AS facility_id, f.commune_code, c.name AS commune_name, f.type, f.status, f.last_inspected_at,
       CASE WHEN r.n IS NOT NULL THEN 0 WHEN f.status = 'broken' THEN 1 ELSE 2 END AS priority,
       CASE WHEN f.last_inspected_at IS NOT NULL
                 AND vn_date(f.last_inspected_at) + :every_days BETWEEN CAST(:period_start AS date)
                                                                    AND CAST(:period_end AS date)
            THEN vn_date(f.last_inspected_at) + :every_days
            ELSE CAST(:period_end AS date) END AS due_date
  FROM facility f
  JOIN commune c ON c.code = f.commune_code
  LEFT JOIN open_reports r ON r.facility_id = f.id
 WHERE c.province_code = :province
   AND f.status NOT IN ('decommissioned', 'planned')
   AND (CAST(:types AS text[]) IS NULL OR f.type = ANY (CAST(:types AS text[])))
   AND (f.last_inspected_at IS NULL
        OR vn_date(f.last_inspected_at) <= CAST(:period_end AS date) - CAST(:every_days AS integer))
 ORDER BY priority, f.last_inspected_at NULLS FIRST, f.id;
