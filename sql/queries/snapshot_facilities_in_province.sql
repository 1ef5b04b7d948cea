SELECT sf.commune_code, sf.type, sf.technology, sf.status, sf.n
  FROM coverage_snapshot_facility sf
  JOIN coverage_snapshot_commune sc ON sc.period = sf.period AND sc.commune_code = sf.commune_code
 WHERE sf.period = :period AND sc.province_code = :province
