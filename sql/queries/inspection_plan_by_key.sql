-- One province's plan for a period, or nothing.
SELECT id, province_code, period, period_start, period_end, every_days, types, created_by, created_at
  FROM inspection_plan
 WHERE province_code = :province AND period = :period;
