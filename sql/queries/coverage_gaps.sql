-- One row per analysed commune for `phusong export gaps`: the stored coverage with the commune's names and
-- polygon, and the run that produced it (parameters, population source).
SELECT cc.commune_code, c.name AS commune_name, c.province_code,
       coalesce(p.name, a.attributes ->> 'province_name', '') AS province_name,
       cc.area_km2, cc.covered_area_km2, cc.covered_area_share, cc.pop_total, cc.pop_covered,
       cc.pop_covered_share, cc.villages_total, cc.villages_reached, cc.station_operational, cc.ntm_8_3,
       cc.class, cc.reason, cc.reason_en, cc.clusters_working, cc.clusters_broken, cc.ntm_8_1,
       cc.ntm_6_3_share, cc.commune_culture_houses, cc.commune_group, cc.rule_version, cc.data_date, cc.computed_at, cc.run_id,
       cc.params ->> 'population_method' AS population_method,
       ST_AsBinary(c.geom) AS geom_wkb
  FROM coverage_commune cc
  JOIN commune c ON c.code = cc.commune_code
  JOIN admin_unit a ON a.version = '2025' AND a.level = 'commune' AND a.code = cc.commune_code
  LEFT JOIN admin_unit p ON p.version = '2025' AND p.level = 'province' AND p.code = c.province_code
 WHERE (CAST(:province_code AS text) IS NULL OR c.province_code = :province_code)
 ORDER BY c.province_code, cc.commune_code
