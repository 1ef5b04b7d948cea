-- A copy of scenario :id named :name, owned by :owner (its budget, province, parameters, years); the new id.
-- The actions are copied by copy_scenario_actions, a phased scenario's budget lines by copy_scenario_budget.
INSERT INTO scenario (name, owner, budget_vnd, province_code, params, first_year, last_year)
SELECT :name, :owner, budget_vnd, province_code, params || jsonb_build_object('copied_from', id), first_year,
       last_year
FROM scenario WHERE id = :id
RETURNING id;
