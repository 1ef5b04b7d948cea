-- Staged villages lying inside no loaded commune (rejected), with a point of each.
SELECT n, name, ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat FROM etl_village_stage WHERE commune_code IS NULL ORDER BY n
