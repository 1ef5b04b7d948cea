-- A cheap fingerprint of the stored coverage for pages that poll it: the latest run and how many communes
-- wait. It changes whenever a recompute stores something or a change makes a commune stale.
SELECT coalesce((SELECT max(id) FROM coverage_run), 0) AS last_run,
       (SELECT count(*) FROM coverage_stale) AS stale
