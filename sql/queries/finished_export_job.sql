-- A worker kept the file of one export job.
UPDATE export_job
SET status = 'done', file_name = :file_name, mime_type = :mime_type, content = :content, finished_at = now()
WHERE id = :id;
