-- The export job of the same ask (user, kind, format, province, scenario, language, scope and data version:
-- the data_version bind holds the last two) made or being made in the last hour, else a new queued one; its
-- NOTIFY wakes the workers. The caller holds an advisory lock on the ask, so two at once make one job.
WITH found AS (
    SELECT id FROM export_job
     WHERE user_name = :user_name AND kind = :kind AND fmt = :fmt AND lang = :lang
       AND province_code IS NOT DISTINCT FROM CAST(:province_code AS text)
       AND scenario_id IS NOT DISTINCT FROM CAST(:scenario_id AS integer)
       AND data_version = :data_version AND status <> 'failed' AND created_at > now() - interval '1 hour'
     ORDER BY id DESC
     LIMIT 1),
added AS (
    INSERT INTO export_job (user_name, kind, fmt, province_code, scenario_id, lang, data_version)
    SELECT :user_name, :kind, :fmt, :province_code, :scenario_id, :lang, :data_version
     WHERE NOT EXISTS (SELECT 1 FROM found)
    RETURNING id)
SELECT id FROM found
UNION ALL
SELECT id FROM added
