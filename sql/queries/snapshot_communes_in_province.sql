SELECT commune_code, name, class, reason, ntm_8_3, station_operational, pop_total, pop_covered,
       pop_covered_share, villages_total, villages_reached, clusters_working, clusters_broken
  FROM coverage_snapshot_commune
 WHERE period = :period AND province_code = :province
 ORDER BY commune_code
