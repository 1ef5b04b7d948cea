-- The 2025 communes as one GeoJSON FeatureCollection for the map, simplified by :tolerance degrees (topology
-- kept per polygon) and rounded to 5 decimals (≈ 1 m) to keep the payload small.
SELECT json_build_object(
    'type', 'FeatureCollection',
    'bbox', (SELECT json_build_array(ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e))
               FROM (SELECT ST_Extent(geom) AS e FROM commune) x WHERE e IS NOT NULL),
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', c.code,
        'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(c.geom, :tolerance), 5)::json,
        'properties', json_build_object('code', c.code, 'name', c.name, 'province_code', c.province_code,
                                        'population', round(c.population))
    ) ORDER BY c.code), '[]'::json)
)
FROM commune c;
