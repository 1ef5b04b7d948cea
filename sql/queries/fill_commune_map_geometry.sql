-- Simplify the communes that have no outline yet at this zoom level (see migration 0040), with each outline's
-- GeoJSON Feature as text at the decimals the map sends at that zoom (migration 0301; app/components/common.py
-- map_binds: 3 to zoom 6, 4 to zoom 9, then 5); returns how many.
WITH added AS (
    INSERT INTO commune_map_geometry (code, zoom_level, geom, decimals, feature)
    SELECT c.code, :zoom_level, s.geom, d.decimals,
           json_build_object(
               'type', 'Feature',
               'geometry', ST_AsGeoJSON(s.geom, d.decimals)::json,
               'properties', json_build_object('code', c.code, 'name', c.name, 'province_code', c.province_code)
           )::text
    FROM commune c
    CROSS JOIN LATERAL (SELECT ST_SimplifyPreserveTopology(c.geom, :tolerance) AS geom) s
    CROSS JOIN (SELECT CASE WHEN CAST(:zoom_level AS integer) <= 6 THEN 3
                            WHEN CAST(:zoom_level AS integer) <= 9 THEN 4 ELSE 5 END AS decimals) d
    WHERE NOT EXISTS (SELECT 1 FROM commune_map_geometry m WHERE m.zoom_level = :zoom_level AND m.code = c.code)
    ON CONFLICT DO NOTHING
    RETURNING 1)
SELECT count(*) FROM added;
