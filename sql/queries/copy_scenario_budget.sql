-- The budget lines of phased scenario :source copied into scenario :target (a duplicate).
INSERT INTO scenario_budget (scenario_id, year, budget_line, budget_vnd, actions, communes, commune_groups)
SELECT :target, year, budget_line, budget_vnd, actions, communes, commune_groups
FROM scenario_budget WHERE scenario_id = :source;
