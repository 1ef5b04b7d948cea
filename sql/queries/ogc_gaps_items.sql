-- OGC API items of the `gaps` collection: the communes the last analysis left unserved or underserved (the
-- rows of `phusong export gaps` that need work), with the people and villages still out of reach and why.
-- Binds as in ogc_communes_items.sql; filters :province_code, :commune_code, :class (nullable).
WITH matched AS (
    SELECT cc.commune_code AS fid
    FROM coverage_commune cc
    JOIN commune c ON c.code = cc.commune_code
    WHERE cc.class <> 'served'
      AND (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
      AND (CAST(:fid AS text) IS NULL OR cc.commune_code = :fid)
      AND (CAST(:xmin AS float8) IS NULL OR ST_Intersects(c.geom, ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326)))
      AND (CAST(:province_code AS text) IS NULL OR c.province_code = :province_code)
      AND (CAST(:commune_code AS text) IS NULL OR cc.commune_code = :commune_code)
      AND (CAST(:class AS text) IS NULL OR cc.class = :class)
), page AS (
    SELECT fid FROM matched ORDER BY fid LIMIT :limit OFFSET :offset
)
SELECT (SELECT count(*) FROM matched) AS matched,
       '[' || coalesce((SELECT string_agg(
            '{"type":"Feature","id":' || to_json(cc.commune_code)::text
            || ',"geometry":' || ST_AsGeoJSON(c.geom, 6)
            || ',"properties":' || json_build_object(
                'commune_code', cc.commune_code, 'name', c.name, 'province_code', c.province_code,
                'class', cc.class, 'reason', cc.reason, 'reason_en', cc.reason_en,
                'pop_total', cc.pop_total, 'pop_covered', cc.pop_covered,
                'pop_uncovered', greatest(coalesce(cc.pop_total, 0) - coalesce(cc.pop_covered, 0), 0),
                'pop_covered_share', cc.pop_covered_share,
                'villages_total', cc.villages_total, 'villages_not_reached', cc.villages_total - cc.villages_reached,
                'station_operational', cc.station_operational, 'ntm_8_3', cc.ntm_8_3,
                'clusters_broken', cc.clusters_broken, 'rule_version', cc.rule_version,
                'data_date', cc.data_date)::text || '}', ',')
        FROM page p
        JOIN coverage_commune cc ON cc.commune_code = p.fid
        JOIN commune c ON c.code = cc.commune_code), '') || ']' AS features;
