-- Which stored facility each staged row is: the same external id; without one, the nearest facility of the same
-- type within 5 m (issue 3). The 5 m test is geodesic; the degree box first lets the GiST index work
-- (5 m < 0.0001° at any latitude of Viet Nam). Villages: the row's typed thôn/bản in the same commune.
UPDATE etl_facility_stage s
   SET match_id = f.id
  FROM facility f
 WHERE s.external_id IS NOT NULL AND f.external_id = s.external_id;

UPDATE etl_facility_stage s
   SET match_id = (
        SELECT f.id FROM facility f
         WHERE f.type = s.type AND f.external_id IS NULL
           AND f.geom && ST_Expand(ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), 0.0001)
           AND ST_DWithin(f.geom::geography, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)::geography, 5)
         ORDER BY f.geom <-> ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) LIMIT 1)
 WHERE s.external_id IS NULL;

UPDATE etl_facility_stage s
   SET village_id = (
        SELECT v.id FROM village v
         WHERE v.commune_code = s.commune_code AND v.name_folded = s.village_folded
         ORDER BY v.id LIMIT 1)
 WHERE s.village_folded IS NOT NULL AND EXISTS (SELECT 1 FROM village);
