-- Mark communes stale so that the refresh recomputes them: one province's, or every commune (`phusong analyse`).
-- A commune already stale gets a new mark (a recompute under way leaves it stale: migration 0300); the rows
-- back are the communes that were not stale already.
WITH marked AS (
    INSERT INTO coverage_stale (commune_code)
    SELECT code FROM commune
     WHERE CAST(:province_code AS text) IS NULL OR province_code = :province_code
     ORDER BY code
    ON CONFLICT (commune_code) DO UPDATE SET mark = nextval('coverage_stale_mark_seq')
    RETURNING commune_code, xmax = 0 AS added
)
SELECT commune_code FROM marked WHERE added
