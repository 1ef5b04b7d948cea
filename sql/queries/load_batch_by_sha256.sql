-- The latest batch that loaded a file of this kind with exactly this content, read with the same options
-- (:reading, a JSON object its params must contain: sheet, encoding, --mapping content, CRS): loading it again
-- changes nothing. The same file with another --crs or --mapping is read anew, and so is a file whose load was
-- undone (issue 21).
SELECT id, loaded_at
  FROM load_batch
 WHERE kind = :kind AND sha256 = :sha256 AND params @> CAST(:reading AS jsonb) AND undone_at IS NULL
 ORDER BY id DESC
 LIMIT 1;
