-- Facilities in the inspector's scope for the inspection list: nearest first when the browser gave a location
-- (lon, lat binds; metres on the spheroid), else the least recently inspected first (never inspected at the top).
-- The commune bind (nullable) narrows the list to one commune.
SELECT f.id, f.type, f.name, f.status, f.commune_code, c.name AS commune_name, f.last_inspected_at,
       CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
            ELSE ST_Distance(f.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) END
           AS distance_m
FROM facility f
JOIN commune c ON c.code = f.commune_code
WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
  AND f.status <> 'decommissioned'
  AND (CAST(:commune AS text) IS NULL OR f.commune_code = :commune)
ORDER BY CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
              ELSE f.geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END,
         f.last_inspected_at ASC NULLS FIRST, f.id
LIMIT :limit;
