-- The communes of the map's table (issue 21): one row per commune in the user's scope (whole_country, scope) and
-- optional province, with the stored coverage (class, share of people reached, 8.3, villages) and the figures
-- analysis/gaps.py scores the priority from; communes not analysed yet come with empty figures.
SELECT c.code, c.name, c.province_code, cc.class, cc.pop_total, cc.pop_covered, cc.pop_covered_share,
       cc.ntm_8_3, cc.villages_total, cc.villages_reached, cc.station_operational
FROM commune c
LEFT JOIN coverage_commune cc ON cc.commune_code = c.code
WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
  AND (CAST(:province AS text) IS NULL OR c.province_code = :province)
ORDER BY c.name, c.code;
