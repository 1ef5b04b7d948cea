-- The 2025 communes whose box meets either of two boxes (the staged points as read, and swapped), with their
-- geometry as WKB, their names (as stored and folded) and their province's folded name, in code order: the
-- loader places each point in the first commune (lowest code) that holds it, so a point exactly on a shared
-- border always goes to the same commune. An empty box is given as NULLs.
SELECT c.code, ST_AsBinary(c.geom) AS wkb, c.name, c.name_folded, p.name_folded AS province_folded
  FROM commune c
  LEFT JOIN admin_unit p ON p.version = '2025' AND p.level = 'province' AND p.code = c.province_code
 WHERE c.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326)
    OR c.geom && ST_MakeEnvelope(:swap_xmin, :swap_ymin, :swap_xmax, :swap_ymax, 4326)
 ORDER BY c.code;
