-- The actions of scenario :source copied into scenario :target (a duplicate).
INSERT INTO scenario_action (scenario_id, action, facility_id, geom, commune_code, cost_vnd, added_population,
                             added_villages, reason)
SELECT :target, action, facility_id, geom, commune_code, cost_vnd, added_population, added_villages, reason
FROM scenario_action WHERE scenario_id = :source
ORDER BY id;
