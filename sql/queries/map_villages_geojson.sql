-- Villages in view as points (a polygon village by a point on its surface), each with whether the last
-- analysis found it reached; at most :limit.
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'geometry', ST_AsGeoJSON(ST_PointOnSurface(v.geom), 6)::json,
        'properties', json_build_object('id', v.id, 'name', v.name, 'reached', cv.reached)
    )), '[]'::json)
)
FROM (
    SELECT v.*
    FROM village v
    JOIN commune c ON c.code = v.commune_code
    WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
      AND (CAST(:province AS text) IS NULL OR c.province_code = :province)
      AND (CAST(:xmin AS float8) IS NULL OR v.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326))
    LIMIT :limit
) v
LEFT JOIN coverage_village cv ON cv.village_id = v.id;
