-- OGC API items of the `facilities` collection: each facility with its type, technology, status, survey code
-- (external_id) and last inspection, one page of GeoJSON points (CRS84) plus how many match. Binds as in
-- ogc_communes_items.sql; filters :province_code, :commune_code, :type, :status, :technology (nullable).
WITH matched AS (
    SELECT f.id AS fid
    FROM facility f
    JOIN commune c ON c.code = f.commune_code
    WHERE (:whole_country OR c.code = ANY(CAST(:scope AS text[])) OR c.province_code = ANY(CAST(:scope AS text[])))
      AND (CAST(:fid AS bigint) IS NULL OR f.id = CAST(:fid AS bigint))
      AND (CAST(:xmin AS float8) IS NULL OR ST_Intersects(f.geom, ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326)))
      AND (CAST(:province_code AS text) IS NULL OR c.province_code = :province_code)
      AND (CAST(:commune_code AS text) IS NULL OR f.commune_code = :commune_code)
      AND (CAST(:type AS text) IS NULL OR f.type = :type)
      AND (CAST(:status AS text) IS NULL OR f.status = :status)
      AND (CAST(:technology AS text) IS NULL OR f.technology = :technology)
), page AS (
    SELECT fid FROM matched ORDER BY fid LIMIT :limit OFFSET :offset
)
SELECT (SELECT count(*) FROM matched) AS matched,
       '[' || coalesce((SELECT string_agg(
            '{"type":"Feature","id":' || to_json(f.id)::text
            || ',"geometry":' || ST_AsGeoJSON(f.geom, 6)
            || ',"properties":' || json_build_object(
                'id', f.id, 'survey_code', f.external_id, 'type', f.type, 'technology', f.technology,
                'name', f.name, 'status', f.status, 'commune_code', f.commune_code,
                'province_code', c.province_code, 'village_id', f.village_id,
                'installed_year', f.installed_year, 'n_horns', f.n_horns, 'watts', f.watts,
                'radius_m', f.radius_m, 'last_inspected_at', f.last_inspected_at, 'updated_at', f.updated_at)::text || '}', ',')
        FROM page p
        JOIN facility f ON f.id = p.fid
        JOIN commune c ON c.code = f.commune_code), '') || ']' AS features;
