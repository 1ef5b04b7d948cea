-- How many staged facilities match a stored one, and how many are new.
SELECT count(*) FILTER (WHERE match_id IS NOT NULL), count(*) FILTER (WHERE match_id IS NULL) FROM etl_facility_stage
