-- Saved scenarios for the pickers of the planning and export pages, newest first.
SELECT id, name, budget_vnd, province_code, created_by, created_at
FROM scenario
ORDER BY created_at DESC, name;
