-- The 2025 communes whose box meets either of two boxes (the staged points as read, and swapped), with their
-- geometry as WKB, in code order: the loader places each point in the first commune (lowest code) that holds
-- it, so a point exactly on a shared border always goes to the same commune. An empty box is given as NULLs.
SELECT code, ST_AsBinary(geom) AS wkb
  FROM commune
 WHERE geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326)
    OR geom && ST_MakeEnvelope(:swap_xmin, :swap_ymin, :swap_xmax, :swap_ymax, 4326)
 ORDER BY code;
