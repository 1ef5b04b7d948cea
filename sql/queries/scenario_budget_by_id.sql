-- The budget a phased scenario was planned against: one row per year and line (none for a one-year scenario).
SELECT year, budget_line, budget_vnd, actions, communes, commune_groups
FROM scenario_budget WHERE scenario_id = :id
ORDER BY year, budget_line;
