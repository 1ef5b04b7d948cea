-- Export jobs (and their files) older than a day are deleted by the worker.
DELETE FROM export_job WHERE created_at < now() - interval '1 day';
