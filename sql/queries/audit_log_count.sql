-- How many audit rows the filters of audit_log_page.sql hold, and the newest one's time (the data date).
SELECT count(*) AS total, max(at) AS newest
  FROM audit_log
 WHERE (CAST(:since AS timestamptz) IS NULL OR at >= CAST(:since AS timestamptz))
   AND (CAST(:until AS timestamptz) IS NULL OR at < CAST(:until AS timestamptz))
   AND (CAST(:user AS text) IS NULL OR lower("user") = lower(CAST(:user AS text)))
   AND (CAST(:entity AS text) IS NULL OR entity = CAST(:entity AS text))
   AND (CAST(:entity_id AS text) IS NULL OR entity_id = CAST(:entity_id AS text));
