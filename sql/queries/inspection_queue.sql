-- The inspectors' queue: facilities in scope, in the order to visit them.
-- 1. A facility named by an open citizen report of a broken or inaudible loudspeaker comes first (issue 7),
--    the oldest report first: a citizen is waiting for it.
-- 2. Then, when the browser gave a location (:lon/:lat), nearest first (geography: metres on the spheroid);
-- 3. otherwise least recently inspected first, never-inspected before all.
WITH urgent AS (
    SELECT facility_id, min(received_at) AS first_report, count(*) AS open_reports
      FROM feedback
     WHERE facility_id IS NOT NULL
       AND category IN ('loudspeaker_broken', 'inaudible')
       AND status IN ('received', 'assigned')
     GROUP BY facility_id
)
SELECT f.id, f.external_id, f.name, f.type, f.technology, f.status, f.commune_code, f.last_inspected_at,
       ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat,
       coalesce(u.open_reports, 0) AS open_reports, u.first_report,
       CASE WHEN CAST(:lon AS double precision) IS NULL THEN NULL
            ELSE ST_Distance(f.geom::geography,
                             ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) END AS distance_m
  FROM facility f
  LEFT JOIN urgent u ON u.facility_id = f.id
 WHERE (:whole_country OR (cardinality(CAST(:scope_codes AS text[])) > 0
                           AND commune_in_scope(f.commune_code, CAST(:scope_codes AS text[]))))
   AND f.status <> 'decommissioned'
 ORDER BY (u.facility_id IS NULL), u.first_report,
          CASE WHEN CAST(:lon AS double precision) IS NULL THEN NULL
               ELSE f.geom::geography <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography END,
          f.last_inspected_at NULLS FIRST, f.id
 LIMIT :limit
