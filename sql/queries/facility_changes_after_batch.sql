-- What happened to a load's facilities after it (audit rows after :after_audit, the load's last): how many were
-- changed (by a later load, an inspection or an edit), which later loads changed them, and how many inspections
-- were recorded on them (any on a facility the load inserted, or recorded after the load).
SELECT (SELECT count(DISTINCT a.entity_id)
          FROM audit_log a
         WHERE a.entity = 'facility' AND a.entity_id = ANY(CAST(:ids AS text[])) AND a.id > :after_audit) AS changed,
       (SELECT coalesce(array_agg(DISTINCT (a.after->>'batch_id')::bigint), '{}')
          FROM audit_log a
         WHERE a.entity = 'facility' AND a.entity_id = ANY(CAST(:ids AS text[])) AND a.id > :after_audit
           AND a.after->>'batch_id' IS DISTINCT FROM CAST(:batch AS text)
           AND a.after->>'batch_id' IS NOT NULL) AS later_batches,
       (SELECT count(*)
          FROM inspection i
         WHERE i.facility_id = ANY(CAST(:ids AS text[])::bigint[])
           AND (i.facility_id = ANY(CAST(:inserted AS bigint[])) OR i.recorded_at > :loaded_at)) AS inspections;
