-- The village staging table, dropped before and after a village file's writes.
DROP TABLE IF EXISTS etl_village_stage
