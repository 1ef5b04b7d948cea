-- The counts of a batch, known once its rows are written.
UPDATE load_batch
   SET loaded = :loaded, updated = :updated, unchanged = :unchanged, warned = :warned, rejected = :rejected
 WHERE id = :id;
