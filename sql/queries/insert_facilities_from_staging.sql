-- Insert the staged facilities that match no stored one, remembering their batch. In commune and then
-- geohash order, not file order: neighbouring rows then land in the same pages of the GiST and commune
-- indexes (about a third faster than the file's random order; bench/etl.py).
INSERT INTO facility (external_id, type, technology, name, commune_code, village_id, geom, status, installed_year,
                      n_horns, watts, radius_m, note, source_crs, batch_id, attributes)
SELECT external_id, type, technology, name, commune_code, village_id, geom, status, installed_year, n_horns,
       watts, radius_m, note, source_crs, :batch_id, coalesce(attributes, '{}')
  FROM (SELECT *, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom
          FROM etl_facility_located
         WHERE match_id IS NULL) s
 ORDER BY commune_code, ST_GeoHash(geom, 10), n;
