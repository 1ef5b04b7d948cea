-- The latest batch that loaded a file of this kind with exactly this content: loading it again changes nothing.
SELECT id, loaded_at
  FROM load_batch
 WHERE kind = :kind AND sha256 = :sha256
 ORDER BY id DESC
 LIMIT 1;
