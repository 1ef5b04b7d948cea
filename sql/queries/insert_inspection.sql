-- Append one inspection made in the app. The trigger on inspection applies its status to the facility when it
-- is the latest; a submission id seen before (a double tap, a retried request) inserts nothing.
INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, note, photo, photo_mime,
                        geom_reported, submission_id, source)
VALUES (:facility_id, :inspector, coalesce(CAST(:inspected_at AS timestamptz), now()), :status_found, :note,
        :photo, :photo_mime,
        CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END,
        :submission_id, 'app')
ON CONFLICT (submission_id) WHERE submission_id IS NOT NULL DO NOTHING
RETURNING id;
