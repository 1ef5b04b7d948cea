-- Mark communes stale so that the refresh recomputes them: one province's, or every commune (`phusong analyse`).
INSERT INTO coverage_stale (commune_code)
SELECT code FROM commune
 WHERE CAST(:province_code AS text) IS NULL OR province_code = :province_code
ON CONFLICT DO NOTHING
RETURNING commune_code
