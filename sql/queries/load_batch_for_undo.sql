-- One load, locked while it is undone (two admins pressing "Hoàn tác" at once: the second waits, then sees it done).
SELECT id, kind, file, loaded_at, undone_at, loaded, updated
  FROM load_batch
 WHERE id = :batch
   FOR UPDATE;
