-- The inspectors' queue (the Kiểm tra page): facilities in scope, in the order to visit them, one page at a time.
-- Binds: (:whole_country, :scope text[], :commune, :lon, :lat, :limit, :offset) and the list's filters, each
-- nullable: :folded (etl/names.py fold_text of what was typed: part of the name or of the survey code),
-- :types text[], :statuses text[]. Each row counts its open citizen reports and carries the total of the filter
-- (``total``) for paging.
-- 1. A facility named by an open citizen report of a broken or inaudible loudspeaker comes first (issue 7),
--    the oldest report first: a citizen is waiting for it.
-- 1b. Then a facility whose status nobody knows ('unknown': a doubtful survey answer, issue 15): it counts as not
--    working until someone looks.
-- 2. Then, when the browser gave a location, nearest first (metres on the spheroid for the distance shown);
-- 3. otherwise least recently inspected first, never-inspected before all.
WITH urgent AS (
    SELECT facility_id, min(received_at) AS first_report, count(*) AS open_reports
      FROM feedback
     WHERE facility_id IS NOT NULL
       AND category IN ('loudspeaker_broken', 'inaudible')
       AND status IN ('received', 'assigned')
     GROUP BY facility_id
)
SELECT f.id, f.external_id, f.type, f.technology, f.name, f.status, f.commune_code, c.name AS commune_name,
       f.last_inspected_at, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat,
       coalesce(u.open_reports, 0) AS open_reports, u.first_report,
       CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
            ELSE ST_Distance(f.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) END
           AS distance_m,
       count(*) OVER () AS total
  FROM facility f
  JOIN commune c ON c.code = f.commune_code
  LEFT JOIN urgent u ON u.facility_id = f.id
 WHERE (:whole_country OR c.code = ANY (CAST(:scope AS text[])) OR c.province_code = ANY (CAST(:scope AS text[])))
   AND f.status <> 'decommissioned'
   AND (CAST(:commune AS text) IS NULL OR f.commune_code = :commune)
   AND (CAST(:folded AS text) IS NULL
        OR fold_text(coalesce(f.name, '')) LIKE '%' || :folded || '%'
        OR fold_text(coalesce(f.external_id, '')) LIKE '%' || :folded || '%')
   AND (CAST(:types AS text[]) IS NULL OR f.type = ANY (CAST(:types AS text[])))
   AND (CAST(:statuses AS text[]) IS NULL OR f.status = ANY (CAST(:statuses AS text[])))
 ORDER BY (u.facility_id IS NULL), u.first_report, (f.status <> 'unknown'),
          CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
               ELSE f.geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END,
          f.last_inspected_at ASC NULLS FIRST, f.id
 LIMIT :limit OFFSET :offset
