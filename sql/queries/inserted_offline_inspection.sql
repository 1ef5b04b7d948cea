-- Append one inspection recorded on the offline page (issue 20). Its client_uuid was made on the phone: a send
-- repeated or cut after the commit inserts nothing the second time. The inspection time is the phone's, never
-- later than now; the trigger on inspection applies the status when it is the facility's latest.
INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, note, photo, photo_mime,
                        geom_reported, accuracy_m, client_uuid, base_version, conflict_with, source)
VALUES (:facility_id, :inspector, least(CAST(:inspected_at AS timestamptz), now()), :status_found, :note,
        :photo, :photo_mime,
        CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END,
        :accuracy_m, CAST(:client_uuid AS uuid), :base_version, :conflict_with, 'app')
ON CONFLICT (client_uuid) DO NOTHING
RETURNING id;
