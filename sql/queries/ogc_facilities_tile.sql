-- One vector tile (layer `facilities`) of tile :z/:x/:y: the facilities in the user's scope as points with
-- their type and status.
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326) AS area
)
SELECT ST_AsMVT(t, 'facilities', 4096, 'geom')
FROM (
    SELECT ST_AsMVTGeom(ST_Transform(f.geom, 3857), b.tile, 4096, 64, true) AS geom,
           f.id, f.external_id AS survey_code, f.type, f.status, f.name, f.commune_code
    FROM facility f
    CROSS JOIN bounds b
    JOIN commune c ON c.code = f.commune_code
    WHERE f.geom && b.area
      AND (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
    OFFSET 0  -- kept whole: pulled up, `geom IS NOT NULL` ran ST_AsMVTGeom a second time per row
) t
WHERE t.geom IS NOT NULL;
