-- Update the matched villages that changed and insert the new ones; returns how many of each.
WITH changed AS (
    UPDATE village v
       SET name = s.name, name_folded = s.name_folded, kind = s.kind, geom = s.geom,
           population = coalesce(s.population, v.population), households = coalesce(s.households, v.households),
           commune_code = s.commune_code, batch_id = :batch_id, updated_at = now()
      FROM etl_village_stage s
     WHERE s.match_id = v.id
       AND ((v.name, v.kind, v.commune_code, v.population, v.households)
                IS DISTINCT FROM (s.name, s.kind, s.commune_code, coalesce(s.population, v.population),
                                  coalesce(s.households, v.households))
            OR ST_AsBinary(v.geom) IS DISTINCT FROM ST_AsBinary(s.geom))
    RETURNING v.id
), added AS (
    INSERT INTO village (external_id, commune_code, name, name_folded, kind, geom, population, households, batch_id)
    SELECT external_id, commune_code, name, name_folded, kind, geom, population, households, :batch_id
      FROM etl_village_stage
     WHERE commune_code IS NOT NULL AND match_id IS NULL
     ORDER BY n
    RETURNING id
)
SELECT (SELECT count(*) FROM added) AS inserted, (SELECT count(*) FROM changed) AS updated;
