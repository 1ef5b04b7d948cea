-- The stored measures NTM rule sets judge (analysis/rules.py), per analysed commune in the user's scope, of one
-- province or all (nullable), with the group the commune was judged as (NULL: not known).
SELECT cc.commune_code, c.province_code, cc.station_operational, cc.villages_total, cc.villages_reached,
       cc.commune_culture_houses, cc.ntm_6_3_share, cc.pop_covered_share, cc.commune_group
  FROM coverage_commune cc
  JOIN commune c ON c.code = cc.commune_code
 WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
   AND (CAST(:province AS text) IS NULL OR c.province_code = :province)
   AND (CAST(:code AS text) IS NULL OR c.code = :code)
 ORDER BY cc.commune_code
