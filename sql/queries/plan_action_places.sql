-- For each plan action (its place, facility and commune, in the order given), the identifiers a person uses:
-- the facility's survey code and name, the nearest village (name, distance in metres) and the province.
WITH a AS (
    SELECT t.n, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326) AS geom, t.fid, t.commune
    FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[]), CAST(:facility_ids AS bigint[]),
                CAST(:communes AS text[])) WITH ORDINALITY AS t (lon, lat, fid, commune, n)
)
SELECT a.n, f.external_id AS facility_code, f.name AS facility_name, v.name AS village_name,
       v.distance_m AS village_distance_m, c.province_code, p.name AS province_name
FROM a
LEFT JOIN facility f ON f.id = a.fid
LEFT JOIN LATERAL (
    SELECT vv.name, ST_Distance(vv.geom::geography, a.geom::geography) AS distance_m
    FROM village vv
    WHERE a.geom IS NOT NULL
    ORDER BY vv.geom <-> a.geom
    LIMIT 1
) v ON true
LEFT JOIN commune c ON c.code = a.commune
LEFT JOIN admin_unit p ON p.version = '2025' AND p.level = 'province' AND p.code = c.province_code
ORDER BY a.n;
