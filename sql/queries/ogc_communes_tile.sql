-- One Mapbox vector tile (layer `communes`) of tile :z/:x/:y (Web Mercator, 4096 units, 64 buffer): the
-- communes in the user's scope with their class and share. Outlines are simplified first, in degrees, by
-- :tolerance_deg (half a screen pixel at this zoom, app/live_gis/tiles.py), so a zoom-6 tile does not transform
-- every vertex of the country; ST_AsMVTGeom then snaps and clips to the tile grid. Second column: the provinces
-- of the communes it shows, whose versions the kept tile is checked against (sql/queries/ogc_tile_versions.sql).
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326) AS area
)
SELECT ST_AsMVT(t, 'communes', 4096, 'geom'), array_agg(DISTINCT t.province_code) AS provinces
FROM (
    SELECT ST_AsMVTGeom(ST_Transform(ST_Simplify(c.geom, :tolerance_deg, true), 3857), b.tile, 4096, 64, true) AS geom,
           c.code, c.name, c.province_code, cc.class, cc.pop_covered_share, cc.ntm_8_3
    FROM commune c
    CROSS JOIN bounds b
    LEFT JOIN coverage_commune cc ON cc.commune_code = c.code
    WHERE c.geom && b.area
      AND (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
) t
WHERE t.geom IS NOT NULL;
