-- Communes just recomputed are no longer stale (used after a recompute that was not a drain).
DELETE FROM coverage_stale WHERE commune_code = ANY(CAST(:commune_codes AS text[])) RETURNING commune_code
