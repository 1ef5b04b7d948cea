-- The villages of an area pack (issue 20): name, kind and a point (the centroid of a polygon).
SELECT v.id, v.name, v.kind, v.commune_code,
       round(ST_X(ST_PointOnSurface(v.geom))::numeric, 5) AS lon,
       round(ST_Y(ST_PointOnSurface(v.geom))::numeric, 5) AS lat
  FROM village v
 WHERE v.commune_code = ANY (CAST(:codes AS text[]))
 ORDER BY v.commune_code, v.name, v.id;
