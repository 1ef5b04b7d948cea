-- Set the facility table's indexes aside for a large insert (restored after).
SELECT set_aside_indexes('facility')
