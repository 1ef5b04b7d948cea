-- The latest audit entries, optionally of one entity (facility, inspection, app_user ...), newest first.
SELECT id, at, "user", action, entity, entity_id, before, after
FROM audit_log
WHERE CAST(:entity AS text) IS NULL OR entity = :entity
ORDER BY at DESC, id DESC
LIMIT :limit;
