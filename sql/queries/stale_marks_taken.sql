-- The marks of these communes (locked by this transaction) on the stale list, in code order: the ones to
-- recompute (a commune another refresher brought current since we looked is not returned). The rows stay until
-- the recompute clears them (cleared_stale_communes.sql, migration 0300), so a change saved meanwhile never
-- waits for the recompute.
SELECT commune_code, mark
  FROM coverage_stale
 WHERE commune_code = ANY(CAST(:commune_codes AS text[]))
 ORDER BY commune_code
