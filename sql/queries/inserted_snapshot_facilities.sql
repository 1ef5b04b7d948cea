INSERT INTO coverage_snapshot_facility (period, commune_code, type, technology, status, n)
SELECT :period, commune_code, type, coalesce(technology, ''), status, count(*)
  FROM facility
 GROUP BY commune_code, type, coalesce(technology, ''), status
