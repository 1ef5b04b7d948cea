-- OGC API items of the `communes-generalised` collection (app/live_gis): the same features, ids and properties as
-- ogc_communes_items.sql (read it for the binds and why features are joined as text), with every outline simplified
-- to 0.001° (about 100 m; ST_SimplifyPreserveTopology, then made valid and kept polygonal): 17 % of the national
-- vertices (259,203 of 1,562,295), 8.4 MB of GeoJSON for the whole country instead of 38.1 MB, for national
-- overviews in GIS clients whose reading of full-resolution GeoJSON is the slow part (GDAL's OAPIF driver: 2.0 s
-- of its CPU for this collection, 5.6–9 s for `communes`). Pages are kept per scope and data version like the
-- communes' and made again after a change (app/live_gis/pages.py, ahead.py): the simplification (~1 s a national
-- page) is made once per change, not per read.
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
            || ',"geometry":' || ST_AsGeoJSON(ST_Multi(ST_CollectionExtract(
                   ST_MakeValid(ST_SimplifyPreserveTopology(g.geom, 0.001)), 3)), 6)
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
