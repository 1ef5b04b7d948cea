-- The covered areas (union of the working clusters' discs, clipped to each commune) in view, simplified like
-- the communes.
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(cc.geom, :tolerance), 5)::json,
        'properties', json_build_object('code', cc.commune_code)
    )), '[]'::json)
)
FROM coverage_commune cc
JOIN commune c ON c.code = cc.commune_code
WHERE cc.geom IS NOT NULL AND NOT ST_IsEmpty(cc.geom)
  AND (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
  AND (CAST(:province AS text) IS NULL OR c.province_code = :province)
  AND (CAST(:xmin AS float8) IS NULL OR cc.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326));
