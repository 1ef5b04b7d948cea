-- The actions of scenario :source copied into scenario :target (a duplicate), with a phased scenario's years and
-- budget lines.
INSERT INTO scenario_action (scenario_id, action, facility_id, geom, commune_code, cost_vnd, added_population,
                             added_villages, reason, year, budget_line)
SELECT :target, action, facility_id, geom, commune_code, cost_vnd, added_population, added_villages, reason, year,
       budget_line
FROM scenario_action WHERE scenario_id = :source
ORDER BY id;
