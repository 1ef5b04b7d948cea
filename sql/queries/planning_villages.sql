-- Villages of the given communes as one representative point each (ST_PointOnSurface keeps it inside a
-- polygon village), lon/lat in EPSG:4326.
SELECT v.id, v.commune_code, v.name, v.population,
       ST_X(ST_PointOnSurface(v.geom)) AS lon, ST_Y(ST_PointOnSurface(v.geom)) AS lat
FROM village v
WHERE v.commune_code = ANY(CAST(:commune_codes AS text[]))
ORDER BY v.id;
