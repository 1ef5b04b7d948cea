-- Outlines of some communes (the ones holding the reports on screen) as a GeoJSON FeatureCollection, simplified
-- (:tolerance degrees) for a map without a base layer.
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
           'type', 'Feature',
           'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, :tolerance), 5)::json,
           'properties', json_build_object('code', code, 'name', name)) ORDER BY code), '[]'::json))
  FROM commune
 WHERE code = ANY (CAST(:codes AS text[]))
