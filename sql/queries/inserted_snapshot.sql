-- The snapshot header: which coverage runs the copied figures came from.
INSERT INTO coverage_snapshot (period, taken_at, communes, run_ids)
SELECT :period, :taken_at, count(*), coalesce(array_agg(DISTINCT run_id) FILTER (WHERE run_id IS NOT NULL), '{}')
  FROM coverage_commune
RETURNING communes
