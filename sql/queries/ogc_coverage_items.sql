-- OGC API items of the `coverage` collection: per commune, the covered area (union of its working clusters'
-- discs, clipped to the commune) with its size and shares; communes with no covered area have no feature.
-- Binds as in ogc_communes_items.sql; filters :province_code, :commune_code (nullable).
WITH matched AS (
    SELECT cc.commune_code AS fid
    FROM coverage_commune cc
    JOIN commune c ON c.code = cc.commune_code
    WHERE cc.geom IS NOT NULL AND NOT ST_IsEmpty(cc.geom)
      AND (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
      AND (CAST(:fid AS text) IS NULL OR cc.commune_code = :fid)
      AND (CAST(:xmin AS float8) IS NULL OR ST_Intersects(cc.geom, ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326)))
      AND (CAST(:province_code AS text) IS NULL OR c.province_code = :province_code)
      AND (CAST(:commune_code AS text) IS NULL OR cc.commune_code = :commune_code)
), page AS (
    SELECT fid FROM matched ORDER BY fid LIMIT :limit OFFSET :offset
)
SELECT (SELECT count(*) FROM matched) AS matched,
       '[' || coalesce((SELECT string_agg(
            '{"type":"Feature","id":' || to_json(cc.commune_code)::text
            || ',"geometry":' || ST_AsGeoJSON(cc.geom, 6)
            || ',"properties":' || json_build_object(
                'commune_code', cc.commune_code, 'name', c.name, 'province_code', c.province_code,
                'area_km2', cc.area_km2, 'covered_area_km2', cc.covered_area_km2,
                'covered_area_share', cc.covered_area_share, 'pop_covered', cc.pop_covered,
                'pop_covered_share', cc.pop_covered_share, 'data_date', cc.data_date,
                'computed_at', cc.computed_at)::text || '}', ',')
        FROM page p
        JOIN coverage_commune cc ON cc.commune_code = p.fid
        JOIN commune c ON c.code = cc.commune_code), '') || ']' AS features;
