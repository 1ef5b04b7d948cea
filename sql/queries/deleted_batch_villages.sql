-- Undo a villages load (issue 21): the villages it inserted go (each delete audited by the row trigger, their
-- communes marked stale by 0007's trigger); their communes.
DELETE FROM village
 WHERE id = ANY(CAST(:ids AS bigint[])) AND batch_id = :batch
RETURNING commune_code;
