-- What happened to a load's villages after it (audit rows after :after_audit, the load's last): how many were
-- changed or deleted (by a later load or an edit), which later loads changed them, and how many facilities now
-- stand in a village the load added (deleting it would silently unlink them: facility.village_id, 0017).
-- coverage_village rows are derived (ON DELETE CASCADE, recomputed with the commune): they do not hold it back.
SELECT (SELECT count(DISTINCT a.entity_id)
          FROM audit_log a
         WHERE a.entity = 'village' AND a.entity_id = ANY(CAST(:ids AS text[])) AND a.id > :after_audit) AS changed,
       (SELECT coalesce(array_agg(DISTINCT (a.after->>'batch_id')::bigint), '{}')
          FROM audit_log a
         WHERE a.entity = 'village' AND a.entity_id = ANY(CAST(:ids AS text[])) AND a.id > :after_audit
           AND a.after->>'batch_id' IS DISTINCT FROM CAST(:batch AS text)
           AND a.after->>'batch_id' IS NOT NULL) AS later_batches,
       (SELECT count(*) FROM facility f WHERE f.village_id = ANY(CAST(:inserted AS bigint[]))) AS facilities;
