-- How many communes (of a province, or all) wait for their coverage to be recomputed, and since when.
SELECT count(*) AS communes, min(s.since) AS since
  FROM coverage_stale s
  JOIN commune c ON c.code = s.commune_code
 WHERE CAST(:province_code AS text) IS NULL OR c.province_code = :province_code
