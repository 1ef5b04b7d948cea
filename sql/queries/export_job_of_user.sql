-- One export job of its own user (anyone else's is as missing as one that never was), without its file.
SELECT id, status, kind, fmt, error, error_status, created_at, finished_at
FROM export_job
WHERE id = :id AND user_name = :user_name;
