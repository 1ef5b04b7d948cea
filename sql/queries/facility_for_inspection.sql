-- One facility with its commune and the commune's current class, for the inspection form and its checks.
SELECT f.id, f.external_id, f.type, f.name, f.status, f.commune_code, c.name AS commune_name, f.last_inspected_at,
       ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat, cc.class AS commune_class
FROM facility f
JOIN commune c ON c.code = f.commune_code
LEFT JOIN coverage_commune cc ON cc.commune_code = f.commune_code
WHERE f.id = :id;
