-- An export job that could not be made: the sentence its user reads and the HTTP status of the refusal.
UPDATE export_job SET status = 'failed', error = :error, error_status = :status, finished_at = now()
WHERE id = :id;
