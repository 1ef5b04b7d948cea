-- A new inspection plan (issue 23); NULL when the province already has a plan for this period.
INSERT INTO inspection_plan (province_code, period, period_start, period_end, every_days, types, created_by)
VALUES (:province, :period, :period_start, :period_end, :every_days, CAST(:types AS text[]), :created_by)
ON CONFLICT (province_code, period) DO NOTHING
RETURNING id;
