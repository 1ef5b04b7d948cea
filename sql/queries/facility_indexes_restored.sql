-- Rebuild the facility table's indexes set aside for a large insert.
SELECT restore_indexes('facility')
