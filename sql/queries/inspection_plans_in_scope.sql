-- The inspection plans a user may see: every plan, or those of the provinces named in the scope (a provincial
-- planner sees only their province's). Optional :province, :period and :plan_id narrow them. Newest first.
SELECT p.id, p.province_code, pr.name AS province_name, p.period, p.period_start, p.period_end, p.every_days,
       p.types, p.created_by, p.created_at
  FROM inspection_plan p
  LEFT JOIN admin_unit pr ON pr.version = '2025' AND pr.level = 'province' AND pr.code = p.province_code
 WHERE (:whole_country OR p.province_code = ANY (CAST(:scope AS text[])))
   AND (CAST(:province AS text) IS NULL OR p.province_code = :province)
   AND (CAST(:period AS text) IS NULL OR p.period = :period)
   AND (CAST(:plan_id AS bigint) IS NULL OR p.id = :plan_id)
 ORDER BY p.period_start DESC, p.province_code;
