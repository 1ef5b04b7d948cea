-- A saved investment scenario (DESIGN.md §6) of :owner; the caller deletes the owner's older one of the same name
-- first (delete_scenario_of_owner). :owner NULL: the writer of the transaction (audit_actor, e.g. the CLI's).
INSERT INTO scenario (name, owner, budget_vnd, province_code, params)
VALUES (:name, coalesce(:owner, audit_actor()), :budget_vnd, :province_code, CAST(:params AS jsonb))
RETURNING id;
