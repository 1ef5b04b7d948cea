-- Insert the staged facilities that match no stored one, remembering their batch. In the order the loader
-- ranked them (ord: by commune, then spatially), not file order: neighbouring rows then land in the same pages
-- of the GiST and commune indexes (about a third faster than a survey's random order; bench/etl.py).
INSERT INTO facility (external_id, type, technology, name, commune_code, village_id, geom, status, installed_year,
                      n_horns, watts, radius_m, note, source_crs, batch_id, attributes)
SELECT external_id, type, technology, name, commune_code, village_id, ST_SetSRID(ST_MakePoint(lon, lat), 4326),
       status, installed_year, n_horns, watts, radius_m, note, :source_crs, :batch_id, coalesce(attributes, '{}')
  FROM etl_facility_stage
 WHERE match_id IS NULL
 ORDER BY ord;
