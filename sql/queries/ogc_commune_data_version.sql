-- The version of what the OGC API items of `communes`, `coverage` and `gaps` are made from (admin_unit, which the
-- `commune` view reads, coverage_commune, and the rule sets and commune groups behind the verdicts), for the items
-- page cache (app/live_gis/pages.py): the boundaries' and the coverage's weights of data_change (migration 0255,
-- the same versions the map's shared answers use, sql/queries/data_version.sql). Writers only insert rows there,
-- so the version moves with every committed change and no writer queues on a counter row.
SELECT coalesce(sum(weight) FILTER (WHERE topic = 'boundaries'), 0)::bigint
       || '/' || coalesce(sum(weight) FILTER (WHERE topic = 'coverage'), 0)::bigint AS version
  FROM data_change
