-- A copy of scenario :id named :name, owned by :owner (its budget, province, parameters); the new id.
-- The actions are copied by copy_scenario_actions.
INSERT INTO scenario (name, owner, budget_vnd, province_code, params)
SELECT :name, :owner, budget_vnd, province_code, params || jsonb_build_object('copied_from', id)
FROM scenario WHERE id = :id
RETURNING id;
