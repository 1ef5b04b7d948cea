-- One vector tile (layer `coverage`) of tile :z/:x/:y: the covered areas of the communes in the user's scope,
-- simplified by :tolerance_deg. Second column: the provinces of the communes it shows, whose versions the kept
-- tile is checked against (sql/queries/ogc_tile_versions.sql).
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326) AS area
), shown AS (
    SELECT ST_AsMVTGeom(ST_Transform(ST_Simplify(cc.geom, :tolerance_deg, true), 3857), b.tile, 4096, 64, true) AS geom,
           cc.commune_code, cc.covered_area_share, cc.pop_covered_share, c.province_code
    FROM coverage_commune cc
    CROSS JOIN bounds b
    JOIN commune c ON c.code = cc.commune_code
    WHERE cc.geom && b.area AND NOT ST_IsEmpty(cc.geom)
      AND (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
)
SELECT (SELECT ST_AsMVT(t, 'coverage', 4096, 'geom')
          FROM (SELECT geom, commune_code, covered_area_share, pop_covered_share FROM shown WHERE geom IS NOT NULL) t),
       (SELECT array_agg(DISTINCT province_code) FROM shown WHERE geom IS NOT NULL) AS provinces;
