-- Covered areas are rewritten on every recompute (3,321 communes, ~100 MB of geometry nationally) and read
-- whole by the map: keep them out of line but uncompressed, which makes the national write ~2x cheaper.
ALTER TABLE coverage_commune ALTER COLUMN geom SET STORAGE EXTERNAL;
