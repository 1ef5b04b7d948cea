-- One vector tile (layer `villages`) of tile :z/:x/:y: the villages in the user's scope (points, or polygons
-- simplified by :tolerance_deg) with whether they are reached.
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326) AS area
)
SELECT ST_AsMVT(t, 'villages', 4096, 'geom')
FROM (
    SELECT ST_AsMVTGeom(ST_Transform(ST_Simplify(v.geom, :tolerance_deg, true), 3857), b.tile, 4096, 64, true) AS geom,
           v.id, v.name, v.commune_code, cv.reached
    FROM village v
    CROSS JOIN bounds b
    JOIN commune c ON c.code = v.commune_code
    LEFT JOIN coverage_village cv ON cv.village_id = v.id
    WHERE v.geom && b.area
      AND (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
    OFFSET 0  -- kept whole: pulled up, `geom IS NOT NULL` ran ST_AsMVTGeom a second time per row
) t
WHERE t.geom IS NOT NULL;
