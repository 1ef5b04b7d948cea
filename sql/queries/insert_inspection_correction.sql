-- The corrected inspection, appended in place of a withdrawn one (:corrects): its photo and reported position are
-- kept, status, note and visit time are the corrected ones.
INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, note, photo, photo_mime, geom_reported,
                        source, corrects_id)
SELECT facility_id, inspector, CAST(:inspected_at AS timestamptz), :status_found, :note, photo, photo_mime,
       geom_reported, 'app', id
  FROM inspection
 WHERE id = :corrects
RETURNING id;
