-- The villages of one commune that the last analysis found not reached, most populous first.
SELECT v.id, v.name, v.population
FROM village v
JOIN coverage_village cv ON cv.village_id = v.id
WHERE v.commune_code = :code AND NOT cv.reached
ORDER BY v.population DESC NULLS LAST, v.name;
