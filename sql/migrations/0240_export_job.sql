-- Issue 22: long exports (a whole country's XLSX, PDF, GeoPackage…) are made by `phusong worker`, not in a web
-- process: the web queues a job and answers at once; a worker takes it (FOR UPDATE SKIP LOCKED, so any number of
-- workers on any machine share the queue), builds the file with the same code as a direct download and keeps it
-- here, where every web process can send it. A finished file is kept one day (the worker deletes older ones).
CREATE TABLE IF NOT EXISTS export_job (
    id            bigserial PRIMARY KEY,
    user_name     text NOT NULL REFERENCES app_user(name) ON UPDATE CASCADE ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('gaps', 'report_xlsx', 'report_pdf', 'map')),
    fmt           text NOT NULL,
    province_code text,
    scenario_id   integer,
    lang          text NOT NULL DEFAULT 'vi' CHECK (lang IN ('vi', 'en')),
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    file_name     text,
    mime_type     text,
    content       bytea,
    error         text,
    error_status  integer,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz
);
CREATE INDEX IF NOT EXISTS export_job_queued ON export_job (id) WHERE status = 'queued';

-- One NOTIFY per queued job's statement wakes the workers at once (they also poll).
CREATE OR REPLACE FUNCTION notify_export_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('phusong_export_queued', '');
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS export_job_notify ON export_job;
CREATE TRIGGER export_job_notify AFTER INSERT ON export_job
    FOR EACH STATEMENT EXECUTE FUNCTION notify_export_queued();
