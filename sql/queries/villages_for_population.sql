-- Village locations (a polygon counts by its representative point) to weight a derived population raster.
SELECT v.commune_code, ST_AsBinary(ST_PointOnSurface(v.geom)) AS geom_wkb
  FROM village v JOIN commune c ON c.code = v.commune_code
 WHERE (CAST(:province_code AS text) IS NULL OR c.province_code = :province_code)
