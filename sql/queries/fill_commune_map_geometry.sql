-- Simplify the communes that have no outline yet at this zoom level (see migration 0040); returns how many.
WITH added AS (
    INSERT INTO commune_map_geometry (code, zoom_level, geom)
    SELECT c.code, :zoom_level, ST_SimplifyPreserveTopology(c.geom, :tolerance)
    FROM commune c
    WHERE NOT EXISTS (SELECT 1 FROM commune_map_geometry m WHERE m.zoom_level = :zoom_level AND m.code = c.code)
    ON CONFLICT DO NOTHING
    RETURNING 1)
SELECT count(*) FROM added;
