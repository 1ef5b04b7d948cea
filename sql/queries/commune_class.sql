-- The current service class of one commune and whether a change waits to be recomputed.
SELECT cc.class, (s.commune_code IS NOT NULL) AS stale
FROM commune c
LEFT JOIN coverage_commune cc ON cc.commune_code = c.code
LEFT JOIN coverage_stale s ON s.commune_code = c.code
WHERE c.code = :code;
