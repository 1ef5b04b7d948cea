-- Every saved scenario with its totals, newest first.
SELECT s.id, s.name, s.owner, s.budget_vnd, s.province_code, s.created_by, s.created_at,
       s.params ->> 'solver' AS solver, s.params ->> 'status' AS status,
       count(a.id) AS actions,
       coalesce(sum(a.cost_vnd), 0) AS cost_vnd,
       coalesce(sum(a.added_population), 0) AS added_population,
       coalesce(sum(a.added_villages), 0) AS added_villages
FROM scenario s LEFT JOIN scenario_action a ON a.scenario_id = s.id
GROUP BY s.id
ORDER BY s.created_at DESC, s.id DESC;
