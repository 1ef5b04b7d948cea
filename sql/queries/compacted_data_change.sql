-- Fold the rows of data_change into one of the same summed weight (migration 0255): the version does not move.
SELECT compact_data_change()
