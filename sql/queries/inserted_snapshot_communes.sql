-- Copy every commune's current coverage figures under the period key (name and province as of now: a later
-- boundary change must not rewrite an old report).
INSERT INTO coverage_snapshot_commune (period, commune_code, province_code, name, class, reason, ntm_8_3,
                                       station_operational, pop_total, pop_covered, pop_covered_share,
                                       villages_total, villages_reached, clusters_working, clusters_broken,
                                       covered_area_km2, rule_version, run_id, data_date)
SELECT :period, cc.commune_code, c.province_code, c.name, cc.class, cc.reason, cc.ntm_8_3, cc.station_operational,
       cc.pop_total, cc.pop_covered, cc.pop_covered_share, cc.villages_total, cc.villages_reached,
       cc.clusters_working, cc.clusters_broken, cc.covered_area_km2, cc.rule_version, cc.run_id, cc.data_date
  FROM coverage_commune cc
  LEFT JOIN commune c ON c.code = cc.commune_code
