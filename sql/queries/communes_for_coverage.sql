-- 2025 communes to analyse, with their province's name (from the province layer when loaded, else from the
-- commune file's own attributes), and their commune group. All communes when both filters are NULL.
SELECT c.code, c.name, c.province_code,
       coalesce(p.name, a.attributes ->> 'province_name', '') AS province_name,
       c.area_km2, c.population, c.population_source, g.commune_group,
       ST_AsBinary(c.geom) AS geom_wkb
  FROM commune c
  JOIN admin_unit a ON a.version = '2025' AND a.level = 'commune' AND a.code = c.code
  LEFT JOIN admin_unit p ON p.version = '2025' AND p.level = 'province' AND p.code = c.province_code
  LEFT JOIN commune_group g ON g.commune_code = c.code   -- QĐ 51/2025 group; NULL: not known (judged as 2)
 WHERE (CAST(:province_code AS text) IS NULL OR c.province_code = :province_code)
   AND (CAST(:commune_codes AS text[]) IS NULL OR c.code = ANY(CAST(:commune_codes AS text[])))
 ORDER BY c.code
