-- One page of the audit log, newest first, filtered by a time range, a user (any case) and an object (type, id);
-- a NULL bind drops its filter. The admin's audit tab and its XLSX export (issue 21).
SELECT id, at, "user", action, entity, entity_id, before, after, address
  FROM audit_log
 WHERE (CAST(:since AS timestamptz) IS NULL OR at >= CAST(:since AS timestamptz))
   AND (CAST(:until AS timestamptz) IS NULL OR at < CAST(:until AS timestamptz))
   AND (CAST(:user AS text) IS NULL OR lower("user") = lower(CAST(:user AS text)))
   AND (CAST(:entity AS text) IS NULL OR entity = CAST(:entity AS text))
   AND (CAST(:entity_id AS text) IS NULL OR entity_id = CAST(:entity_id AS text))
 ORDER BY at DESC, id DESC
 LIMIT :limit OFFSET :offset;
