-- OGC API items of the `communes` collection (app/live_gis): 2025 communes with their coverage class, shares,
-- NTM verdicts, reason and data date, as one page of GeoJSON features (CRS84) plus how
-- many match. The outline is admin_unit's stored GeoJSON text (6 decimals ≈ 0.1 m; migration 0220),
-- not printed again per request. Keys are matched first and only the page is turned into JSON, so a page costs its own features,
-- not the whole country's. Features are joined as text, so PostgreSQL never parses a geometry's GeoJSON back
-- (json_agg of ST_AsGeoJSON(...)::json took 1.8x as long for 1,000 national communes), and not sorted again:
-- the page is fixed by `page` (ORDER BY fid, LIMIT, OFFSET), the order inside it does not matter to GeoJSON,
-- and sorting 13 MB of features spilled to disk.
-- :fid (nullable) picks one commune; :xmin.. (nullable) the bbox; :province_code, :code, :class (nullable) are
-- the property filters; :whole_country and :scope the user's. :simplify_deg (nullable; the `communes-generalised`
-- collection's 0.001°, about 100 m) prints each outline simplified (ST_SimplifyPreserveTopology, made valid and kept
-- polygonal) instead of the stored text: 17 % of the national vertices (259,203 of 1,562,295), 8.4 MB of GeoJSON for
-- the country instead of 38.1 MB, for GIS clients whose reading of full-resolution GeoJSON is the slow part (GDAL's
-- OAPIF driver); pages are kept per data version (app/live_gis/pages.py), so it is made once per change.
WITH matched AS (
    SELECT c.code AS fid
    FROM commune c
    LEFT JOIN coverage_commune cc ON cc.commune_code = c.code
    WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
      AND (CAST(:fid AS text) IS NULL OR c.code = :fid)
      AND (CAST(:xmin AS float8) IS NULL OR ST_Intersects(c.geom, ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326)))
      AND (CAST(:province_code AS text) IS NULL OR c.province_code = :province_code)
      AND (CAST(:code AS text) IS NULL OR c.code = :code)
      AND (CAST(:class AS text) IS NULL OR cc.class = :class)
), page AS (
    SELECT fid FROM matched ORDER BY fid LIMIT :limit OFFSET :offset
)
SELECT (SELECT count(*) FROM matched) AS matched,
       '[' || coalesce((SELECT string_agg(
            '{"type":"Feature","id":' || to_json(c.code)::text
            || ',"geometry":' || CASE WHEN CAST(:simplify_deg AS float8) IS NULL THEN g.geojson
                                      ELSE ST_AsGeoJSON(ST_Multi(ST_CollectionExtract(ST_MakeValid(
                                          ST_SimplifyPreserveTopology(g.geom, :simplify_deg)), 3)), 6) END
            || ',"properties":' || json_build_object(
                'code', c.code, 'name', c.name, 'unit_type', c.unit_type, 'province_code', c.province_code,
                'area_km2', c.area_km2, 'population', c.population,
                'class', cc.class, 'reason', cc.reason, 'reason_en', cc.reason_en,
                'pop_covered_share', cc.pop_covered_share, 'covered_area_share', cc.covered_area_share,
                'villages_total', cc.villages_total, 'villages_reached', cc.villages_reached,
                'station_operational', cc.station_operational,
                'ntm_8_3', cc.ntm_8_3, 'ntm_8_1', cc.ntm_8_1, 'ntm_6_3_share', cc.ntm_6_3_share,
                'rule_version', cc.rule_version, 'data_date', cc.data_date, 'computed_at', cc.computed_at)::text || '}', ',')
        FROM page p
        JOIN commune c ON c.code = p.fid
        JOIN admin_unit g ON g.version = '2025' AND g.level = 'commune' AND g.code = p.fid
        LEFT JOIN coverage_commune cc ON cc.commune_code = c.code), '') || ']' AS features;
