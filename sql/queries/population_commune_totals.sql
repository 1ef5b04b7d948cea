-- Cached people per commune for one raster (see migration 0020).
SELECT commune_code, pop_total FROM population_commune_total
 WHERE raster_id = :raster_id AND commune_code = ANY(CAST(:commune_codes AS text[]))
