-- Which stored facility each staged row without an external id is: the nearest facility of the same type within
-- 5 m (issue 3); rows with an external id arrive matched (etl.facilities looked their ids up). The 5 m test is
-- geodesic; the degree box first lets the GiST index work (5 m < 0.0001° at any latitude of Viet Nam).
UPDATE etl_facility_stage s
   SET match_id = (
        SELECT f.id FROM facility f
         WHERE f.type = s.type AND f.external_id IS NULL
           AND f.geom && ST_Expand(ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), 0.0001)
           AND ST_DWithin(f.geom::geography, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)::geography, 5)
         ORDER BY f.geom <-> ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) LIMIT 1)
 WHERE s.external_id IS NULL;
