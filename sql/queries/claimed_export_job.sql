-- Take the oldest queued export (or one whose worker died: running for more than 30 minutes); SKIP LOCKED lets
-- any number of workers share the queue without taking one job twice.
UPDATE export_job SET status = 'running', started_at = now()
WHERE id = (
    SELECT id FROM export_job
    WHERE status = 'queued' OR (status = 'running' AND started_at < now() - interval '30 minutes')
    ORDER BY id
    FOR UPDATE SKIP LOCKED
    LIMIT 1
)
RETURNING id, user_name, kind, fmt, province_code, scenario_id, lang;
