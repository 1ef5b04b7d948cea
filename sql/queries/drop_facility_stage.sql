-- The facility staging table, dropped before and after a survey's writes.
DROP TABLE IF EXISTS etl_facility_stage
