-- The versions of what the coverage map and the exports show (migration 0255): per topic, the weights of
-- data_change this snapshot sees; with the latest coverage run and the communes waiting
-- (analysis.refresh.coverage_version), which the exports' notes about stale figures follow.
-- Read them before the data they key: a change committed in between makes the kept answer newer, never older.
SELECT coalesce(sum(weight) FILTER (WHERE topic = 'boundaries'), 0)::bigint AS boundaries,
       coalesce(sum(weight) FILTER (WHERE topic = 'coverage'), 0)::bigint AS coverage,
       coalesce(sum(weight) FILTER (WHERE topic = 'scenarios'), 0)::bigint AS scenarios,
       (SELECT coalesce(max(id), 0) FROM coverage_run) AS last_run,
       (SELECT count(*) FROM coverage_stale) AS stale
  FROM data_change
