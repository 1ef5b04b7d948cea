-- The actions of one scenario with their commune's name, lon/lat in EPSG:4326 (no rows for an unknown id:
-- the caller checks that the scenario exists with scenario_by_id); year and budget_line of a plan over years.
SELECT a.action, a.facility_id, ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat, a.commune_code,
       c.name AS commune_name, a.cost_vnd, a.added_population, a.added_villages, a.reason, a.year, a.budget_line
FROM scenario_action a
LEFT JOIN commune c ON c.code = a.commune_code
WHERE a.scenario_id = :id
ORDER BY a.year NULLS FIRST, a.cost_vnd DESC, a.id;
