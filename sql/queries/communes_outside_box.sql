-- Loaded 2025 communes not wholly inside a box (EPSG:4326): the communes a raster leaves (partly) uncovered.
SELECT code, name
  FROM commune
 WHERE NOT ST_CoveredBy(geom, ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326))
 ORDER BY code;
