-- `phusong status` and the admin page: per province, when its coverage was computed, what waits, and the
-- date of each input (boundaries, villages, facilities, inspections, and the national population raster).
SELECT c.province_code, coalesce(p.name, '') AS province_name,
       count(*) AS communes,
       count(cc.commune_code) AS communes_computed,
       max(cc.computed_at) AS computed_at,
       count(s.commune_code) AS communes_stale,
       min(s.since) AS stale_since,
       max(a.loaded_at) AS boundaries_at,
       (SELECT max(v.updated_at) FROM village v JOIN commune vc ON vc.code = v.commune_code
         WHERE vc.province_code = c.province_code) AS villages_at,
       (SELECT max(f.updated_at) FROM facility f JOIN commune fc ON fc.code = f.commune_code
         WHERE fc.province_code = c.province_code) AS facilities_at,
       (SELECT max(f.last_inspected_at) FROM facility f JOIN commune fc ON fc.code = f.commune_code
         WHERE fc.province_code = c.province_code) AS inspections_at,
       (SELECT loaded_at FROM population_raster WHERE active) AS raster_at
  FROM commune c
  JOIN admin_unit a ON a.version = '2025' AND a.level = 'commune' AND a.code = c.code
  LEFT JOIN admin_unit p ON p.version = '2025' AND p.level = 'province' AND p.code = c.province_code
  LEFT JOIN coverage_commune cc ON cc.commune_code = c.code
  LEFT JOIN coverage_stale s ON s.commune_code = c.code
 GROUP BY c.province_code, p.name
 ORDER BY c.province_code
