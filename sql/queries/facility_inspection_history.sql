-- A facility's inspections, newest visit first: date, inspector, status, note, whether a photo is kept, where it
-- came from, and whether it was withdrawn (undone or corrected, migration 0150). Binds: :id, :limit.
SELECT i.id, i.inspected_at, i.recorded_at, i.inspector, i.status_found, i.note, i.photo IS NOT NULL AS has_photo,
       i.source, i.withdrawn_at, i.corrects_id
  FROM inspection i
 WHERE i.facility_id = :id
 ORDER BY i.inspected_at DESC, i.id DESC
 LIMIT :limit;
