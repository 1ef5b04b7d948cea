-- The rows of :entity ('facility' or 'village') a load inserted (the ids of its bulk insert, or its per-row
-- inserts) and those it updated, each updated one with the row as it was before the load: read from the audit
-- log the load wrote (migration 0013). audit_id: the audit row that says so (anything audited later on these rows
-- came after the load). One query for both kinds: they are audited alike, by the same trigger.
-- Indexes: the bulk insert by audit_log_bulk_batch_idx (0013), the per-row inserts and updates by
-- audit_log_row_batch_idx (0260); without the latter a large audit log was read whole (etl/load_undo.py).
SELECT 'inserted' AS how, ids.id::bigint AS id, NULL::jsonb AS before, a.id AS audit_id
  FROM audit_log a, jsonb_array_elements_text(a.after->'ids') AS ids(id)
 WHERE a.action = 'bulk_insert' AND a.entity = :entity AND (a.after->>'batch_id')::bigint = :batch
UNION ALL
SELECT 'inserted', a.entity_id::bigint, NULL, a.id
  FROM audit_log a
 WHERE a.action = 'insert' AND a.entity = :entity AND a.after->>'batch_id' = CAST(:batch AS text)
UNION ALL
SELECT 'updated', a.entity_id::bigint, a.before, a.id
  FROM audit_log a
 WHERE a.action = 'update' AND a.entity = :entity AND a.after->>'batch_id' = CAST(:batch AS text)
   AND a.before->>'batch_id' IS DISTINCT FROM CAST(:batch AS text);
