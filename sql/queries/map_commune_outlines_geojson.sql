-- The communes' outlines for the coverage map as one GeoJSON FeatureCollection with code, name and province, in
-- the user's scope (whole_country, scope), one province (nullable) and an envelope (nullable binds): what
-- map_communes_geojson gives without the classes, which change with every recompute (app/components/
-- map_answers.py keeps the outlines per boundary version and adds the classes of the coverage version).
-- When the level is given, each Feature is the text stored with the outline simplified ahead at that level
-- (commune_map_geometry, migrations 0040 and 0301: no ST_AsGeoJSON per ask); else, or where none is stored yet
-- at these decimals, it is built here, simplified by the tolerance bind and rounded to the decimals bind.
SELECT CAST('{"type": "FeatureCollection", "features": ['
            || coalesce(string_agg(
                   CASE WHEN m.decimals = :decimals THEN m.feature
                        ELSE json_build_object(
                                 'type', 'Feature',
                                 'geometry', ST_AsGeoJSON(coalesce(m.geom, ST_SimplifyPreserveTopology(c.geom, :tolerance)),
                                                          :decimals)::json,
                                 'properties', json_build_object('code', c.code, 'name', c.name,
                                                                 'province_code', c.province_code))::text
                   END, ', ' ORDER BY c.code), '')
            || ']}' AS json)
FROM commune c
LEFT JOIN commune_map_geometry m ON m.code = c.code AND m.zoom_level = CAST(:zoom_level AS integer)
WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
  AND (CAST(:province AS text) IS NULL OR c.province_code = :province)
  AND (CAST(:xmin AS float8) IS NULL OR c.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326));
