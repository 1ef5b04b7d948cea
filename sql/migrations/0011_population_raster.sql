-- Population rasters (people per cell, WorldPop-style GeoTIFF) known to phusong. The file stays a file (rasterio
-- reads it window by window); this table says where it is, what it is and whether we derived it ourselves.
CREATE TABLE IF NOT EXISTS population_raster (
    id          bigserial PRIMARY KEY,
    path        text NOT NULL,              -- absolute path of the GeoTIFF phusong reads
    sha256      text NOT NULL,
    crs         text NOT NULL,
    resolution  double precision NOT NULL,  -- cell size in the raster's CRS units
    total       double precision NOT NULL,  -- sum of valid cells
    derived     boolean NOT NULL DEFAULT false,   -- built by phusong from census totals, not observed
    description text,
    active      boolean NOT NULL DEFAULT true,    -- the raster analyses use; one at a time
    batch_id    bigint REFERENCES load_batch (id),
    loaded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS population_raster_one_active ON population_raster (active) WHERE active;
