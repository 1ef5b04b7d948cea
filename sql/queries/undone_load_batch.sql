-- Mark a load undone (issue 21) and audit it: what it had loaded and updated, what the undo removed and restored.
WITH marked AS (
    UPDATE load_batch SET undone_at = now(), undone_by = :actor WHERE id = :batch
    RETURNING id, file, loaded, updated
)
INSERT INTO audit_log ("user", action, entity, entity_id, before, after)
SELECT :actor, 'undo_load', 'load_batch', marked.id::text,
       jsonb_build_object('file', marked.file, 'loaded', marked.loaded, 'updated', marked.updated),
       CAST(:details AS jsonb)
  FROM marked;
