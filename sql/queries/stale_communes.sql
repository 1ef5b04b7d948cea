-- Communes waiting for their coverage to be recomputed, oldest change first.
SELECT commune_code FROM coverage_stale ORDER BY since, commune_code LIMIT :limit;
