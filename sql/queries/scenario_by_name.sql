-- One saved scenario's header (budget, province, parameters and totals as saved).
SELECT id, name, budget_vnd, province_code, params, created_by, created_at
FROM scenario WHERE name = :name;
