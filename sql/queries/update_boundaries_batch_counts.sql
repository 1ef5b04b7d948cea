-- The counts of a boundaries batch, once its units are written.
UPDATE load_batch SET loaded = :l, updated = :u, unchanged = :n, rejected = :r, warned = :w WHERE id = :id
