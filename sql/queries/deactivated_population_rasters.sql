-- Only one raster is active: the one about to be recorded replaces the others.
UPDATE population_raster SET active = false WHERE active RETURNING id
