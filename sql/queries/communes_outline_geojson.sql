-- Outlines of some communes (the ones holding the reports on screen) as a GeoJSON FeatureCollection: the outline
-- simplified ahead for :zoom_level (commune_map_geometry, filled by fill_commune_map_geometry), else simplified
-- here by :tolerance degrees.
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
           'type', 'Feature',
           'geometry', ST_AsGeoJSON(coalesce(m.geom, ST_SimplifyPreserveTopology(c.geom, :tolerance)), 4)::json,
           'properties', json_build_object('code', c.code, 'name', c.name)) ORDER BY c.code), '[]'::json))
  FROM commune c
  LEFT JOIN commune_map_geometry m ON m.code = c.code AND m.zoom_level = CAST(:zoom_level AS integer)
 WHERE c.code = ANY (CAST(:codes AS text[]))
