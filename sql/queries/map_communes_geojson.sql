-- Communes for the coverage map as one GeoJSON FeatureCollection, with their service class and share of people
-- reached. Outlines are simplified to half a screen pixel at the map's zoom: precomputed per zoom level
-- (commune_map_geometry, migration 0040) when the level is given, else simplified here by the tolerance bind;
-- coordinates rounded to the decimals bind (3 decimals ≈ 100 m is below a pixel at a national zoom).
-- The envelope binds (nullable) keep only the communes in view; the province bind (nullable) one province;
-- whole_country and scope are the user's.
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'geometry', ST_AsGeoJSON(coalesce(m.geom, ST_SimplifyPreserveTopology(c.geom, :tolerance)), :decimals)::json,
        'properties', json_build_object(
            'code', c.code, 'name', c.name, 'province_code', c.province_code,
            'class', cc.class, 'share', round(cc.pop_covered_share::numeric, 3))
    )), '[]'::json)
)
FROM commune c
LEFT JOIN commune_map_geometry m ON m.code = c.code AND m.zoom_level = CAST(:zoom_level AS integer)
LEFT JOIN coverage_commune cc ON cc.commune_code = c.code
WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
  AND (CAST(:province AS text) IS NULL OR c.province_code = :province)
  AND (CAST(:xmin AS float8) IS NULL OR c.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326));
