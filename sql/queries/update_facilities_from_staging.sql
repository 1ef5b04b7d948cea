-- Update stored facilities from a changed survey; rows identical to what is stored are left alone (unchanged),
-- so loading a file that changed in three rows updates three facilities. The survey's status is taken only for
-- facilities never inspected: after an inspection, the latest inspection decides the status (issue 3).
UPDATE facility f
   SET name = s.name, type = s.type, technology = s.technology, commune_code = s.commune_code,
       village_id = coalesce(s.village_id, f.village_id),
       geom = ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326),
       status = CASE WHEN f.last_inspected_at IS NULL THEN s.status ELSE f.status END,
       installed_year = s.installed_year, n_horns = s.n_horns, watts = s.watts, radius_m = s.radius_m,
       note = s.note, source_crs = :source_crs, attributes = coalesce(s.attributes, '{}'), batch_id = :batch_id,
       version = f.version + 1, updated_at = now()
  FROM etl_facility_stage s
 WHERE s.match_id = f.id
   AND ((f.name, f.type, f.technology, f.commune_code, f.installed_year, f.n_horns, f.watts, f.radius_m, f.note,
         f.attributes, CASE WHEN f.last_inspected_at IS NULL THEN s.status ELSE f.status END)
        IS DISTINCT FROM
        (s.name, s.type, s.technology, s.commune_code, s.installed_year, s.n_horns, s.watts, s.radius_m, s.note,
         coalesce(s.attributes, '{}'), f.status)
        OR NOT ST_Equals(f.geom, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)))
RETURNING s.n, coalesce(f.external_id, f.id::text) AS ref;
