-- A saved investment scenario (DESIGN.md §6); the caller deletes an older one of the same name first.
INSERT INTO scenario (name, budget_vnd, province_code, params)
VALUES (:name, :budget_vnd, :province_code, CAST(:params AS jsonb))
RETURNING id;
