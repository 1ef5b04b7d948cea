-- Villages of the communes analysed (points or polygons), for "villages reached" and criterion 6.3.
SELECT v.id, v.commune_code, ST_AsBinary(v.geom) AS geom_wkb
  FROM village v
  JOIN commune c ON c.code = v.commune_code
 WHERE (CAST(:province_code AS text) IS NULL OR c.province_code = :province_code)
   AND (CAST(:commune_codes AS text[]) IS NULL OR v.commune_code = ANY(CAST(:commune_codes AS text[])))
