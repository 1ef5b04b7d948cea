-- Issue 19: each unit's outline as GeoJSON text, kept by PostgreSQL itself (a stored generated column: written
-- when geom is, never stale), so the OGC API items of `communes` (sql/queries/ogc_communes_items.sql) join
-- text instead of printing 1.56 M national vertices on every request (0.9 s of the national items' SQL at
-- load 10 on the 2-core machine, bench.live_gis).
-- 6 decimals in CRS84 (0.1 m), as every GeoJSON phusong writes. 5 decimals (1 m) would have saved 3.2 MB (9 %)
-- of the national 36 MB, but rounding the full-resolution Điện Biên outlines to 1 m made one of their 45 communes
-- self-intersect (tests/app/test_live_gis.py reads them through GDAL and checks validity).
-- Stored uncompressed (EXTERNAL) for rows written from now on: decompressing 36 MB cost more than reading it.
ALTER TABLE admin_unit ADD COLUMN IF NOT EXISTS geojson text GENERATED ALWAYS AS (ST_AsGeoJSON(geom, 6)) STORED;
ALTER TABLE admin_unit ALTER COLUMN geojson SET STORAGE EXTERNAL;
