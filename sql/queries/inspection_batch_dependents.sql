-- What stands in the way of undoing an inspections load (issue 21). inspections: how many it inserted;
-- withdrawn: how many of them were withdrawn since (a correction); later: inspections of the same facilities
-- recorded after the load and not withdrawn; unknown: its inspections that kept no status_before (loaded before
-- migration 0187); changed / later_batches: facilities of the load changed after it other than in status (a later
-- survey load, an edit; status changes come from inspections, counted in "later").
WITH own AS (
    SELECT id, facility_id, withdrawn_at, status_before FROM inspection WHERE batch_id = :batch
), last_audit AS (
    SELECT coalesce(max(a.id), 0) AS id
      FROM audit_log a
     WHERE a.entity = 'inspection' AND (a.after->>'batch_id')::bigint = :batch
       AND a.action IN ('bulk_insert', 'insert')
), later_audit AS (
    SELECT a.*
      FROM audit_log a, last_audit l
     WHERE a.entity = 'facility' AND a.id > l.id
       AND a.entity_id IN (SELECT DISTINCT facility_id::text FROM own)
       AND (a.action <> 'update'
            OR (a.before - 'status' - 'last_inspected_at' - 'updated_at' - 'version')
               IS DISTINCT FROM (a.after - 'status' - 'last_inspected_at' - 'updated_at' - 'version'))
)
SELECT (SELECT count(*) FROM own) AS inspections,
       (SELECT count(*) FROM own WHERE withdrawn_at IS NOT NULL) AS withdrawn,
       (SELECT count(*)
          FROM inspection i
         WHERE i.facility_id IN (SELECT facility_id FROM own) AND i.batch_id IS DISTINCT FROM :batch
           AND i.withdrawn_at IS NULL AND i.id > (SELECT max(id) FROM own)) AS later,
       (SELECT count(*) FROM own WHERE status_before IS NULL) AS unknown,
       (SELECT count(DISTINCT entity_id) FROM later_audit) AS changed,
       (SELECT coalesce(array_agg(DISTINCT (after->>'batch_id')::bigint), '{}')
          FROM later_audit
         WHERE after->>'batch_id' IS DISTINCT FROM before->>'batch_id' AND after->>'batch_id' IS NOT NULL)
           AS later_batches;
