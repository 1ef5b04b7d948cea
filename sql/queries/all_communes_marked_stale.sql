-- A new population raster changes every commune's people reached: mark every analysed commune stale.
INSERT INTO coverage_stale (commune_code)
SELECT commune_code FROM coverage_commune
ON CONFLICT DO NOTHING
RETURNING commune_code
