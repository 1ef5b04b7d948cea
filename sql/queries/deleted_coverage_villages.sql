DELETE FROM coverage_village WHERE commune_code = ANY(CAST(:commune_codes AS text[])) RETURNING village_id
