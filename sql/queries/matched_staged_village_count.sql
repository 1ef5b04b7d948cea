-- How many staged villages match a stored one.
SELECT count(*) FROM etl_village_stage WHERE match_id IS NOT NULL
