-- The facilities coverage and the criteria look at (radio for 8.3 and discs, post-culture points for 8.1,
-- cultural houses for 6.3) in the communes analysed, with whether their status counts as working.
-- data_date: the day anyone last looked at the facility (inspection, else the last edit), in the session's
-- time zone; a commune's data date is its latest.
SELECT f.id, f.type, f.technology, f.commune_code, f.village_id, f.status, s.is_working,
       f.n_horns, f.watts, f.radius_m, f.installed_year, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat,
       CAST(coalesce(f.last_inspected_at, f.updated_at) AS date) AS data_date
  FROM facility f
  JOIN facility_status s ON s.code = f.status
  JOIN commune c ON c.code = f.commune_code
 WHERE f.type IN ('loudspeaker_cluster', 'commune_radio_station', 'post_culture_point', 'cultural_house')
   AND (CAST(:province_code AS text) IS NULL OR c.province_code = :province_code)
   AND (CAST(:commune_codes AS text[]) IS NULL OR f.commune_code = ANY(CAST(:commune_codes AS text[])))
