-- Append the staged inspections, oldest first, skipping submissions seen before (Kobo _uuid, ODK instanceID).
-- Each insert fires inspection_applies_status: the facility's status becomes its latest inspection's.
INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, note, geom_reported, submission_id,
                        source, batch_id)
SELECT s.facility_id, s.inspector, s.inspected_at, s.status_found, s.note,
       CASE WHEN s.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END,
       s.submission_id, :source, :batch_id
  FROM etl_inspection_stage s
 WHERE s.facility_id IS NOT NULL
   AND (s.submission_id IS NULL
        OR NOT EXISTS (SELECT 1 FROM inspection i WHERE i.submission_id = s.submission_id))
 ORDER BY s.inspected_at, s.n;
