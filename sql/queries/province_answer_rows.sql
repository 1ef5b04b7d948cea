-- Per analysed commune of the user's scope (whole_country, scope) in the given provinces: the stored measures NTM
-- rule sets judge (as coverage_rule_measures), and the class and share the coverage map colours it by (as
-- map_commune_classes) — one province's part of the map's classes and NTM summary (app/province_parts.py).
SELECT cc.commune_code, c.province_code, cc.station_operational, cc.villages_total, cc.villages_reached,
       cc.commune_culture_houses, cc.ntm_6_3_share, cc.pop_covered_share, cc.commune_group,
       cc.class, round(cc.pop_covered_share::numeric, 3)::float8 AS share
  FROM coverage_commune cc
  JOIN commune c ON c.code = cc.commune_code
 WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
   AND c.province_code = ANY(CAST(:provinces AS text[]))
 ORDER BY cc.commune_code
