-- Facilities for the coverage map (points; the browser clusters them), filtered by type, status, province,
-- the user's scope and the map's view; at most :limit, the most recently changed first.
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'geometry', ST_AsGeoJSON(f.geom, 6)::json,
        'properties', json_build_object('id', f.id, 'type', f.type, 'status', f.status, 'name', f.name,
                                        'commune_code', f.commune_code)
    )), '[]'::json)
)
FROM (
    SELECT f.*
    FROM facility f
    JOIN commune c ON c.code = f.commune_code
    WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
      AND (CAST(:province AS text) IS NULL OR c.province_code = :province)
      AND (CAST(:types AS text[]) IS NULL OR f.type = ANY(CAST(:types AS text[])))
      AND (CAST(:statuses AS text[]) IS NULL OR f.status = ANY(CAST(:statuses AS text[])))
      AND (CAST(:xmin AS float8) IS NULL OR f.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326))
    ORDER BY f.updated_at DESC
    LIMIT :limit
) f;
