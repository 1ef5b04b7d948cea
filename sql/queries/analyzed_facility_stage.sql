-- Planner statistics of the staged facilities, for the match and the writes.
ANALYZE etl_facility_stage (external_id, commune_code)
