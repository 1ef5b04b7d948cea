-- One commune for the map's panel: its figures, the last analysis (class, 8.3 verdict, reason) and its bounds.
SELECT c.code, c.name, c.province_code, p.name AS province_name, c.area_km2, c.population,
       cc.class, cc.reason, cc.reason_en, cc.ntm_8_3, cc.pop_total, cc.pop_covered, cc.pop_covered_share,
       cc.covered_area_km2, cc.covered_area_share, cc.villages_total, cc.villages_reached,
       cc.clusters_working, cc.clusters_broken, cc.station_operational, cc.rule_version, cc.computed_at,
       cc.data_date, (s.commune_code IS NOT NULL) AS stale,
       ST_XMin(c.geom) AS xmin, ST_YMin(c.geom) AS ymin, ST_XMax(c.geom) AS xmax, ST_YMax(c.geom) AS ymax
FROM commune c
LEFT JOIN admin_unit p ON p.version = '2025' AND p.level = 'province' AND p.code = c.province_code
LEFT JOIN coverage_commune cc ON cc.commune_code = c.code
LEFT JOIN coverage_stale s ON s.commune_code = c.code
WHERE c.code = :code;
