-- One saved scenario's header: name, owner, province scope (NULL = whole country), budget, parameters.
SELECT id, name, owner, budget_vnd, province_code, params, created_by, created_at
FROM scenario WHERE id = :id;
