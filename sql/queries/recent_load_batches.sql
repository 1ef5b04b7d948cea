-- The latest loads for the upload page's list (issue 21): counts, who and when, and whether one was undone.
SELECT id, kind, file, loaded_by, loaded_at, loaded, updated, warned, rejected, undone_at, undone_by
  FROM load_batch
 WHERE kind IN ('facilities', 'villages', 'inspections')
 ORDER BY id DESC
 LIMIT :limit;
