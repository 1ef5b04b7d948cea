-- The population raster analyses use (one at a time): where the GeoTIFF is and whether we derived it.
SELECT path, crs, resolution, derived, description
FROM population_raster
WHERE active
LIMIT 1;
