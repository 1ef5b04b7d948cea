-- A transaction's staging copy of admin_unit for one boundaries file (etl/boundaries.py).
CREATE TEMP TABLE staging_admin_unit (LIKE admin_unit INCLUDING DEFAULTS) ON COMMIT DROP
