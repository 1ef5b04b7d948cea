-- The boundaries staging table, dropped when the load is done.
DROP TABLE IF EXISTS staging_admin_unit
