-- The box around the loaded 2025 communes (EPSG:4326) and how many there are: what a population raster must cover.
SELECT count(*) AS n, ST_XMin(ext) AS xmin, ST_YMin(ext) AS ymin, ST_XMax(ext) AS xmax, ST_YMax(ext) AS ymax
  FROM (SELECT ST_Extent(geom)::geometry AS ext FROM commune) e, commune
 GROUP BY ext;
