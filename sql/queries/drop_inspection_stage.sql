-- The inspection staging table, dropped before and after an inspection file's writes.
DROP TABLE IF EXISTS etl_inspection_stage
