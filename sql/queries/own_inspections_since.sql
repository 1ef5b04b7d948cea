-- The inspections one inspector saved in the app since :since (their day), newest first, with the facility and
-- its commune: what they may still correct. Withdrawn ones are listed too (marked), corrections name the original.
SELECT i.id, i.facility_id, f.name AS facility_name, f.type, f.external_id, f.commune_code, c.name AS commune_name,
       i.inspected_at, i.recorded_at, i.status_found, i.note, i.photo IS NOT NULL AS has_photo, i.withdrawn_at,
       i.corrects_id
  FROM inspection i
  JOIN facility f ON f.id = i.facility_id
  JOIN commune c ON c.code = f.commune_code
 WHERE i.inspector = :inspector AND i.source = 'app' AND i.recorded_at >= :since
 ORDER BY i.recorded_at DESC, i.id DESC
 LIMIT 50;
