-- One Mapbox vector tile (layer `communes`) of tile :z/:x/:y (Web Mercator, 4096 units, 64 buffer): the
-- communes in the user's scope with their class and share. Outlines are simplified first, in degrees, by
-- :tolerance_deg (half a screen pixel at this zoom, app/live_gis/tiles.py), so a zoom-6 tile does not transform
-- every vertex of the country; ST_AsMVTGeom then snaps and clips to the tile grid. At zoom 4-10 the outline
-- simplified ahead at this zoom, by the same half pixel, is taken (commune_map_geometry, one index probe a
-- commune; app/outlines_ahead.py fills it); simplified here where none is stored. OFFSET 0 keeps the subquery
-- whole: pulled up, the outer `geom IS NOT NULL` ran the transform, simplification and ST_AsMVTGeom a second
-- time per commune. Each commune's class is looked up by its key (a hash of all 3,321 rows cost a zoom-12 tile
-- most of its time). Second column: the provinces of the communes it shows, whose versions the kept tile is
-- checked against (sql/queries/ogc_tile_versions.sql).
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326) AS area
)
SELECT ST_AsMVT(t, 'communes', 4096, 'geom'), array_agg(DISTINCT t.province_code) AS provinces
FROM (
    SELECT ST_AsMVTGeom(ST_Transform(coalesce(
               (SELECT m.geom FROM commune_map_geometry m
                 WHERE m.zoom_level = :z AND m.code = c.code AND :z BETWEEN 4 AND 10),
               ST_Simplify(c.geom, :tolerance_deg, true)), 3857), b.tile, 4096, 64, true) AS geom,
           c.code, c.name, c.province_code, cc.class, cc.pop_covered_share, cc.ntm_8_3
    FROM commune c
    CROSS JOIN bounds b
    LEFT JOIN LATERAL (SELECT x.class, x.pop_covered_share, x.ntm_8_3 FROM coverage_commune x
                        WHERE x.commune_code = c.code OFFSET 0) cc ON true
    WHERE c.geom && b.area
      AND (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
    OFFSET 0
) t
WHERE t.geom IS NOT NULL;
