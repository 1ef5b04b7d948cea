INSERT INTO population_raster (path, sha256, crs, resolution, total, derived, description, active)
VALUES (:path, :sha256, :crs, :resolution, :total, :derived, :description, true)
RETURNING id
