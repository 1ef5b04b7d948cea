-- Staged inspections naming no loaded facility (rejected).
SELECT n, facility_ref FROM etl_inspection_stage WHERE facility_id IS NULL ORDER BY n
