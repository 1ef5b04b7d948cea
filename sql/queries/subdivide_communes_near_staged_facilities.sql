-- Communes cut into pieces of at most 255 vertices, only those near the staged points (original or swapped):
-- a point-in-polygon test against a full-resolution commune of thousands of vertices is slow, against a small
-- piece found through a GiST index it is fast (the usual PostGIS recipe for bulk point-in-polygon).
CREATE TEMP TABLE etl_commune_piece ON COMMIT DROP AS
SELECT c.code, c.name, c.name_folded, c.province_code, ST_Subdivide(c.geom, 255) AS geom
  FROM commune c
 WHERE c.geom && (SELECT ST_SetSRID(ST_Extent(ST_MakePoint(lon, lat)), 4326) FROM etl_facility_stage
                   WHERE NOT swap_candidate)
    OR c.geom && (SELECT ST_SetSRID(ST_Extent(ST_MakePoint(lat, lon)), 4326) FROM etl_facility_stage
                   WHERE swap_candidate);
CREATE INDEX ON etl_commune_piece USING gist (geom);
ANALYZE etl_commune_piece;
