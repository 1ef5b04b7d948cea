-- The finished file of one export job of its own user.
SELECT file_name, mime_type, content
FROM export_job
WHERE id = :id AND user_name = :user_name AND status = 'done';
