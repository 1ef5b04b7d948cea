-- Append the staged inspections, oldest first, skipping submissions seen before (Kobo _uuid, ODK instanceID).
-- Each insert fires inspection_applies_status: the facility's status becomes its latest inspection's. A row's
-- photo attached to the export (etl_inspection_media, etl/inspection_media.py) comes with it.
INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, note, geom_reported, submission_id,
                        source, batch_id, photo, photo_mime)
SELECT s.facility_id, s.inspector, s.inspected_at, s.status_found, s.note,
       CASE WHEN s.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END,
       s.submission_id, :source, :batch_id, m.photo, m.photo_mime
  FROM etl_inspection_stage s
  LEFT JOIN etl_inspection_media m ON m.n = s.n
 WHERE s.facility_id IS NOT NULL
   AND (s.submission_id IS NULL
        OR NOT EXISTS (SELECT 1 FROM inspection i WHERE i.submission_id = s.submission_id))
 ORDER BY s.inspected_at, s.n;
