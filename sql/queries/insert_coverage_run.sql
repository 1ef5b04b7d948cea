INSERT INTO coverage_run (scope, rule_version, params, data_date, population_source, rules_name, rules_hash)
VALUES (:scope, :rule_version, CAST(:params AS jsonb), :data_date, :population_source, :rules_name, :rules_hash)
RETURNING id
