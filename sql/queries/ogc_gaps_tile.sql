-- One vector tile (layer `gaps`) of tile :z/:x/:y: the unserved and underserved communes in the user's scope,
-- outlines simplified by :tolerance_deg, with the class and the reason. Second column: the provinces of the
-- communes it shows, whose versions the kept tile is checked against (sql/queries/ogc_tile_versions.sql).
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326) AS area
), shown AS (
    SELECT ST_AsMVTGeom(ST_Transform(ST_Simplify(c.geom, :tolerance_deg, true), 3857), b.tile, 4096, 64, true) AS geom,
           c.code AS commune_code, c.name, cc.class, cc.reason, cc.pop_covered_share, c.province_code
    FROM coverage_commune cc
    CROSS JOIN bounds b
    JOIN commune c ON c.code = cc.commune_code
    WHERE cc.class <> 'served' AND c.geom && b.area
      AND (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
)
SELECT (SELECT ST_AsMVT(t, 'gaps', 4096, 'geom')
          FROM (SELECT geom, commune_code, name, class, reason, pop_covered_share FROM shown WHERE geom IS NOT NULL) t),
       (SELECT array_agg(DISTINCT province_code) FROM shown WHERE geom IS NOT NULL) AS provinces;
