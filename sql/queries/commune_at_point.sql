-- The 2025 commune holding a point (lon/lat, EPSG:4326). ST_Covers so that a point on a shared border still
-- finds a commune; of two, the one with the lower code, so the answer never depends on the plan.
SELECT code, name, province_code
  FROM commune
 WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
 ORDER BY code
 LIMIT 1
