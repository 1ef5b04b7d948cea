-- Communes for the coverage map as one GeoJSON FeatureCollection, with their service class and share of people
-- reached. Simplified by :tolerance degrees (half a screen pixel at the map's zoom, chosen in app/pages) and
-- rounded to 5 decimals (≈ 1 m): the national view of 3,321 communes then weighs a few hundred kB.
-- :xmin.. :ymax (nullable) keep only the communes in view; :province (nullable) one province; the scope
-- (:whole_country, :scope) is the user's.
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(c.geom, :tolerance), 5)::json,
        'properties', json_build_object(
            'code', c.code, 'name', c.name, 'province_code', c.province_code,
            'class', cc.class, 'share', round(cc.pop_covered_share::numeric, 3))
    )), '[]'::json)
)
FROM commune c
LEFT JOIN coverage_commune cc ON cc.commune_code = c.code
WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
  AND (CAST(:province AS text) IS NULL OR c.province_code = :province)
  AND (CAST(:xmin AS float8) IS NULL OR c.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326));
