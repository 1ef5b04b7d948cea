-- One chosen action of a scenario; the point is built from lon/lat in EPSG:4326; reason names the rule; year and
-- budget_line are NULL in a one-year scenario (issue 23: the year it is funded in and the line paying for it).
INSERT INTO scenario_action (scenario_id, action, facility_id, geom, commune_code, cost_vnd, added_population,
                             added_villages, reason, year, budget_line)
VALUES (:scenario_id, :action, :facility_id, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :commune_code,
        :cost_vnd, :added_population, :added_villages, :reason, :year, :budget_line);
