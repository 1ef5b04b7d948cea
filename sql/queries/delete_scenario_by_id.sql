-- Delete one scenario (its actions go with it: ON DELETE CASCADE; the audit trigger keeps the row).
DELETE FROM scenario WHERE id = :id
RETURNING id;
