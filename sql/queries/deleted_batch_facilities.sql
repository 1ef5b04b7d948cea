-- Undo a load (issue 21): the facilities it inserted go (each delete audited by the row trigger); their communes.
DELETE FROM facility
 WHERE id = ANY(CAST(:ids AS bigint[])) AND batch_id = :batch
RETURNING commune_code;
