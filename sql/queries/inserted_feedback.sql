INSERT INTO feedback (received_at, channel, commune_code, facility_id, geom, category, text, reporter_contact,
                      status, assigned_to, assigned_at, answer, answered_at, closed_at, batch_id, created_by,
                      external_ref)
VALUES (:received_at, :channel, :commune_code, :facility_id,
        CASE WHEN :lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END,
        :category, :text, :reporter_contact, :status, :assigned_to, :assigned_at, :answer, :answered_at,
        :closed_at, :batch_id, :created_by, :external_ref)
RETURNING id
