-- The one population raster analyses use (population_raster_one_active guarantees at most one).
SELECT id, path, sha256, crs, resolution, total, derived, description
  FROM population_raster WHERE active
