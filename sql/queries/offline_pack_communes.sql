-- The communes of an area pack (issue 20): code, name, service class, and the outline simplified to ~20 m
-- (:tolerance degrees) with 5 decimals (~1 m), for a map with no base layer on the phone.
SELECT c.code, c.name, c.province_code, cc.class,
       ST_AsGeoJSON(ST_SimplifyPreserveTopology(c.geom, :tolerance), 5) AS outline
  FROM commune c
  LEFT JOIN coverage_commune cc ON cc.commune_code = c.code
 WHERE c.code = ANY (CAST(:codes AS text[]))
 ORDER BY c.name, c.code;
