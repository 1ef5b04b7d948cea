-- One facility for the map's identify popup (issue 21): name, survey code, type, status, last inspection and the
-- photo of its latest inspection that has one (with who and when); the caller checks the commune's scope.
SELECT f.id, f.name, f.external_id AS survey_code, f.type, f.status, f.commune_code, c.name AS commune_name,
       f.last_inspected_at, p.photo, p.photo_mime, p.inspected_at AS photo_at
FROM facility f
LEFT JOIN commune c ON c.code = f.commune_code
LEFT JOIN LATERAL (SELECT i.photo, i.photo_mime, i.inspected_at FROM inspection i
                   WHERE i.facility_id = f.id AND i.photo IS NOT NULL
                   ORDER BY i.inspected_at DESC, i.id DESC LIMIT 1) p ON true
WHERE f.id = :id;
