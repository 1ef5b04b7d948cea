-- Old results of the communes about to be recomputed (their villages' rows go with them below).
DELETE FROM coverage_commune WHERE commune_code = ANY(CAST(:commune_codes AS text[])) RETURNING commune_code
