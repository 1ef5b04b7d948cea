-- OGC API items of the `villages` collection: each village (point or polygon, as surveyed) with whether the last
-- analysis found it reached by a working loudspeaker. Binds as in ogc_communes_items.sql; filters
-- :province_code, :commune_code, :reached (nullable).
WITH matched AS (
    SELECT v.id AS fid
    FROM village v
    JOIN commune c ON c.code = v.commune_code
    LEFT JOIN coverage_village cv ON cv.village_id = v.id
    WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
      AND (CAST(:fid AS bigint) IS NULL OR v.id = CAST(:fid AS bigint))
      AND (CAST(:xmin AS float8) IS NULL OR ST_Intersects(v.geom, ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326)))
      AND (CAST(:province_code AS text) IS NULL OR c.province_code = :province_code)
      AND (CAST(:commune_code AS text) IS NULL OR v.commune_code = :commune_code)
      AND (CAST(:reached AS boolean) IS NULL OR cv.reached = CAST(:reached AS boolean))
), page AS (
    SELECT fid FROM matched ORDER BY fid LIMIT :limit OFFSET :offset
)
SELECT (SELECT count(*) FROM matched) AS matched,
       '[' || coalesce((SELECT string_agg(
            '{"type":"Feature","id":' || to_json(v.id)::text
            || ',"geometry":' || ST_AsGeoJSON(v.geom, 6)
            || ',"properties":' || json_build_object(
                'id', v.id, 'survey_code', v.external_id, 'name', v.name, 'kind', v.kind,
                'commune_code', v.commune_code, 'province_code', c.province_code,
                'population', v.population, 'households', v.households, 'reached', cv.reached,
                'computed_at', cv.computed_at)::text || '}', ',')
        FROM page p
        JOIN village v ON v.id = p.fid
        JOIN commune c ON c.code = v.commune_code
        LEFT JOIN coverage_village cv ON cv.village_id = v.id), '') || ']' AS features;
