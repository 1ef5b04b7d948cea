-- Make a raster the one analyses use: one active raster at a time (unique partial index population_raster_one_active).
UPDATE population_raster SET active = false WHERE active;
INSERT INTO population_raster (path, sha256, crs, resolution, total, derived, description, active, batch_id)
VALUES (:path, :sha256, :crs, :resolution, :total, :derived, :description, true, :batch_id)
RETURNING id;
