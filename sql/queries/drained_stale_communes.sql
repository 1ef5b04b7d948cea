-- Take these communes (locked by this transaction) off the stale list; the rows back are the ones to
-- recompute (a commune another refresher brought current since we looked is not returned).
DELETE FROM coverage_stale WHERE commune_code = ANY(CAST(:commune_codes AS text[])) RETURNING commune_code
