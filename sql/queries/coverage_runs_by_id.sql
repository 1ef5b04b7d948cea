SELECT id, computed_at, scope, rule_version, params, data_date, population_source, rules_name, rules_hash
  FROM coverage_run WHERE id = ANY(CAST(:run_ids AS bigint[])) ORDER BY id
