-- One budget line of one year of a phased scenario, with what it may fund (empty arrays: everything).
INSERT INTO scenario_budget (scenario_id, year, budget_line, budget_vnd, actions, communes, commune_groups)
VALUES (:scenario_id, :year, :budget_line, :budget_vnd, CAST(:actions AS text[]), CAST(:communes AS text[]),
        CAST(:commune_groups AS integer[]));
